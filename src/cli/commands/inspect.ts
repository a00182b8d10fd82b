/**
 * `flick inspect FILE [--json]`: what an image holds: its id, manifest, the wasm module's imports and
 * exports (or the JS bundle's size) and its file tree. The image is fully checked first.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { decodeImage, type Image } from '../../image/format.js';
import { CliError } from '../errors.js';

interface InspectFlags {
  json?: boolean;
}

interface ModuleInterface {
  imports: Array<{ module: string; name: string; kind: string }>;
  exports: Array<{ name: string; kind: string }>;
}

export function register(program: Command): void {
  program
    .command('inspect')
    .description("print an image's manifest, its module's imports and exports, and its files")
    .addHelpText('after', '\nExample:\n  $ npx flick inspect examples/hello/build/hello.flick --json\n')
    .argument('<file>', 'the image file (.flick)')
    .option('--json', 'print one JSON object')
    .action(async (file: string, flags: InspectFlags) => {
      const bytes = await readFile(file).catch((e: NodeJS.ErrnoException) => {
        throw new CliError(`cannot read ${file} (${e.code ?? e.message})`, 'pass the path of an image made by `flick build`');
      });
      const image = decodeImage(bytes);
      const moduleInterface = image.manifest.runtime === 'wasm' ? describeModule(image.code) : undefined;
      process.stdout.write(flags.json ? `${JSON.stringify(asJson(image, bytes.length, moduleInterface))}\n` : asText(image, bytes.length, moduleInterface));
    });
}

function describeModule(code: Uint8Array): ModuleInterface {
  const module = new WebAssembly.Module(code);
  return {
    imports: WebAssembly.Module.imports(module).map(({ module, name, kind }) => ({ module, name, kind })),
    exports: WebAssembly.Module.exports(module).map(({ name, kind }) => ({ name, kind })),
  };
}

function asJson(image: Image, size: number, moduleInterface: ModuleInterface | undefined): object {
  return {
    id: image.id,
    bytes: size,
    manifest: image.manifest,
    code: { bytes: image.code.length, ...moduleInterface },
    files: [...image.files].map(([path, data]) => ({ path, bytes: data.length })),
  };
}

function asText(image: Image, size: number, moduleInterface: ModuleInterface | undefined): string {
  const { manifest } = image;
  const lines = [
    `image     ${image.id} (${size} bytes)`,
    `app       ${manifest.name} ${manifest.version}`,
    `code      ${manifest.runtime === 'wasm' ? `wasm module, abi ${manifest.abi}` : 'JS module'}, ${image.code.length} bytes`,
    `files     ${image.files.size}`,
    ...[...image.files].map(([path, data]) => `  ${path}  ${data.length} bytes`),
    'manifest',
    ...JSON.stringify(manifest, null, 2).split('\n').map((line) => `  ${line}`),
  ];
  if (moduleInterface) {
    lines.push(`imports   ${moduleInterface.imports.length}`, ...moduleInterface.imports.map((i) => `  ${i.module}.${i.name}  ${i.kind}`));
    lines.push(`exports   ${moduleInterface.exports.length}`, ...moduleInterface.exports.map((e) => `  ${e.name}  ${e.kind}`));
  }
  return `${lines.join('\n')}\n`;
}
