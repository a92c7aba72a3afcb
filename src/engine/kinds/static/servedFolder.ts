/**
 * The folder a static mount serves, as files are found in it: every path is resolved with
 * `realpath` and must lie inside the real root (a symlink out of it, or into a dot-folder, is not
 * served), and what was read is stored in the cache only when the cache's watches vouch for it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../../logger';
import type { CacheEntry, FileCache } from './cache';
import { entryFor, entryTag } from './entry';

/** O_NONBLOCK: opening a FIFO dropped in the folder must not block a libuv thread forever. */
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);
const NOT_FOUND_CODES = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG', 'ELOOP']);
const DENIED_CODES = new Set(['EACCES', 'EPERM']);

export type Resolved =
  | { readonly kind: 'file'; readonly entry: CacheEntry; readonly handle?: fs.promises.FileHandle }
  | { readonly kind: 'folder' | 'missing' | 'outside' | 'denied' };

export class ServedFolder {
  private readonly rootWithSep: string;
  private readonly reportedOutside = new Set<string>();

  constructor(
    /** Real path of the served folder. */
    private readonly root: string,
    private readonly cache: FileCache,
    /** Files up to this size are read whole (and cached); larger ones are streamed. */
    private readonly maxCachedFile: number,
    private readonly logger: Logger,
    private readonly name: string,
  ) {
    this.rootWithSep = root.endsWith(path.sep) ? root : root + path.sep;
  }

  /**
   * Finds a file by its decoded segments: realpath, containment in the real root, then open and
   * stat. Small files are read whole; a large file comes back open. Both are cached when their
   * folders could be watched before the read.
   */
  async resolve(segments: readonly string[]): Promise<Resolved> {
    const requested = path.join(this.root, ...segments);
    let real: string;
    try {
      real = await fs.promises.realpath(requested);
    } catch (error) {
      return fsFailure(error);
    }
    const realSegments = this.insideRoot(real);
    if (realSegments === undefined) return { kind: 'outside' };

    // Watches go in before the file is read, and the path is resolved again once they are live:
    // whatever changes after that point fires an event, which makes the cache refuse this fill.
    let cacheable = this.cache.watch(new Set([...folderChain(segments), ...folderChain(realSegments)]));
    const epoch = this.cache.epoch;
    if (cacheable) {
      const again = await fs.promises.realpath(requested).catch(() => undefined);
      if (again !== real) cacheable = false;
    }

    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(real, OPEN_FLAGS);
    } catch (error) {
      return fsFailure(error);
    }
    let keepOpen = false;
    try {
      const stat = await handle.stat();
      if (stat.isDirectory()) return { kind: 'folder' };
      if (!stat.isFile()) return { kind: 'missing' };
      const dependsOn = [...new Set([...pathChain(segments), ...pathChain(realSegments)])];
      const key = segments.join('/');
      if (stat.size <= this.maxCachedFile) {
        const body = await handle.readFile();
        const entry = entryFor(key, real, stat, body, dependsOn);
        if (cacheable && body.length <= this.maxCachedFile) this.cache.set(entry, epoch);
        return { kind: 'file', entry };
      }
      const entry = entryFor(key, real, stat, undefined, dependsOn);
      if (cacheable) this.cache.set(entry, epoch);
      keepOpen = true;
      return { kind: 'file', entry, handle };
    } finally {
      if (!keepOpen) await handle.close();
    }
  }

  /** Whether a folder exists inside the root, and its real path (for listings). */
  async resolveFolder(segments: readonly string[]): Promise<{ kind: 'folder'; real: string } | { kind: 'missing' | 'outside' }> {
    try {
      const real = await fs.promises.realpath(path.join(this.root, ...segments));
      if (this.insideRoot(real) === undefined) return { kind: 'outside' };
      return (await fs.promises.stat(real)).isDirectory() ? { kind: 'folder', real } : { kind: 'missing' };
    } catch (error) {
      if (NOT_FOUND_CODES.has((error as NodeJS.ErrnoException).code ?? '')) return { kind: 'missing' };
      throw error;
    }
  }

  /**
   * A cached large file opened again: its headers are known, its bytes are read now. The open file
   * is checked against the entry, so even a missed watch event cannot produce a wrong
   * Content-Length. 'stale' (the entry dropped) when the file is gone, or is now one to read whole.
   */
  async reopen(entry: CacheEntry): Promise<{ readonly entry: CacheEntry; readonly handle: fs.promises.FileHandle } | 'stale'> {
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(entry.realPath, OPEN_FLAGS);
    } catch {
      this.cache.delete(entry.key);
      return 'stale';
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile() || stat.size !== entry.size || entryTag(stat) !== entry.etag) {
        this.cache.delete(entry.key);
        if (!stat.isFile() || stat.size <= this.maxCachedFile) {
          await handle.close();
          return 'stale';
        }
        return { entry: entryFor(entry.key, entry.realPath, stat, undefined, entry.dependsOn), handle };
      }
    } catch (error) {
      await handle.close();
      throw error;
    }
    return { entry, handle };
  }

  /** The real path's segments below the root, or undefined when it is outside or hidden. */
  private insideRoot(real: string): string[] | undefined {
    if (real === this.root) return [];
    if (!real.startsWith(this.rootWithSep)) {
      this.reportOutside(real);
      return undefined;
    }
    const segments = real.slice(this.rootWithSep.length).split(path.sep);
    // A symlink may lead into a dot-folder that the request path does not show.
    return segments.every((s) => !s.startsWith('.')) ? segments : undefined;
  }

  private reportOutside(real: string): void {
    if (this.reportedOutside.size >= 100 || this.reportedOutside.has(real)) return;
    this.reportedOutside.add(real);
    this.logger.warn(`not serving ${real}: a symlink leads outside ${this.root}`, this.name);
  }
}

function fsFailure(error: unknown): Resolved {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (NOT_FOUND_CODES.has(code)) return { kind: 'missing' };
  if (code === 'EISDIR') return { kind: 'folder' };
  if (DENIED_CODES.has(code)) return { kind: 'denied' };
  throw error;
}

/** '' (the root) and every folder above the last segment: `a/b/c` gives '', 'a', 'a/b'. */
function folderChain(segments: readonly string[]): string[] {
  const folders = [''];
  for (let i = 1; i < segments.length; i++) folders.push(segments.slice(0, i).join('/'));
  return folders;
}

/** Every path from the first segment down: `a/b/c` gives 'a', 'a/b', 'a/b/c'. */
function pathChain(segments: readonly string[]): string[] {
  const paths: string[] = [];
  for (let i = 1; i <= segments.length; i++) paths.push(segments.slice(0, i).join('/'));
  return paths;
}
