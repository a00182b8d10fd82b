/**
 * `flick build DIR [-o FILE] [--json]`: turns an app directory into one image file and prints its
 * id (`sha256:…`), the only thing on stdout, so scripts can capture it.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { buildImage } from '../../image/build.js';

interface BuildFlags {
  output?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('build')
    .description('build an app directory (with flick.json) into a single-file image and print its id')
    .addHelpText('after', '\nExample:\n  $ npx flick build examples/hello -o hello.flick\n  sha256:…\n')
    .argument('<dir>', 'the app directory')
    .option('-o, --output <file>', 'where to write the image (default: DIR/build/NAME.flick)')
    .option('--json', 'print {id, file, bytes, name, version} as JSON')
    .action(async (dir: string, flags: BuildFlags) => {
      const built = await buildImage(dir);
      const file = resolve(flags.output ?? join(dir, 'build', `${built.manifest.name}.flick`));
      await writeAtomically(file, built.bytes);
      const { name, version } = built.manifest;
      process.stdout.write(flags.json ? `${JSON.stringify({ id: built.id, file, bytes: built.bytes.length, name, version })}\n` : `${built.id}\n`);
    });
}

/** Readers (a running `flick dev`, a deploy) never see a half-written image. */
async function writeAtomically(file: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const partial = `${file}.partial-${process.pid}`;
  await writeFile(partial, bytes);
  await rename(partial, file);
}
