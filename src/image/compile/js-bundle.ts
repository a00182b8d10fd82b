/**
 * `kind: "js"` apps are bundled by esbuild into one ES module. Every option that could vary
 * between machines or runs is pinned: no source map, no metafile, no minification, a fixed target,
 * paths in comments relative to the app directory.
 */
import { build, type Message } from 'esbuild';
import { BuildError } from '../errors.js';

const JS_TARGET = 'es2022';

export async function bundleJs(appDir: string, entry: string): Promise<Uint8Array> {
  try {
    const result = await build({
      absWorkingDir: appDir,
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'esm',
      target: JS_TARGET,
      // Apps use web APIs (fetch handler, Request/Response), as in Workers.
      platform: 'browser',
      conditions: ['worker', 'browser'],
      sourcemap: false,
      metafile: false,
      minify: false,
      charset: 'utf8',
      logLevel: 'silent',
    });
    return result.outputFiles[0].contents;
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors;
    if (!Array.isArray(errors)) throw e;
    throw new BuildError('compile_failed', `${entry} does not bundle:\n${errors.map(describeMessage).join('\n')}`, 'fix the errors above (paths are relative to the app directory)');
  }
}

function describeMessage(m: Message): string {
  return m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ${m.text}` : m.text;
}
