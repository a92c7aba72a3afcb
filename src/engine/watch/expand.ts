/**
 * A folder created or replaced at once (renamed away, a new one made and filled) is reported by
 * @parcel/watcher as the folder alone, without the files created in it before its new watch was in
 * place: so an event for a folder stands for every file below it, and subscribers get those files.
 */
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { isIgnoredName } from './ignore';

/** The paths, each that is a folder now followed by every file below it (ignored folders left out). */
export async function expandFolders(root: string, paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const changed of paths) {
    files.push(changed);
    if (changed === root) continue;
    const isFolder = await stat(changed).then((stats) => stats.isDirectory(), () => false);
    if (isFolder) await filesBelow(changed, files);
  }
  return files;
}

async function filesBelow(folder: string, into: string[]): Promise<void> {
  const children = await readdir(folder, { withFileTypes: true }).catch(() => []);
  for (const child of children) {
    if (isIgnoredName(child.name)) continue;
    const full = path.join(folder, child.name);
    if (child.isDirectory()) await filesBelow(full, into);
    else into.push(full);
  }
}
