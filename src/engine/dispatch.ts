/**
 * The request path: checks the target and Host, routes by prefix, rewrites the URL the Express way,
 * hands the request to the mount's app, and sends every failure through one error path.
 * Nothing here does file I/O or work proportional to the number of mounts.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { App, MountedRequest } from './kinds/app';
import { frontPort, frontView, schemeOf, type FrontView } from './forwarded';
import { HostPolicy } from './hosts';
import type { LiveLoop } from './live/liveLoop';
import { isReservedPath } from './live/namespace';
import { describeError, errorMessage, type Logger } from './logger';
import { sendPage, sendSocketPage } from './pages';
import { rootRoutes } from './rootRoutes';
import { PrefixTable } from './router';
import type { MountSpec, MountsConfig } from './spec';
import { checkTarget, type ParsedTarget } from './target';

/** A mount as served: its app and the counters the editor shows. */
export interface MountEntry {
  /** Replaced on reload when only the label changed. */
  spec: MountSpec;
  readonly app: App;
  /** Express's `req.baseUrl`: the prefix, '' for the catch-all. */
  readonly baseUrl: string;
  requests: number;
  inflight: number;
  lastError?: string;
  /** Why the version mounts.json now asks for did not load (this older one keeps serving). */
  reloadError?: string;
}

/** Everything a request needs, swapped as one object on reload so routing is atomic. */
export interface RoutingTable {
  readonly config: MountsConfig;
  readonly entries: readonly MountEntry[];
  readonly routes: PrefixTable<MountEntry>;
  readonly hosts: HostPolicy;
  /** Root paths of the apps that no request will reach (claimed twice, or a mount's), one line each. */
  readonly warnings: readonly string[];
}

/** `bindHost` is the address actually bound (the CLI's --host may override mounts.json's). */
export function buildRoutingTable(config: MountsConfig, entries: readonly MountEntry[], bindHost = config.host): RoutingTable {
  const mounts = entries.map((entry) => ({ host: entry.spec.host, prefix: entry.spec.prefix, value: entry }));
  const claimants = entries.flatMap((entry) => {
    const rootPaths = entry.app.rootPaths;
    return rootPaths ? [{ value: entry, name: entry.spec.name, host: entry.spec.host, rootPaths }] : [];
  });
  const { roots, warnings } = rootRoutes(claimants, new PrefixTable(mounts), (entry) => entry.spec.name);
  return { config, entries, routes: new PrefixTable(mounts, roots), hosts: new HostPolicy({ ...config, host: bindHost }), warnings };
}

export interface DispatchOptions {
  readonly logger: Logger;
  /** Read per request so the editor's setting applies at once. */
  readonly accessLog: () => boolean;
  /** Called when a mount's counters or last error change (the editor's tree redraws). */
  readonly onMountActivity?: (entry: MountEntry) => void;
  /** Serves `/__mounts/` and puts the live reload script into documents. */
  readonly live?: LiveLoop;
  /** Behind an exported front: forwarded headers from loopback peers describe the client. */
  readonly trustLoopbackFront?: boolean;
}

/**
 * The request and response classes of our server: every field the engine sets is declared up
 * front, so these objects keep one shape on the hot path instead of growing one per request.
 */
export class MountsRequest extends IncomingMessage {
  baseUrl = '';
  originalUrl = '';
  front: FrontView | undefined = undefined;
}

export class MountsResponse extends ServerResponse<MountsRequest> {
  mountEntry: MountEntry | undefined = undefined;
  /** performance.now() at dispatch when the access log is on, else 0. */
  startedAt = 0;
  /** The status the engine itself answered on this request's connection (its body was unreadable), else 0. */
  engineAnswer = 0;
}

export class Dispatcher {
  private _table: RoutingTable | undefined;
  /** Filled by `admit` for the request being dispatched; dispatch is synchronous, so one suffices. */
  private readonly target: ParsedTarget = { pathname: '/', search: '', authority: undefined };
  private hostname: string | undefined;
  /** One listener function for every response, not a closure per request. */
  private readonly onResponseClose: (this: MountsResponse) => void;

  constructor(private readonly options: DispatchOptions) {
    const dispatcher = this;
    this.onResponseClose = function (this: MountsResponse) {
      const entry = this.mountEntry!;
      entry.inflight--;
      if (this.startedAt !== 0) dispatcher.logAccess(this.req as MountedRequest, this, entry, this.startedAt);
    };
  }

  /** What requests are routed by: swapped whole, so a request sees one table or the next, never a mix. */
  get table(): RoutingTable | undefined {
    return this._table;
  }

  swap(table: RoutingTable | undefined): void {
    this._table = table;
  }

  readonly handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const table = this._table;
    if (!table || !this.admit(table, req, res)) return;
    const target = this.target;
    if (isReservedPath(target.pathname)) {
      this.serveReserved(req, res);
      return;
    }
    const route = table.routes.match(this.hostname, target.pathname);
    if (!route) {
      this.notFound(table, req, res);
      return;
    }
    const entry = route.value;
    const mounted = mount(req, route.root ? '' : entry.baseUrl, target);
    if (this.options.trustLoopbackFront) mounted.front = frontView(req);
    entry.requests++;
    entry.inflight++;
    const response = res as MountsResponse;
    response.mountEntry = entry;
    if (this.options.accessLog()) response.startedAt = performance.now();
    res.on('close', this.onResponseClose);
    const live = this.options.live;
    if (live !== undefined && live.injects(entry.spec)) live.prepare(req, res, entry.spec);
    try {
      entry.app.handle(mounted, res, (error) => this.fail(entry, mounted, res, error));
    } catch (error) {
      this.fail(entry, mounted, res, error);
    }
  };

  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const table = this._table;
    if (!table || !this.admit(table, req, undefined, socket)) return;
    const origin = req.headers.origin;
    const front = this.options.trustLoopbackFront ? frontView(req) : undefined;
    // Through a front, the browser's Origin names the front's port, not ours.
    const port = front ? frontPort(front) : (req.socket.localPort ?? 0);
    if (origin !== undefined && !table.hosts.allowsOrigin(origin, port)) {
      this.refuse(req, undefined, socket, 403, `Origin ${origin} may not open a connection here.`);
      return;
    }
    if (isReservedPath(this.target.pathname)) {
      if (this.options.live?.upgrade(req, socket, head, this.target.pathname, this.target.search)) this.logUnrouted(req, '(live reload) upgrade');
      else this.refuse(req, undefined, socket, 404, 'Nothing to connect to here: /__mounts/ is reserved for live reload.');
      return;
    }
    const route = table.routes.matchUpgrade(this.hostname, this.target.pathname);
    const app = route?.value.app;
    if (!route || !app?.upgrade) {
      this.refuse(req, undefined, socket, 404, route ? `${route.value.spec.name} does not accept upgrades.` : 'No mount matches this path.');
      return;
    }
    route.value.requests++;
    this.logUnrouted(req, `${route.value.spec.name} upgrade`);
    try {
      const mounted = mount(req, route.root ? '' : route.value.baseUrl, this.target);
      if (front) mounted.front = front;
      app.upgrade(mounted, socket, head);
    } catch (error) {
      this.options.logger.error('upgrade failed', error, route.value.spec.name);
      sendSocketPage(socket, { status: 500, message: 'The app failed to accept the upgrade.' });
    }
  };

  /** CONNECT arrives as its own event in node:http: this is not a forward proxy. */
  readonly handleConnect = (req: IncomingMessage, socket: Duplex): void => {
    socket.on('error', () => socket.destroy());
    this.refuse(req, undefined, socket, 405, 'This server is not a forward proxy.');
  };

  /**
   * The checks every request and upgrade passes before routing. On success `this.target` and
   * `this.hostname` describe the request; on refusal it has been answered and false is returned.
   */
  private admit(table: RoutingTable, req: IncomingMessage, res?: ServerResponse, socket?: Duplex): boolean {
    // CONNECT never gets here: node:http hands it to handleConnect.
    const problem = checkTarget(req.url ?? '/', this.target);
    if (problem) return this.refuse(req, res, socket, problem.status, problem.message);
    // RFC 9112 3.2: a second Host is a 400. Node keeps only the first in `headers.host`, but the
    // other stays in `rawHeaders`, where apps (and adapters such as @hono/node-server) read it.
    if (hasSecondHost(req.rawHeaders)) return this.refuse(req, res, socket, 400, 'The request has more than one Host header.');
    const framing = framingNamedInConnection(req.headers.connection);
    if (framing !== undefined) {
      // A hop-by-hop list that names the message's framing or its Host asks the next hop to drop
      // them while the body still follows: the way a second request is smuggled past a proxy.
      this.options.logger.warn(`refused ${req.method} ${req.url} from ${req.socket.remoteAddress}: its Connection header names ${framing}`);
      // Closed after the answer: nothing more read from this connection can be trusted.
      return this.refuse(req, res, socket, 400, `The Connection header may not name ${framing}.`, { Connection: 'close' });
    }
    const host = req.headers.host;
    // RFC 9112 3.2, as Node's `requireHostHeader` (off, so that this 400 is an engine page); an
    // HTTP/1.0 request without Host is a local tool, since browsers always send one.
    if (host === undefined && req.httpVersionMinor !== 0) return this.refuse(req, res, socket, 400, 'The request has no Host header.');
    const authority = this.target.authority;
    if (authority !== undefined) {
      // An absolute-form target names its own host (RFC 9112 3.2.2), which routing uses.
      this.hostname = table.hosts.checkHost(authority);
      if (this.hostname === undefined) return this.refuse(req, res, socket, 403, 'This server does not proxy to other hosts.');
      // The Host header must be ours too: apps and the proxy's X-Forwarded-Host read it, so a
      // foreign one here would be host header poisoning past the allowlist.
      if (host !== undefined && table.hosts.checkHost(host) === undefined) return this.refuse(req, res, socket, 403, hostRefused(host));
    } else if (host !== undefined) {
      this.hostname = table.hosts.checkHost(host);
      if (this.hostname === undefined) return this.refuse(req, res, socket, 403, hostRefused(host));
    } else {
      this.hostname = undefined;
    }
    return true;
  }

  /** The one error path: `err.status` or 500, logged with the mount's name. */
  private fail(entry: MountEntry, req: MountedRequest, res: ServerResponse, error: unknown): void {
    const status = statusOf(error);
    if (status >= 500) {
      entry.lastError = errorMessage(error);
      // A crash in the app is an error with its stack; an upstream that is down or slow is a warning.
      if (status === 500) this.options.logger.error(`${req.method} ${req.originalUrl} failed`, error, entry.spec.name);
      else this.options.logger.warn(`${req.method} ${req.originalUrl}: ${status} ${entry.lastError}`, entry.spec.name);
      this.options.onMountActivity?.(entry);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const detail = status === 500 ? describeError(error) : (error as { detail?: string }).detail;
    const message = status === 500 ? `${entry.spec.name} failed while handling ${req.method} ${req.originalUrl}.` : errorMessage(error);
    sendPage(req, res, { status, message, detail });
  }

  /** `/__mounts/…`: never a mount's, whatever mounts.json says. */
  private serveReserved(req: IncomingMessage, res: ServerResponse): void {
    this.logUnrouted(req, '(live reload)');
    if (this.options.live) this.options.live.serve(req, res, this.target.pathname);
    else sendPage(req, res, { status: 404, message: 'Nothing here: /__mounts/ is reserved for live reload.' });
  }

  private notFound(table: RoutingTable, req: IncomingMessage, res: ServerResponse): void {
    const links = table.entries.map((entry) => {
      const path = `${entry.baseUrl}/`;
      // A host-bound mount answers only on its own host, so its link must name it.
      const href = entry.spec.host ? `${schemeOf(req)}://${entry.spec.host}:${req.socket.localPort}${path}` : path;
      return { href, label: `${entry.spec.name}${entry.spec.host ? ` (host ${entry.spec.host})` : ''}` };
    });
    const pathname = (req.url ?? '/').split('?')[0];
    this.logUnrouted(req, '(no mount) 404');
    sendPage(req, res, { status: 404, message: `No mount matches ${pathname}. Mounted here:`, links });
  }

  /**
   * Answers a request or upgrade the engine refuses before routing, with an access line that says
   * why: these are the requests a developer most wants to see. False, for `admit` to return.
   */
  private refuse(
    req: IncomingMessage,
    res: ServerResponse | undefined,
    socket: Duplex | undefined,
    status: number,
    message: string,
    headers?: Readonly<Record<string, string>>,
  ): false {
    this.logUnrouted(req, `(refused) ${status} ${message}`);
    if (res) sendPage(req, res, { status, message, headers });
    else if (socket) sendSocketPage(socket, { status, message });
    return false;
  }

  /** The access line of a request no app answers over a response of its own (refused, unrouted, upgraded). */
  private logUnrouted(req: IncomingMessage, outcome: string): void {
    if (this.options.accessLog()) this.options.logger.access(`${req.method} ${req.url} -> ${outcome}`);
  }

  private logAccess(req: MountedRequest, res: ServerResponse, entry: MountEntry, started: number): void {
    const ms = (performance.now() - started).toFixed(1);
    // statusCode is only what the app set: until the head is sent, the client got nothing of it.
    const engineAnswer = (res as MountsResponse).engineAnswer;
    const outcome = res.headersSent
      ? res.writableFinished
        ? String(res.statusCode)
        : `${res.statusCode} aborted`
      : engineAnswer !== 0
        ? `${engineAnswer} (the request body could not be read)`
        : 'no answer (the connection closed first)';
    this.options.logger.access(`${req.method} ${req.originalUrl} -> ${entry.spec.name} ${outcome} ${ms}ms`);
  }
}

/**
 * Rewrites the request as a mounted app expects it (pillarjs/router `trimPrefix`) below `baseUrl`:
 * the mount's, or '' for a root path of its app, which reaches it as sent.
 */
function mount(req: IncomingMessage, baseUrl: string, target: ParsedTarget): MountedRequest {
  const mounted = req as MountedRequest;
  const original = target.pathname + target.search;
  mounted.originalUrl = original;
  mounted.baseUrl = baseUrl;
  const rest = target.pathname.slice(baseUrl.length);
  mounted.url = (rest === '' ? '/' : rest) + target.search;
  return mounted;
}


function hostRefused(host: string): string {
  return `Host "${host}" is not allowed. Add it to "allowedHosts" in mounts.json to serve it.`;
}

/** Whether `rawHeaders` holds Host more than once; no allocation for the usual few headers. */
function hasSecondHost(raw: readonly string[]): boolean {
  let seen = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length === 4 && (name === 'Host' || name === 'host' || name.toLowerCase() === 'host')) {
      if (seen) return true;
      seen = true;
    }
  }
  return false;
}

/**
 * The first of Content-Length, Transfer-Encoding or Host named in `Connection`, or undefined. The
 * common values skip the split: this runs for every request.
 */
export function framingNamedInConnection(connection: string | undefined): string | undefined {
  if (connection === undefined || connection.length < 4 || connection === 'keep-alive' || connection === 'close' || connection === 'Upgrade') return undefined;
  for (const token of connection.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === 'content-length' || name === 'transfer-encoding' || name === 'host') return token.trim();
  }
  return undefined;
}

function statusOf(error: unknown): number {
  const status = (error as { status?: unknown; statusCode?: unknown } | null)?.status ?? (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : 500;
}
