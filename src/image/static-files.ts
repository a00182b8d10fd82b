/**
 * Reads an app's static-files directory into the image's file tree: regular files only, paths
 * relative to that directory, in sorted order, contents only (no modes, owners or times), so the
 * tree is the same on any machine.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BuildError } from './errors.js';
import { filePathProblem, MAX_FILES, type FileTree } from './file-tree.js';

export async function readStaticFiles(appDir: string, dir: string): Promise<FileTree> {
  const root = join(appDir, dir);
  const rootStat = await lstat(root).catch(() => undefined);
  if (!rootStat?.isDirectory()) throw new BuildError('bad_files_dir', `build.files "${dir}" is not a directory in the app`, 'create the directory or remove build.files');
  const files = new Map<string, Uint8Array>();
  await walk(root, '', dir, files);
  return files;
}

async function walk(root: string, prefix: string, dir: string, files: Map<string, Uint8Array>): Promise<void> {
  const entries = await readdir(join(root, prefix), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    const where = `${dir}/${path}`;
    if (entry.isDirectory()) {
      await walk(root, path, dir, files);
      continue;
    }
    if (!entry.isFile()) {
      // A symlink could point anywhere on the build machine; copying its target would make the image depend on it.
      throw new BuildError('bad_files_dir', `"${where}" is not a regular file (symlink, socket or device)`, 'replace it with a regular file or move it out of build.files');
    }
    const problem = filePathProblem(path);
    if (problem) throw new BuildError('bad_files_dir', `the file name "${where}" ${problem}`, 'rename the file');
    if (files.size >= MAX_FILES) throw new BuildError('bad_files_dir', `build.files "${dir}" holds more than ${MAX_FILES} files`, 'keep fewer static files, or pack them into an archive');
    files.set(path, new Uint8Array(await readFile(join(root, path))));
  }
}
