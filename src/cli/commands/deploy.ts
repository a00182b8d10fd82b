/**
 * `flick deploy DIR|FILE`: builds when given an app directory, uploads the image unless the node
 * already has it (same hash), then runs copy → update → switch and shows each phase as it goes.
 * `flick rollback NAME` and `flick deployments NAME` belong to the same story.
 */
import type { Command } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { blobId } from '../../control/blob-store.js';
import type { DeploymentRecord } from '../../control/registry.js';
import { buildImage } from '../../image/build.js';
import { ApiClient, withServer, type ServerOptions } from '../client.js';
import { CliError } from '../errors.js';
import { printPhase, printDeployment } from '../render/deployment.js';

interface DeployOpts extends ServerOptions {
  app?: string;
  shadow?: string;
  canary?: string;
  json?: boolean;
}

export function register(program: Command): void {
  withServer(program.command('deploy'))
    .argument('<source>', 'an app directory (built first) or an image file (.flick)')
    .option('--app <name>', 'serve under this name instead of the manifest\'s')
    .option('--shadow <pct>', 'mirror this share of live traffic to the new release and compare before switching')
    .option('--canary <pct>', 'send only this share of traffic to the new release')
    .option('--json', 'print the deployment record as JSON')
    .description('deploy an app: copy → update → switch, with instant rollback')
    .addHelpText('after', '\nExamples:\n  $ npx flick deploy examples/hello\n  $ npx flick deploy build/hello.flick --shadow 10\n')
    .action(async (source: string, opts: DeployOpts) => {
      const shadowPct = percent('--shadow', opts.shadow, 100);
      const canaryPct = percent('--canary', opts.canary, 99);
      const bytes = await imageBytes(source, !opts.json);
      const client = new ApiClient(opts);
      const id = blobId(bytes);
      const head = await client.request('HEAD', `/images/${id}`);
      if (head.status === 404) await client.request('PUT', `/images/${id}`, bytes);
      const res = await client.request('POST', '/deployments', { image: id, app: opts.app, shadowPct, canaryPct }, { accept: 'application/x-ndjson' });
      await reportDeployment(res, opts.json, (d) => `deployed ${d.app} release ${d.to}`);
    });

  withServer(program.command('rollback'))
    .argument('<app>', 'the app to switch back to its previous release')
    .option('--json', 'print the deployment record as JSON')
    .description('switch an app back to its previous release, in one step')
    .addHelpText('after', '\nExample:\n  $ npx flick rollback hello\n')
    .action(async (app: string, opts: ServerOptions & { json?: boolean }) => {
      const client = new ApiClient(opts);
      const res = await client.request('POST', `/apps/${encodeURIComponent(app)}/rollback`, {}, { accept: 'application/x-ndjson' });
      await reportDeployment(res, opts.json, (d) => `${app} is back on release ${d.to}`);
    });

  withServer(program.command('deployments'))
    .argument('<app>', 'the app whose deployment history to show')
    .option('--json', 'print the records as JSON')
    .description('show an app\'s deployment history, with each phase and its timing')
    .addHelpText('after', '\nExample:\n  $ npx flick deployments hello\n')
    .action(async (app: string, opts: ServerOptions & { json?: boolean }) => {
      const records = await new ApiClient(opts).json<DeploymentRecord[]>('GET', `/apps/${encodeURIComponent(app)}/deployments`);
      if (opts.json) return void process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
      if (records.length === 0) return void process.stdout.write(`${app} has no deployments\n`);
      for (const d of records) printDeployment(d);
    });
}

function percent(flag: string, value: string | undefined, max: number): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > max) throw new CliError(`${flag} ${value} is not a percentage`, `use a number between 0 and ${max}`, 2);
  return n;
}

async function imageBytes(source: string, talk: boolean): Promise<Uint8Array> {
  if (!existsSync(source)) throw new CliError(`${source} does not exist`, 'pass an app directory (with flick.json) or an image file made by flick build', 2);
  if (statSync(source).isDirectory()) {
    if (talk) process.stderr.write(`building ${source} …\n`);
    const built = await buildImage(source);
    if (talk) process.stderr.write(`built ${built.id}\n`);
    return built.bytes;
  }
  return readFileSync(source);
}

/** Follows a deploy or rollback to its end: phases as they go, then the record (--json) or one line; a failure is an error. */
async function reportDeployment(res: Response, json: boolean | undefined, summary: (d: DeploymentRecord) => string): Promise<void> {
  const final = await followProgress(res, !json);
  if (json) process.stdout.write(`${JSON.stringify(final.deployment, null, 2)}\n`);
  if (final.error) throw new CliError(final.error.message, final.error.hint);
  if (!json) process.stdout.write(`${summary(final.deployment!)}\n`);
}

interface Final {
  deployment?: DeploymentRecord;
  error?: { message: string; hint: string };
}

/** Reads the NDJSON stream of a deploy or rollback, printing each phase change once. */
async function followProgress(res: Response, talk: boolean): Promise<Final> {
  const tty = process.stdout.isTTY === true;
  const seen = new Set<string>();
  const final: Final = {};
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!line.trim()) continue;
      const msg = JSON.parse(line) as { progress?: DeploymentRecord; result?: DeploymentRecord; error?: { message: string; hint: string; deployment: DeploymentRecord | null } };
      const d = msg.progress ?? msg.result ?? msg.error?.deployment ?? undefined;
      if (d && talk) {
        for (const p of d.phases) {
          const k = `${p.name}:${p.status}`;
          if (seen.has(k)) continue;
          seen.add(k);
          // On a terminal a running phase shows at once and its result line replaces it; piped
          // output gets only the result lines.
          if (p.status === 'running') {
            if (tty) process.stdout.write(`  … ${p.name} …`);
          } else {
            if (tty && seen.has(`${p.name}:running`)) process.stdout.write('\r\x1b[K');
            printPhase(p);
          }
        }
      }
      if (d) final.deployment = d;
      if (msg.error) final.error = { message: msg.error.message, hint: msg.error.hint };
    }
  }
  return final;
}
