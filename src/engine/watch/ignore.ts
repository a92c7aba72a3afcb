/**
 * What no watch reports: folders whose changes never concern a mount. Dependencies are not
 * hot-reloaded (node_modules, a Python virtual environment, site-packages), git's own files churn
 * on every command, and __pycache__ is Python writing its own bytecode. Left out natively (no
 * inotify watch is even placed there), so a virtual environment's thousands of folders cost nothing.
 */
import * as path from 'node:path';

export const IGNORED_FOLDERS: readonly string[] = ['node_modules', '.git', '.venv', 'venv', 'site-packages', '__pycache__'];

const IGNORED = new Set(IGNORED_FOLDERS);

/** The globs @parcel/watcher takes for them, at any depth. */
export const IGNORED_GLOBS: readonly string[] = IGNORED_FOLDERS.map((name) => `**/${name}`);

export function isIgnoredName(name: string): boolean {
  return IGNORED.has(name);
}

/**
 * Whether `file` lies in (or is) an ignored folder below `root`. Only the part below the root
 * counts: a workspace that itself sits inside a folder named `venv` is still watched.
 */
export function isIgnoredBelow(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative !== '' && relative.split(path.sep).some(isIgnoredName);
}
