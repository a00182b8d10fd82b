/**
 * `flick init DIR --template NAME`: a new app that builds and runs with no edits. The AssemblyScript
 * templates are the repository's own examples (so they cannot drift from what is tested); the C
 * (WAGI) and TypeScript ones live in templates/.
 */
import type { Command } from 'commander';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { examplesDir, installRoot } from '../../host/install-root.js';
import { CliError } from '../errors.js';

const TEMPLATES: Record<string, { from: string; about: string }> = {
  hello: { from: join(examplesDir, 'hello'), about: 'AssemblyScript, a fresh instance per request' },
  counter: { from: join(examplesDir, 'counter'), about: 'AssemblyScript, one instance per key with state in memory' },
  kv: { from: join(examplesDir, 'kv'), about: 'AssemblyScript, data in the KV capability' },
  'wagi-c': { from: join(installRoot, 'templates', 'wagi-c'), about: 'C over WAGI (CGI), built with clang-14 + wasi-libc' },
  ts: { from: join(installRoot, 'templates', 'ts'), about: 'TypeScript, a Workers-style fetch handler' },
};

/** A DNS label, as the manifest requires of app names. */
const APP_NAME = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function register(program: Command): void {
  program
    .command('init')
    .argument('<dir>', 'directory to create (its name becomes the app name)')
    .option('--template <name>', `one of: ${Object.keys(TEMPLATES).join(', ')}`, 'hello')
    .description('create a new app from a template')
    .addHelpText('after', `\nTemplates:\n${Object.entries(TEMPLATES).map(([k, t]) => `  ${k.padEnd(8)} ${t.about}`).join('\n')}\n\nExample:\n  $ npx flick init myapp --template counter && npx flick build myapp\n`)
    .action((dir: string, opts: { template: string }) => {
      const template = TEMPLATES[opts.template];
      if (!template) throw new CliError(`there is no template '${opts.template}'`, `choose one of: ${Object.keys(TEMPLATES).join(', ')}`, 2);
      const target = resolve(dir);
      const name = basename(target).toLowerCase();
      if (!APP_NAME.test(name)) throw new CliError(`'${basename(target)}' cannot be an app name`, 'name the directory with lower-case letters, digits and dashes, starting with a letter', 2);
      if (existsSync(target) && readdirSync(target).length > 0) throw new CliError(`${dir} exists and is not empty`, 'choose a new directory; init never overwrites files', 1);
      // Build outputs are not part of a template.
      cpSync(template.from, target, { recursive: true, filter: (src) => !relative(template.from, src).split(sep).includes('build') });
      const manifestFile = join(target, 'flick.json');
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { name: string };
      manifest.name = name;
      writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
      process.stdout.write(`created ${dir} (${opts.template}: ${template.about})\nnext: npx flick build ${dir} && npx flick deploy ${dir}\n`);
    });
}
