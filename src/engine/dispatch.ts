/**
 * The request path: checks the target and Host, routes by prefix, rewrites the URL the Express way,
 * hands the request to the mount's app, and sends every failure through one error path.
 * Nothing here does file I/O or work proportional to the number of mounts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { App, MountedRequest } from './apps/app';
import { HostPolicy } from './hosts';
import { describeError, type Logger } from './logger';
import { sendPage, STATUS_TITLES } from './pages';
import { PrefixTable } from './router';
import type { MountSpec, MountsConfig } from './spec';
import { checkTarget } from './target';

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
}

/** Everything a request needs, swapped as one object on reload so routing is atomic. */
export interface RoutingTable {
  readonly config: MountsConfig;
  readonly entries: readonly MountEntry[];
  readonly routes: PrefixTable<MountEntry>;
  readonly hosts: HostPolicy;
}

export function buildRoutingTable(config: MountsConfig, entries: readonly MountEntry[]): RoutingTable {
  return {
    config,
    entries,
    routes: new PrefixTable(entries.map((entry) => ({ host: entry.spec.host, prefix: entry.spec.prefix, value: entry }))),
    hosts: new HostPolicy(config),
  };
}

export interface DispatchOptions {
  readonly logger: Logger;
  /** Read per request so the editor's setting applies at once. */
  readonly accessLog: () => boolean;
  /** Called when a mount's counters or last error change (the editor's tree redraws). */
  readonly onMountActivity?: (entry: MountEntry) => void;
}

type Target = { pathname: string; search: string; hostname: string | undefined };

export class Dispatcher {
  table: RoutingTable | undefined;

  constructor(private readonly options: DispatchOptions) {}

  readonly handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const started = this.options.accessLog() ? performance.now() : 0;
    const table = this.table;
    const target = table && this.admit(table, req, res);
    if (!target) return;
    const route = table.routes.match(target.hostname, target.pathname);
    if (!route) {
      this.notFound(table, req, res);
      return;
    }
    const entry = route.value;
    const mounted = mount(req, entry, target);
    entry.requests++;
    entry.inflight++;
    res.once('close', () => {
      entry.inflight--;
      if (started !== 0) this.logAccess(mounted, res, entry, started);
    });
    try {
      entry.app.handle(mounted, res, (error) => this.fail(entry, mounted, res, error));
    } catch (error) {
      this.fail(entry, mounted, res, error);
    }
  };

  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const table = this.table;
    const target = table && this.admit(table, req, undefined, socket);
    if (!target) return;
    const origin = req.headers.origin;
    if (origin !== undefined && !table.hosts.allowsOrigin(origin, req.socket.localPort ?? 0)) {
      rejectUpgrade(socket, 403, `Origin ${origin} may not open a connection here.`);
      return;
    }
    const route = table.routes.match(target.hostname, target.pathname);
    const app = route?.value.app;
    if (!route || !app?.upgrade) {
      rejectUpgrade(socket, 404, route ? `${route.value.spec.name} does not accept upgrades.` : 'No mount matches this path.');
      return;
    }
    route.value.requests++;
    try {
      app.upgrade(mount(req, route.value, target), socket, head);
    } catch (error) {
      this.options.logger.error('upgrade failed', error, route.value.spec.name);
      rejectUpgrade(socket, 500, 'The app failed to accept the upgrade.');
    }
  };

  /** CONNECT arrives as its own event in node:http: this is not a forward proxy. */
  readonly handleConnect = (_req: IncomingMessage, socket: Duplex): void => {
    socket.on('error', () => socket.destroy());
    rejectUpgrade(socket, 405, 'This server is not a forward proxy.');
  };

  /** The checks every request and upgrade passes before routing; answers and returns undefined on refusal. */
  private admit(table: RoutingTable, req: IncomingMessage, res?: ServerResponse, socket?: Duplex): Target | undefined {
    const refuse = (status: number, message: string, headers?: Record<string, string>) => {
      if (res) sendPage(req, res, { status, message, headers });
      else if (socket) rejectUpgrade(socket, status, message);
      return undefined;
    };
    if (req.method === 'CONNECT') return refuse(405, 'This server is not a forward proxy.', { Allow: 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS' });
    const checked = checkTarget(req.url ?? '/');
    if (!checked.ok) return refuse(checked.status, checked.message);
    let hostname: string | undefined;
    if (checked.authority !== undefined) {
      // An absolute-form target names its own host (RFC 9112 3.2.2); the Host header is ignored.
      hostname = table.hosts.checkHost(checked.authority);
      if (hostname === undefined) return refuse(403, 'This server does not proxy to other hosts.');
    } else if (req.headers.host !== undefined) {
      hostname = table.hosts.checkHost(req.headers.host);
      if (hostname === undefined) return refuse(403, `Host "${req.headers.host}" is not allowed. Add it to "allowedHosts" in mounts.json to serve it.`);
    }
    return { pathname: checked.pathname, search: checked.search, hostname };
  }

  /** The one error path: `err.status` or 500, logged with the mount's name. */
  private fail(entry: MountEntry, req: MountedRequest, res: ServerResponse, error: unknown): void {
    const status = statusOf(error);
    if (status >= 500) {
      entry.lastError = error instanceof Error ? error.message : String(error);
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
    const message = status === 500 ? `${entry.spec.name} failed while handling ${req.method} ${req.originalUrl}.` : messageOf(error);
    sendPage(req, res, { status, message, detail });
  }

  private notFound(table: RoutingTable, req: IncomingMessage, res: ServerResponse): void {
    const links = table.entries.map((entry) => ({
      href: entry.spec.prefix === '/' ? '/' : `${entry.spec.prefix}/`,
      label: `${entry.spec.name}${entry.spec.host ? ` (host ${entry.spec.host})` : ''}`,
    }));
    const pathname = (req.url ?? '/').split('?')[0];
    sendPage(req, res, { status: 404, message: `No mount matches ${pathname}. Mounted here:`, links });
  }

  private logAccess(req: MountedRequest, res: ServerResponse, entry: MountEntry, started: number): void {
    const ms = (performance.now() - started).toFixed(1);
    const outcome = res.writableFinished ? String(res.statusCode) : `${res.statusCode} aborted`;
    this.options.logger.access(`${req.method} ${req.originalUrl} -> ${entry.spec.name} ${outcome} ${ms}ms`);
  }
}

/** Rewrites the request as a mounted app expects it (pillarjs/router `trimPrefix`). */
function mount(req: IncomingMessage, entry: MountEntry, target: Target): MountedRequest {
  const mounted = req as MountedRequest;
  const original = target.pathname + target.search;
  mounted.originalUrl = original;
  mounted.baseUrl = entry.baseUrl;
  const rest = target.pathname.slice(entry.baseUrl.length);
  mounted.url = (rest === '' ? '/' : rest) + target.search;
  return mounted;
}

function statusOf(error: unknown): number {
  const status = (error as { status?: unknown; statusCode?: unknown } | null)?.status ?? (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : 500;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TITLES[status] ?? 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n' +
      `Content-Security-Policy: default-src 'none'\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
