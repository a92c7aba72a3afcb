/**
 * Watches the Python sources of a `wsgi` or `asgi` mount: every `.py` file under its `cwd`, except
 * in virtual environments (folders holding `pyvenv.cfg`), `__pycache__`, `node_modules`,
 * `site-packages` and dot folders.
 *
 * Hand-written over one non-recursive `fs.watch` per folder, because those folders must be left out
 * and `fs.watch(root, { recursive: true })` cannot skip anything: on Linux (Node 20) it walks and
 * watches every folder below the root, a virtual environment's thousands included, before the first
 * event. Folders created later are watched when they appear.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Disposable } from '../../events';

/** Beyond this many folders the rest are not watched (a cwd pointing at a home folder, say). */
const MAX_FOLDERS = 4000;

const SKIPPED = new Set(['__pycache__', 'node_modules', 'site-packages']);

export class PythonSourceWatcher implements Disposable {
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private disposed = false;

  constructor(
    root: string,
    private readonly onChange: (file: string) => void,
    private readonly onLimit: (folders: number) => void = () => undefined,
  ) {
    this.watchTree(root);
  }

  /** How many folders are watched (tests check the skipped ones are not). */
  get folders(): readonly string[] {
    return [...this.watchers.keys()];
  }

  dispose(): void {
    this.disposed = true;
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  private watchTree(root: string): void {
    const pending = [root];
    while (pending.length > 0 && !this.disposed) {
      const folder = pending.pop()!;
      if (this.watchers.has(folder) || !this.watchFolder(folder)) continue;
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(folder, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const entry of entries) {
        if (entry.isDirectory() && !skipped(entry.name)) pending.push(path.join(folder, entry.name));
      }
    }
  }

  private watchFolder(folder: string): boolean {
    if (this.watchers.size >= MAX_FOLDERS) {
      if (this.watchers.size === MAX_FOLDERS) this.onLimit(MAX_FOLDERS);
      return false;
    }
    if (fs.existsSync(path.join(folder, 'pyvenv.cfg'))) return false;
    let watcher: fs.FSWatcher;
    try {
      watcher = fs.watch(folder, (_event, name) => this.changed(folder, name?.toString()));
    } catch {
      return false;
    }
    // A folder removed under us ends its watcher; its parent's event covers what happens next.
    watcher.on('error', () => {
      watcher.close();
      this.watchers.delete(folder);
    });
    this.watchers.set(folder, watcher);
    return true;
  }

  private changed(folder: string, name: string | undefined): void {
    if (this.disposed || name === undefined) return;
    const file = path.join(folder, name);
    if (name.endsWith('.py')) {
      this.onChange(file);
      return;
    }
    if (skipped(name) || this.watchers.has(file)) return;
    // A new folder (a package created or moved in): watch it and whatever it already holds.
    fs.stat(file, (error, stats) => {
      if (!error && stats.isDirectory() && !this.disposed) {
        this.watchTree(file);
        if (hasPythonFiles(file)) this.onChange(file);
      }
    });
  }
}

function skipped(name: string): boolean {
  return name.startsWith('.') || SKIPPED.has(name);
}

function hasPythonFiles(folder: string): boolean {
  try {
    return fs.readdirSync(folder).some((name) => name.endsWith('.py'));
  } catch {
    return false;
  }
}
