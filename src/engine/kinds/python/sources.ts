/**
 * Which changes under a `wsgi` or `asgi` mount's `cwd` restart it: its `.py` files, except in
 * virtual environments (any folder holding `pyvenv.cfg`, whatever its name), `__pycache__`,
 * `node_modules`, `site-packages` and dot folders. The usual names of those folders are left out by
 * the engine's file watching itself (`watch/ignore.ts`), so their thousands of folders are never
 * watched; the rest are filtered here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Disposable } from '../../events';
import type { FileWatching } from '../../watch/watching';

/**
 * Watches the Python sources below `root`; resolves once the watch is in place. `onChange` gets
 * each changed `.py` file (a package moved in counts by its files).
 */
export function watchPythonSources(
  watching: FileWatching,
  root: string,
  onChange: (file: string) => void,
  onError: (error: Error) => void,
): Promise<Disposable> {
  const ignore = (file: string) => !file.endsWith('.py') || isOutsideSources(root, file);
  return watching.subscribe(root, { ignore, onError }, (files) => {
    for (const file of files) onChange(file);
  });
}

function isOutsideSources(root: string, file: string): boolean {
  const folders = path.relative(root, path.dirname(file));
  if (folders === '') return false;
  let folder = root;
  for (const name of folders.split(path.sep)) {
    if (name.startsWith('.')) return true;
    folder = path.join(folder, name);
    if (fs.existsSync(path.join(folder, 'pyvenv.cfg'))) return true;
  }
  return false;
}
