/**
 * Static mounts: a folder served with send/serve-static semantics: ETag,
 * Last-Modified, conditional GET, Range, HEAD, Content-Type, `index.html` for folders, a 301 to
 * the trailing-slash URL for a folder, dotfiles 404, optional SPA fallback and folder listing.
 * This file decides which answer a request gets; the parts do the rest: `requestPath.ts` reads the
 * path, `servedFolder.ts` finds the file, `sendEntry.ts` answers for it (validators, ranges),
 * `entry.ts` computes its headers once, `redirect.ts` and `listing.ts` answer for folders.
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
import type { Logger } from '../../logger';
import { acceptsHtml, sendPage } from '../../pages';
import type { StaticMountSpec } from '../../spec';
import { type App, type AppFactory, type FailRequest, type MountedRequest, readyStatus } from '../app';
import { WatchService, type FileWatching } from '../../watch/watching';
import { type CacheEntry, FileCache } from './cache';
import { sendListing } from './listing';
import { redirectToFolder } from './redirect';
import { cacheKey, decodedSegments, isPlainPath } from './requestPath';
import { sendEntry } from './sendEntry';
import { ServedFolder } from './servedFolder';

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

/** The app of one static mount: which answer a request gets; finding files is `ServedFolder`'s. */
export class StaticApp implements App {
  readonly status = readyStatus();
  private readonly cache: FileCache;
  private readonly folder: ServedFolder;
  private readonly ownWatching: WatchService | undefined;

  constructor(
    private readonly spec: StaticMountSpec,
    /** Real path of the served folder. */
    root: string,
    logger: Logger,
    options: StaticAppOptions,
  ) {
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
    this.folder = new ServedFolder(root, this.cache, options.maxCachedFileBytes ?? DEFAULT_MAX_FILE, logger, spec.name);
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
        if (entry.body !== undefined) sendEntry(req, res, entry, undefined);
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
    const segments = decodedSegments(pathname);
    if (segments === 'unsafe') {
      this.notFound(req, res, pathname);
      return;
    }
    if (!Array.isArray(segments)) {
      this.page(req, res, 400, segments.malformed);
      return;
    }
    const trailingSlash = pathname.endsWith('/') && !this.isBareMountPath(req, pathname);
    const target = trailingSlash ? [...segments, 'index.html'] : segments;
    const cached = this.cache.get(target.join('/'));
    if (cached !== undefined) {
      await this.serveHit(req, res, cached, fail);
      return;
    }
    const found = await this.folder.resolve(target);
    if (found.kind === 'missing' || (found.kind === 'folder' && trailingSlash)) {
      // No file (a folder URL without an index.html among them): its listing, the SPA's page or 404.
      const listed = trailingSlash && this.spec.listing && (await this.list(req, res, pathname, segments));
      if (!listed) await this.fallBack(req, res, pathname, fail);
    } else if (found.kind === 'file') sendEntry(req, res, found.entry, found.handle);
    else if (found.kind === 'folder') redirectToFolder(req, res);
    else if (found.kind === 'outside') this.notFound(req, res, pathname);
    else this.page(req, res, 403, `Permission denied reading ${this.shown(req, pathname)}`);
  }

  /** The folder's listing, or a 404 for one outside the root; false when there is no such folder. */
  private async list(req: MountedRequest, res: ServerResponse, pathname: string, segments: readonly string[]): Promise<boolean> {
    const folder = await this.folder.resolveFolder(segments);
    if (folder.kind === 'folder') await sendListing(req, res, folder.real, this.shown(req, pathname), segments.length > 0);
    else if (folder.kind === 'outside') this.notFound(req, res, pathname);
    else return false;
    return true;
  }

  /**
   * A cache hit: from memory, or streamed from disk for a file too large to keep. (`handle` has
   * this inline, without the promise, for the hot path.)
   */
  private async serveHit(req: MountedRequest, res: ServerResponse, entry: CacheEntry, fail: FailRequest): Promise<void> {
    if (entry.body !== undefined) sendEntry(req, res, entry, undefined);
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
      const index = await this.folder.resolve(['index.html']);
      if (index.kind === 'file') {
        sendEntry(req, res, index.entry, index.handle);
        return;
      }
    }
    this.notFound(req, res, pathname);
  }

  /** A cached large file, streamed when it is still the file its entry describes, else looked up again. */
  private async serveLargeHit(req: MountedRequest, res: ServerResponse, entry: CacheEntry, fail: FailRequest): Promise<void> {
    const opened = await this.folder.reopen(entry);
    if (opened === 'stale') await this.serveMiss(req, res, req.url.split('?')[0], fail);
    else sendEntry(req, res, opened.entry, opened.handle);
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
