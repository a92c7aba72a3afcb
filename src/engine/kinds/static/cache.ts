/**
 * The static app's file cache: what it learned about a file (its real path, validators, headers
 * and, for small files, its bytes), kept only while a file watcher vouches that nothing on the
 * way to the file changed.
 *
 * Invalidation. An entry for `a/b/c.js` depends on the paths `a`, `a/b`, `a/b/c.js` (and, when
 * symlinks are involved, on the same chain of its real path). Every folder of those chains is
 * watched by the engine's file watching for its own entries (`watchEntries`: the event of a write
 * arrives before the next request is answered, where a recursive watch's batches come 50 ms late):
 * a folder watch reports every create, delete, rename and write of its children by name, whatever
 * inode the name points to now. An event for `<folder>/<name>` drops the entries that depend on
 * that path, and the watches at or below it. Only folders holding cached files are watched.
 *
 * A fill is stored only when no watch event at all arrived between the moment its watches were in
 * place and the moment it is stored (the `epoch`), so a change racing with a read is never kept.
 * A folder that cannot be watched (inotify limit, permissions) makes its files uncacheable: they
 * are served from disk on every request, never stale.
 */
import * as path from 'node:path';
import type { Disposable } from '../../events';
import type { FileWatching } from '../../watch/watching';

/** What the static app needs to answer for one file without touching the disk (small files). */
export interface CacheEntry {
  /** Slash-separated path relative to the root, as requested (decoded). */
  readonly key: string;
  /** Absolute real path, checked to be inside the root. */
  readonly realPath: string;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: string;
  readonly lastModifiedTime: number;
  /** The 200 response headers, as a flat `[name, value, ...]` list for `writeHead`. */
  readonly headers: readonly string[];
  /** The whole file when it is small enough to keep; undefined for files streamed from disk. */
  readonly body: Buffer | undefined;
  /** Paths (relative, slash-separated) whose change invalidates this entry. */
  readonly dependsOn: readonly string[];
}

export interface FileCacheOptions {
  /** Absolute real path of the served folder. */
  readonly root: string;
  readonly watching: FileWatching;
  /** Total bytes of bodies (plus a per-entry overhead) kept. */
  readonly maxBytes: number;
  /** Called once when a folder cannot be watched, with the reason. */
  readonly onWatchFailure: (folder: string, error: unknown) => void;
}

/** Counted for every entry, so a flood of empty files is bounded too. */
const ENTRY_OVERHEAD = 512;

export class FileCache {
  /** Insertion order is recency order: the first entry is the least recently used. */
  private readonly entries = new Map<string, CacheEntry>();
  private readonly dependents = new Map<string, Set<CacheEntry>>();
  /** Folder watches by relative folder path, '' for the root. */
  private readonly watchers = new Map<string, Disposable>();
  private bytes = 0;
  private epochValue = 0;
  private closed = false;
  private warned = false;

  constructor(private readonly options: FileCacheOptions) {}

  /** Changes whenever a watch event arrives; a fill compares it before storing. */
  get epoch(): number {
    return this.epochValue;
  }

  get size(): number {
    return this.entries.size;
  }

  get watchedFolders(): number {
    return this.watchers.size;
  }

  get(key: string): CacheEntry | undefined {
    const entry = this.entries.get(key);
    if (entry !== undefined && this.entries.size > 1) {
      // Move to the most recent end; Map keeps insertion order.
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  /**
   * Makes sure each folder (relative, slash-separated; '' is the root) is watched. Returns false
   * when one cannot be: the caller must not cache what lives below it. This is the only
   * synchronous call the app makes (one inotify_add_watch per folder, the first time a file
   * below it is cached).
   */
  watch(folders: Iterable<string>): boolean {
    if (this.closed) return false;
    for (const folder of folders) {
      if (this.watchers.has(folder)) continue;
      const absolute = folder === '' ? this.options.root : path.join(this.options.root, ...folder.split('/'));
      let watcher: Disposable;
      try {
        watcher = this.options.watching.watchEntries(
          absolute,
          (name) => this.onEvent(folder, absolute, name),
          (error) => this.onWatchError(folder, absolute, error),
        );
      } catch (error) {
        // A folder that vanished since it was resolved is a race, not a watching problem.
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') this.reportWatchFailure(absolute, error);
        return false;
      }
      this.watchers.set(folder, watcher);
    }
    return true;
  }

  /** Stores an entry filled while the epoch was `epoch`; refuses (false) if anything changed since. */
  set(entry: CacheEntry, epoch: number): boolean {
    if (this.closed || epoch !== this.epochValue) return false;
    const cost = (entry.body?.length ?? 0) + ENTRY_OVERHEAD;
    if (cost > this.options.maxBytes) return false;
    this.delete(entry.key);
    this.entries.set(entry.key, entry);
    this.bytes += cost;
    for (const dep of entry.dependsOn) {
      let set = this.dependents.get(dep);
      if (set === undefined) this.dependents.set(dep, (set = new Set()));
      set.add(entry);
    }
    for (const [key] of this.entries) {
      if (this.bytes <= this.options.maxBytes) break;
      this.delete(key);
    }
    return true;
  }

  /** Drops one entry, e.g. a large file whose open failed. */
  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.bytes -= (entry.body?.length ?? 0) + ENTRY_OVERHEAD;
    for (const dep of entry.dependsOn) {
      const set = this.dependents.get(dep);
      if (set === undefined) continue;
      set.delete(entry);
      if (set.size === 0) this.dependents.delete(dep);
    }
  }

  clear(): void {
    this.epochValue++;
    this.entries.clear();
    this.dependents.clear();
    this.bytes = 0;
  }

  close(): void {
    this.closed = true;
    for (const watcher of this.watchers.values()) watcher.dispose();
    this.watchers.clear();
    this.clear();
  }

  private onWatchError(folder: string, absolute: string, error: Error): void {
    this.reportWatchFailure(absolute, error);
    this.epochValue++;
    this.dropWatches(folder);
    this.invalidateBelow(folder);
  }

  private onEvent(folder: string, absolute: string, name: string | undefined): void {
    this.epochValue++;
    if (name === undefined) {
      // Linux reports no name on a queue overflow: anything may have changed.
      this.dropWatches('');
      this.clear();
      return;
    }
    const changed = folder === '' ? name : `${folder}/${name}`;
    this.dropWatches(changed);
    for (const entry of [...(this.dependents.get(changed) ?? [])]) this.delete(entry.key);
    if (name === path.basename(absolute)) {
      // The folder itself may have been deleted or moved (libuv names it by its own basename):
      // its watch is dead, so nothing below it can be trusted any more.
      this.dropWatches(folder);
      this.invalidateBelow(folder);
    }
  }

  /** Closes the watch of `folder` and of every folder below it. */
  private dropWatches(folder: string): void {
    for (const [key, watcher] of this.watchers) {
      if (folder === '' || key === folder || key.startsWith(`${folder}/`)) {
        watcher.dispose();
        this.watchers.delete(key);
      }
    }
  }

  /** Drops every entry that depends on `folder` ('' drops them all). */
  private invalidateBelow(folder: string): void {
    if (folder === '') {
      this.clear();
      return;
    }
    for (const entry of [...(this.dependents.get(folder) ?? [])]) this.delete(entry.key);
  }

  private reportWatchFailure(folder: string, error: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.options.onWatchFailure(folder, error);
  }
}
