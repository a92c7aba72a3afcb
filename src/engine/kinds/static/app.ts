/**
 * Static mounts: a folder served with send/serve-static semantics: ETag,
 * Last-Modified, conditional GET, Range, HEAD, Content-Type, `index.html` for folders, a 301 to
 * the trailing-slash URL for a folder, dotfiles 404, optional SPA fallback and folder listing.
 *
 * Speed comes from `static/cache.ts`: a request for a cached file (up to 1 MiB by default) is
 * answered from memory with precomputed headers and no file system call at all; a larger file is
 * opened, checked against its cached headers with one fstat, and streamed. Freshness comes from
 * folder watches (see that file).
 *
 * Safety does not rely on the engine's checks: every decoded segment is checked again (dotfiles,
 * separators, NUL), and every file is resolved with `realpath` and must lie inside the real root.
 *
 * Expected answers (404, 403, 405, 412, 416) are written with the engine's `sendPage`, since some
 * need headers of their own (`Allow`, `Content-Range`); unexpected failures go to `fail` (500).
 */
import * as fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import { pipeline } from 'node:stream';
// etag and mime-types are what send and serve-static use.
import entityTag from 'etag';
import * as mime from 'mime-types';
import type { Logger } from '../../logger';
import { acceptsHtml, escapeHtml, PAGE_CSP, sendPage } from '../../pages';
import type { StaticMountSpec } from '../../spec';
import { type App, type AppFactory, type FailRequest, type MountedRequest, readyStatus } from '../app';
import { WatchService, type FileWatching } from '../../watch/watching';
import { type CacheEntry, FileCache } from './cache';
import { isFresh, parseRange, preconditionFailed, rangeStillValid } from './conditional';
import { sendListing } from './listing';

export interface StaticAppOptions {
  /** Files up to this size are kept in memory. Default 1 MiB. */
  readonly maxCachedFileBytes?: number;
  /** Bound of the memory cache of one mount (least recently used files go first). Default 32 MiB. */
  readonly maxCacheBytes?: number;
  /** The engine's file watching; a test or a benchmark that makes the app alone leaves it out and the app has its own. */
  readonly watching?: FileWatching;
}

/**
 * Node has no sendfile for HTTP responses, so memory plays the page cache's part. Measured on a
 * 2-core machine against nginx (sendfile): a 1 MiB file streamed from disk per request reaches
 * 0.3-0.4x nginx whatever the read size (64 KiB to 1 MiB), the same file from memory ~1.3x.
 */
const DEFAULT_MAX_FILE = 1024 * 1024;
const DEFAULT_MAX_CACHE = 32 * 1024 * 1024;
/** Read size when streaming a file too large to cache: 256 KiB reads cost a third less CPU than 64 KiB ones. */
const STREAM_CHUNK = 256 * 1024;
const CACHE_CONTROL = 'public, max-age=0';
/** O_NONBLOCK: opening a FIFO dropped in the folder must not block a libuv thread forever. */
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);
const NOT_FOUND_CODES = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG', 'ELOOP']);
const DENIED_CODES = new Set(['EACCES', 'EPERM']);

/**
 * Creates the app of a static mount. Rejects when the folder does not exist or is not a folder,
 * naming the mount and the folder.
 */
export const createStaticApp: AppFactory<StaticMountSpec> = (spec, context) =>
  createStaticAppWith(spec, context.logger, { watching: context.watching });

/** `createStaticApp` with tunable cache sizes (tests and benchmarks). */
export async function createStaticAppWith(
  spec: StaticMountSpec,
  logger: Logger,
  options: StaticAppOptions,
): Promise<StaticApp> {
  let root: string;
  try {
    root = await fs.promises.realpath(spec.root);
    if (!(await fs.promises.stat(root)).isDirectory()) {
      throw new Error(`${spec.root} is not a folder`);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new Error(`folder ${spec.root} does not exist`);
    }
    if (code !== undefined) {
      throw new Error(`cannot open folder ${spec.root}: ${code}`);
    }
    throw error;
  }
  return new StaticApp(spec, root, logger, options);
}

type Resolved =
  | { readonly kind: 'file'; readonly entry: CacheEntry; readonly handle?: fs.promises.FileHandle }
  | { readonly kind: 'folder' | 'missing' | 'outside' | 'denied' };

/** The app of one static mount. */
export class StaticApp implements App {
  readonly status = readyStatus();
  private readonly cache: FileCache;
  private readonly rootWithSep: string;
  private readonly maxCachedFile: number;
  private readonly reportedOutside = new Set<string>();
  private readonly ownWatching: WatchService | undefined;

  constructor(
    private readonly spec: StaticMountSpec,
    /** Real path of the served folder. */
    private readonly root: string,
    private readonly logger: Logger,
    options: StaticAppOptions,
  ) {
    this.rootWithSep = root.endsWith(path.sep) ? root : root + path.sep;
    this.maxCachedFile = options.maxCachedFileBytes ?? DEFAULT_MAX_FILE;
    this.ownWatching = options.watching === undefined ? new WatchService() : undefined;
    this.cache = new FileCache({
      root,
      watching: options.watching ?? this.ownWatching!,
      maxBytes: options.maxCacheBytes ?? DEFAULT_MAX_CACHE,
      onWatchFailure: (folder, error) =>
        logger.warn(
          `cannot watch ${folder} (${(error as NodeJS.ErrnoException).code ?? String(error)}): ` +
            'files there are read from disk on every request',
          spec.name,
        ),
    });
  }

  handle(req: MountedRequest, res: ServerResponse, fail: FailRequest): void {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') {
      this.page(req, res, 405, `${method ?? 'This method'} is not allowed here: static files answer GET and HEAD`, {
        Allow: 'GET, HEAD',
      });
      return;
    }
    const url = req.url;
    const query = url.indexOf('?');
    const pathname = query === -1 ? url : url.slice(0, query);
    // The fast path: a plain path needs no decoding and maps straight to a cache key.
    if (isPlainPath(pathname) && !this.isBareMountPath(req, pathname)) {
      const entry = this.cache.get(cacheKey(pathname.slice(1)));
      if (entry !== undefined) {
        if (entry.body !== undefined) this.serveEntry(req, res, entry, undefined);
        else void this.serveLargeHit(req, res, entry, fail).catch(fail);
        return;
      }
    }
    void this.serveMiss(req, res, pathname, fail).catch(fail);
  }

  async close(): Promise<void> {
    this.cache.close();
    await this.ownWatching?.close();
  }

  /** For tests: how many files are cached and how many folders are watched. */
  get stats(): { readonly entries: number; readonly watchedFolders: number } {
    return { entries: this.cache.size, watchedFolders: this.cache.watchedFolders };
  }

  /**
   * `req.url` is '/' both for `/docs` and `/docs/` under prefix `/docs`; like serve-static, only the
   * original URL tells them apart, and `/docs` must redirect.
   */
  private isBareMountPath(req: MountedRequest, pathname: string): boolean {
    if (pathname !== '/' || !req.baseUrl) return false;
    const original = req.originalUrl ?? req.url;
    const query = original.indexOf('?');
    return !(query === -1 ? original : original.slice(0, query)).endsWith('/');
  }

  private async serveMiss(req: MountedRequest, res: ServerResponse, pathname: string, fail: FailRequest): Promise<void> {
    if (!pathname.startsWith('/')) {
      this.page(req, res, 400, 'The request path must start with /');
      return;
    }
    const parts = pathname.split('/');
    const trailingSlash = parts[parts.length - 1] === '' && !this.isBareMountPath(req, pathname);
    const segments: string[] = [];
    for (let i = 1; i < parts.length; i++) {
      if (parts[i] === '') continue;
      let segment: string;
      try {
        segment = parts[i].includes('%') ? decodeURIComponent(parts[i]) : parts[i];
      } catch {
        this.page(req, res, 400, 'The request path has malformed percent-encoding');
        return;
      }
      if (segment.includes('\0')) {
        this.page(req, res, 400, 'The request path contains a NUL byte');
        return;
      }
      // Dotfiles and dot-folders, `..` in any encoding, and separators smuggled inside a segment
      // (`..%2f`, `%5c..%5c`) never name a servable file.
      if (!isSafeSegment(segment)) {
        this.notFound(req, res, pathname);
        return;
      }
      segments.push(segment);
    }

    const target = trailingSlash ? [...segments, 'index.html'] : segments;
    const cached = this.cache.get(target.join('/'));
    if (cached !== undefined) {
      await this.serveHit(req, res, cached, fail);
      return;
    }

    const found = await this.resolve(target);
    if (found.kind === 'file') {
      this.serveEntry(req, res, found.entry, found.handle);
      return;
    }
    if (found.kind === 'folder' && !trailingSlash) {
      this.redirectToFolder(req, res);
      return;
    }
    if (found.kind === 'outside') {
      this.notFound(req, res, pathname);
      return;
    }
    if (found.kind === 'denied') {
      this.page(req, res, 403, `Permission denied reading ${this.shown(req, pathname)}`);
      return;
    }
    if (trailingSlash && this.spec.listing) {
      const folder = await this.resolveFolder(segments);
      if (folder.kind === 'folder') {
        await sendListing(req, res, folder.real, this.shown(req, pathname), segments.length > 0);
        return;
      }
      if (folder.kind === 'outside') {
        this.notFound(req, res, pathname);
        return;
      }
    }
    await this.fallBack(req, res, pathname, fail);
  }

  /**
   * A cache hit: from memory, or streamed from disk for a file too large to keep. (`handle` has
   * this inline, without the promise, for the hot path.)
   */
  private async serveHit(req: MountedRequest, res: ServerResponse, entry: CacheEntry, fail: FailRequest): Promise<void> {
    if (entry.body !== undefined) this.serveEntry(req, res, entry, undefined);
    else await this.serveLargeHit(req, res, entry, fail);
  }

  /** No file answers the request: the SPA's index.html for a browser navigation, else 404. */
  private async fallBack(req: MountedRequest, res: ServerResponse, pathname: string, fail: FailRequest): Promise<void> {
    if (this.spec.spa && acceptsHtml(req)) {
      const cached = this.cache.get('index.html');
      if (cached !== undefined) {
        await this.serveHit(req, res, cached, fail);
        return;
      }
      const index = await this.resolve(['index.html']);
      if (index.kind === 'file') {
        this.serveEntry(req, res, index.entry, index.handle);
        return;
      }
    }
    this.notFound(req, res, pathname);
  }

  /**
   * Finds a file by its decoded segments: realpath, containment in the real root, then open and
   * stat. Small files are read whole; a large file comes back open. Both are cached when their
   * folders could be watched before the read.
   */
  private async resolve(segments: readonly string[]): Promise<Resolved> {
    const requested = path.join(this.root, ...segments);
    let real: string;
    try {
      real = await fs.promises.realpath(requested);
    } catch (error) {
      return this.fsFailure(error);
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
      return this.fsFailure(error);
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
        const entry = this.makeEntry(key, real, stat, body, dependsOn);
        if (cacheable && body.length <= this.maxCachedFile) this.cache.set(entry, epoch);
        return { kind: 'file', entry };
      }
      const entry = this.makeEntry(key, real, stat, undefined, dependsOn);
      if (cacheable) this.cache.set(entry, epoch);
      keepOpen = true;
      return { kind: 'file', entry, handle };
    } finally {
      if (!keepOpen) await handle.close();
    }
  }

  /** Whether a folder exists inside the root, and its real path (for listings). */
  private async resolveFolder(segments: readonly string[]): Promise<{ kind: 'folder'; real: string } | { kind: 'missing' | 'outside' }> {
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
   * A cached large file: its headers are known, its bytes are read now. The open file is checked
   * against the entry, so even a missed watch event cannot produce a wrong Content-Length.
   */
  private async serveLargeHit(req: MountedRequest, res: ServerResponse, entry: CacheEntry, fail: FailRequest): Promise<void> {
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(entry.realPath, OPEN_FLAGS);
    } catch {
      this.cache.delete(entry.key);
      await this.serveMiss(req, res, req.url.split('?')[0], fail);
      return;
    }
    let current = entry;
    try {
      const stat = await handle.stat();
      if (!stat.isFile() || stat.size !== entry.size || entryTag(stat) !== entry.etag) {
        this.cache.delete(entry.key);
        if (!stat.isFile() || stat.size <= this.maxCachedFile) {
          await handle.close();
          await this.serveMiss(req, res, req.url.split('?')[0], fail);
          return;
        }
        current = this.makeEntry(entry.key, entry.realPath, stat, undefined, entry.dependsOn);
      }
    } catch (error) {
      await handle.close();
      throw error;
    }
    this.serveEntry(req, res, current, handle);
  }

  /**
   * Answers from an entry: 412, 304, 416, 206 or 200. `handle` is the open file of a large entry
   * (closed here on every path); small entries carry their body.
   */
  private serveEntry(req: IncomingMessage, res: ServerResponse, entry: CacheEntry, handle: fs.promises.FileHandle | undefined): void {
    const headers = req.headers;
    if (
      (headers['if-match'] !== undefined || headers['if-unmodified-since'] !== undefined) &&
      preconditionFailed(headers, entry)
    ) {
      closeQuietly(handle);
      this.page(req, res, 412, 'The file does not match the request preconditions');
      return;
    }
    if ((headers['if-none-match'] !== undefined || headers['if-modified-since'] !== undefined) && isFresh(headers, entry)) {
      closeQuietly(handle);
      res.writeHead(304, ['ETag', entry.etag, 'Last-Modified', entry.lastModified, 'Cache-Control', CACHE_CONTROL]);
      res.end();
      return;
    }
    let start = 0;
    let end = entry.size - 1;
    let status = 200;
    if (headers.range !== undefined && rangeStillValid(headers, entry)) {
      const range = parseRange(entry.size, headers.range);
      if (range === 'unsatisfiable') {
        closeQuietly(handle);
        this.page(req, res, 416, `The range ${headers.range} is outside the file (${entry.size} bytes)`, {
          'Content-Range': `bytes */${entry.size}`,
        });
        return;
      }
      if (range !== 'ignore') {
        status = 206;
        start = range.start;
        end = range.end;
      }
    }
    if (status === 200) {
      res.writeHead(200, entry.headers as string[]);
    } else {
      res.writeHead(206, [
        ...entry.headers.slice(0, -2),
        'Content-Range',
        `bytes ${start}-${end}/${entry.size}`,
        'Content-Length',
        String(end - start + 1),
      ]);
    }
    if (req.method === 'HEAD' || entry.size === 0) {
      closeQuietly(handle);
      res.end();
      return;
    }
    if (entry.body !== undefined) {
      res.end(status === 200 ? entry.body : entry.body.subarray(start, end + 1));
      return;
    }
    if (handle === undefined) throw new Error(`large file ${entry.key} served without an open file`);
    const stream = handle.createReadStream({ start, end, highWaterMark: Math.min(STREAM_CHUNK, end - start + 1) });
    // Headers are out: a read error can only cut the response, which pipeline does by destroying it.
    pipeline(stream, res, () => {});
  }

  private makeEntry(key: string, realPath: string, stat: fs.Stats, body: Buffer | undefined, dependsOn: readonly string[]): CacheEntry {
    const size = body?.length ?? stat.size;
    // Files read whole get a content hash, so a same-size rewrite within the same clock tick still
    // changes the tag; streamed files a tag from inode, size and microsecond mtime (see entryTag).
    const etag = body !== undefined ? entityTag(body) : entryTag(stat);
    const lastModified = new Date(stat.mtimeMs).toUTCString();
    const contentType = mime.contentType(path.extname(realPath)) || 'application/octet-stream';
    return {
      key,
      realPath,
      size,
      etag,
      lastModified,
      lastModifiedTime: Math.floor(stat.mtimeMs / 1000) * 1000,
      body,
      dependsOn,
      headers: [
        'Accept-Ranges', 'bytes',
        'Cache-Control', CACHE_CONTROL,
        'Last-Modified', lastModified,
        'ETag', etag,
        'Content-Type', contentType,
        'Content-Length', String(size),
      ],
    };
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
    this.logger.warn(`not serving ${real}: a symlink leads outside ${this.root}`, this.spec.name);
  }

  private fsFailure(error: unknown): Resolved {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (NOT_FOUND_CODES.has(code)) return { kind: 'missing' };
    if (code === 'EISDIR') return { kind: 'folder' };
    if (DENIED_CODES.has(code)) return { kind: 'denied' };
    throw error;
  }

  /** 301 to the folder URL with a trailing slash, built from the original URL, query kept. */
  private redirectToFolder(req: MountedRequest, res: ServerResponse): void {
    let original = req.originalUrl ?? req.url;
    original = original.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/, ''); // absolute-form target
    const query = original.indexOf('?');
    const pathPart = query === -1 ? original : original.slice(0, query);
    // `//host` or `/\host` would be read by browsers as another origin.
    const folderPath = `/${pathPart.replace(/^[/\\]+/, '')}/`;
    const location = encodeUrl(folderPath + (query === -1 ? '' : original.slice(query)));
    const body =
      '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Redirecting</title></head>' +
      `<body><p>Redirecting to <a href="${escapeHtml(location)}">${escapeHtml(location)}</a></p></body></html>\n`;
    res.writeHead(301, {
      Location: location,
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Content-Security-Policy': PAGE_CSP,
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private notFound(req: MountedRequest, res: ServerResponse, pathname: string): void {
    this.page(req, res, 404, `No file ${this.shown(req, pathname)} in ${this.spec.name}`);
  }

  private shown(req: MountedRequest, pathname: string): string {
    return (req.baseUrl ?? '') + pathname;
  }

  private page(req: IncomingMessage, res: ServerResponse, status: number, message: string, headers?: Record<string, string>): void {
    sendPage(req, res, { status, message, headers });
  }
}

/** True for a path the fast path may use as is: no encoding, dot segment, empty segment or backslash. */
function isPlainPath(pathname: string): boolean {
  return (
    pathname.charCodeAt(0) === 47 &&
    !pathname.includes('%') &&
    !pathname.includes('/.') &&
    !pathname.includes('//') &&
    !pathname.includes('\\') &&
    !pathname.includes(':') &&
    !pathname.includes('\0')
  );
}

/** The cache key of a path relative to the root: folders map to their index.html. */
function cacheKey(relative: string): string {
  return relative === '' || relative.endsWith('/') ? `${relative}index.html` : relative;
}

function isSafeSegment(segment: string): boolean {
  return (
    !segment.startsWith('.') &&
    !segment.includes('/') &&
    !segment.includes('\\') &&
    (process.platform !== 'win32' || !segment.includes(':'))
  );
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

/**
 * The `etag` package tags a Stats by size and millisecond mtime only; an atomic save (a new inode)
 * of the same size within the same millisecond would keep its tag, so this one adds the inode and
 * microseconds.
 */
function entryTag(stat: fs.Stats): string {
  return `"${stat.ino.toString(16)}-${stat.size.toString(16)}-${Math.round(stat.mtimeMs * 1000).toString(16)}"`;
}

/** Percent-encodes what may not appear in a URL, keeping valid escapes (the `encodeurl` rule, plus backslash). */
function encodeUrl(url: string): string {
  return url
    .replace(/(^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]|[\uD800-\uDBFF]([^\uDC00-\uDFFF]|$)/g, '$1\uFFFD$2')
    .replace(
      /(?:[^\x21\x23-\x3B\x3D\x3F-\x5B\x5D-\x5F\x61-\x7A\x7C\x7E]|%(?:[^0-9A-Fa-f]|[0-9A-Fa-f][^0-9A-Fa-f]|$))+/g,
      encodeURI,
    );
}

function closeQuietly(handle: fs.promises.FileHandle | undefined): void {
  if (handle !== undefined) void handle.close().catch(() => {});
}
