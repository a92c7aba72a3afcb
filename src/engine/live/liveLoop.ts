/**
 * The live loop of one engine: serves `/__mounts/live.js`, keeps the pages connected on
 * `/__mounts/live` grouped by the mount that served them, and turns changes into messages:
 * `reload` to that mount's pages, `css` (a stylesheet to swap) to every page. Changes are coalesced
 * per mount, so a build writing 50 files reloads a page once.
 *
 * Static mounts have no other source of change events: their folders are watched while at least
 * one page is open (any mount's: a page may link another mount's stylesheet), and only then. A page
 * counts as live (`pageCount`) once those watches are in place, so a change after that reloads it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Disposable } from '../events';
import type { Logger } from '../logger';
import { kindOf } from '../kinds/registry';
import { sendPage } from '../pages';
import { mountId, type MountSpec } from '../spec';
import { LIVE_CLIENT_ETAG, LIVE_CLIENT_SOURCE } from './client';
import { isDocumentNavigation } from './documents';
import { injectLiveScript } from './inject';
import { LIVE_SCRIPT_PATH, LIVE_SOCKET_PATH } from './namespace';
import type { FileWatching } from '../watch/watching';
import { tagSuffix, translateConditional, varyWithoutInjection } from './validators';

export interface LiveMount {
  readonly spec: MountSpec;
  /** Express's `req.baseUrl` of the mount: '' for the catch-all. */
  readonly baseUrl: string;
}

export interface LiveLoopOptions {
  readonly logger: Logger;
  readonly watching: FileWatching;
  /** The mounts served right now. */
  readonly mounts: () => readonly LiveMount[];
  /** Off: no page gets the script and no message goes out. Default true. */
  readonly enabled?: boolean;
  /** Milliseconds of quiet that end a burst of changes. Default 100. */
  readonly quietMs?: number;
  /** A burst that never goes quiet still reloads after this many milliseconds. Default 1000. */
  readonly maxWaitMs?: number;
}

interface Pending {
  reload: boolean;
  readonly stylesheets: Set<string>;
  readonly since: number;
  timer: NodeJS.Timeout;
}

interface FolderWatch {
  readonly root: string;
  /** Undefined while the watch is being put in place. */
  subscription: Disposable | undefined;
}

const SCRIPT_BODY = Buffer.from(LIVE_CLIENT_SOURCE);
/** Longest mount id a page may name: a host name and a prefix. */
const MAX_ID_LENGTH = 2048;

export class LiveLoop {
  enabled: boolean;
  /**
   * Made for the first page that connects, not at start: see the yaml package in export/gateway.ts
   * for what loading such packages up front costs every engine process start.
   */
  private sockets: WebSocketServer | undefined;
  /** Open pages by the id of the mount that served them. */
  private readonly pages = new Map<string, Set<WebSocket>>();
  private readonly pending = new Map<string, Pending>();
  private readonly watches = new Map<string, FolderWatch>();
  /** Changes of the watched folders, one after the other. */
  private syncing: Promise<void> = Promise.resolve();
  /** Pages connected whose mounts' folders are not watched yet: not counted by `pageCount`. */
  private readonly joining = new Set<WebSocket>();
  private readonly quietMs: number;
  private readonly maxWaitMs: number;

  constructor(private readonly options: LiveLoopOptions) {
    this.enabled = options.enabled ?? true;
    this.quietMs = options.quietMs ?? 100;
    this.maxWaitMs = options.maxWaitMs ?? 1000;
  }

  /** Whether an HTML page of this mount gets the script now. */
  injects(spec: MountSpec): boolean {
    return this.enabled && spec.liveReload;
  }

  /**
   * Readies a request to a mount that `injects`: a navigation's HTML answer gets the script (and
   * its conditional headers are read for the injected copy), any other GET's says that it varies.
   */
  prepare(req: IncomingMessage, res: ServerResponse, spec: MountSpec): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') return;
    if (!isDocumentNavigation(req)) {
      varyWithoutInjection(res);
      return;
    }
    const id = mountId(spec);
    translateConditional(req, tagSuffix(id));
    injectLiveScript(res, id, (message) => this.options.logger.warn(`live reload: ${message}`, spec.name));
  }

  /** Answers a request for a path under `/__mounts/`. */
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    if (pathname !== LIVE_SCRIPT_PATH) {
      sendPage(req, res, { status: 404, message: `Nothing at ${pathname}: /__mounts/ is reserved for the live reload script.` });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendPage(req, res, { status: 405, message: `${req.method} is not allowed here`, headers: { Allow: 'GET, HEAD' } });
      return;
    }
    const headers = { ETag: LIVE_CLIENT_ETAG, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };
    if (req.headers['if-none-match'] === LIVE_CLIENT_ETAG) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript; charset=utf-8', 'Content-Length': SCRIPT_BODY.length });
    res.end(req.method === 'HEAD' ? undefined : SCRIPT_BODY);
  }

  /**
   * Takes an upgrade for a path under `/__mounts/` that passed the Host and Origin checks.
   * False when it is not the live socket's path (the caller refuses it).
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, pathname: string, search: string): boolean {
    if (pathname !== LIVE_SOCKET_PATH) return false;
    const id = new URLSearchParams(search).get('mount') ?? '';
    if (id.length > MAX_ID_LENGTH) return false;
    this.sockets ??= new (require('ws') as typeof import('ws')).WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1024, clientTracking: false });
    this.sockets.handleUpgrade(req, socket, head, (page) => this.adopt(page, id));
    return true;
  }

  /** A mount's app has new code, a new process that is ready, or a new definition: its pages reload. */
  reload(id: string): void {
    this.changed(id, undefined);
  }

  /** A file below a static mount changed; `urlPath` is where that mount serves it. */
  fileChanged(id: string, urlPath: string): void {
    this.changed(id, urlPath);
  }

  /** How many pages are connected (for a mount, or in all). */
  pageCount(id?: string): number {
    let count = 0;
    for (const [pageId, set] of this.pages) {
      if (id !== undefined && pageId !== id) continue;
      for (const page of set) if (!this.joining.has(page)) count++;
    }
    return count;
  }

  /** The mounts changed (mounts.json was applied): watch the static folders now served. */
  mountsChanged(): void {
    this.syncWatches();
  }

  /** Ends every page's socket, watch and timer (the engine stops). */
  close(): void {
    for (const pending of this.pending.values()) clearTimeout(pending.timer);
    this.pending.clear();
    for (const set of this.pages.values()) for (const page of set) page.terminate();
    this.pages.clear();
    this.joining.clear();
    for (const id of [...this.watches.keys()]) this.unwatch(id);
  }

  private adopt(page: WebSocket, id: string): void {
    let set = this.pages.get(id);
    if (!set) this.pages.set(id, (set = new Set()));
    set.add(page);
    this.joining.add(page);
    page.on('error', () => page.terminate());
    page.on('close', () => {
      set.delete(page);
      this.joining.delete(page);
      if (set.size === 0 && this.pages.get(id) === set) {
        this.pages.delete(id);
        if (this.pages.size === 0) this.syncWatches();
      }
    });
    if (this.watches.size === 0) this.syncWatches();
    // The tail of the queue: once it is done, every watch this page needs is in place.
    void this.syncing.then(() => this.joining.delete(page));
  }

  private changed(id: string, stylesheetOrFile: string | undefined): void {
    const isStylesheet = stylesheetOrFile !== undefined && /\.css$/i.test(stylesheetOrFile);
    let pending = this.pending.get(id);
    if (!pending) {
      pending = { reload: false, stylesheets: new Set(), since: Date.now(), timer: undefined as unknown as NodeJS.Timeout };
      this.pending.set(id, pending);
    }
    if (isStylesheet) pending.stylesheets.add(stylesheetOrFile);
    else pending.reload = true;
    clearTimeout(pending.timer);
    const wait = Math.max(0, Math.min(this.quietMs, pending.since + this.maxWaitMs - Date.now()));
    pending.timer = setTimeout(() => this.flush(id), wait);
  }

  private flush(id: string): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    if (!this.enabled) return;
    if (pending.reload) {
      const pages = this.pages.get(id);
      if (pages) send(pages, JSON.stringify({ type: 'reload' }));
      return;
    }
    // Any page may link a stylesheet of another mount: every page hears of it.
    const message = JSON.stringify({ type: 'css', mount: id, paths: [...pending.stylesheets] });
    for (const pages of this.pages.values()) send(pages, message);
  }

  /** Watches the folder of every mount that serves files as they are while a page is open, none otherwise. */
  private syncWatches(): void {
    this.syncing = this.syncing.then(() => this.applyWatches());
  }

  private async applyWatches(): Promise<void> {
    const wanted = new Map<string, { mount: LiveMount; root: string }>();
    if (this.pages.size > 0) {
      for (const mount of this.options.mounts()) {
        const root = kindOf(mount.spec).liveFilesFolder(mount.spec);
        if (root !== undefined) wanted.set(mountId(mount.spec), { mount, root });
      }
    }
    for (const [id, watch] of [...this.watches]) {
      if (wanted.get(id)?.root !== watch.root) this.unwatch(id);
    }
    const added = [...wanted].filter(([id]) => !this.watches.has(id));
    await Promise.all(added.map(([id, { mount, root }]) => this.watch(id, mount, root)));
  }

  private async watch(id: string, mount: LiveMount, root: string): Promise<void> {
    const watch: FolderWatch = { root, subscription: undefined };
    this.watches.set(id, watch);
    const onError = (error: Error) => {
      this.options.logger.warn(`live reload stopped watching ${root}: ${error.message}`, mount.spec.name);
      this.unwatch(id);
    };
    try {
      // A page's files may be anywhere below the root.
      const subscription = await this.options.watching.subscribe(root, { onError }, (files) => {
        for (const file of files) this.staticFileChanged(mount, path.relative(root, file));
      });
      if (this.watches.get(id) === watch) watch.subscription = subscription;
      else subscription.dispose();
    } catch (error) {
      if (this.watches.get(id) === watch) this.watches.delete(id);
      this.options.logger.warn(`live reload cannot watch ${root}: ${(error as Error).message}`, mount.spec.name);
    }
  }

  private staticFileChanged(mount: LiveMount, relative: string): void {
    const segments = relative.split(path.sep);
    // Hidden files and folders are never served (.git, editor swap files).
    if (segments.some((segment) => segment.startsWith('.'))) return;
    this.fileChanged(mountId(mount.spec), `${mount.baseUrl}/${segments.map(encodeURIComponent).join('/')}`);
  }

  private unwatch(id: string): void {
    const watch = this.watches.get(id);
    if (!watch) return;
    this.watches.delete(id);
    watch.subscription?.dispose();
  }
}

function send(pages: Iterable<WebSocket>, message: string): void {
  for (const page of pages) if (page.readyState === page.OPEN) page.send(message);
}
