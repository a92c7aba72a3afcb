/**
 * Proxy mounts: forward HTTP requests and WebSocket upgrades to an upstream HTTP server. This file
 * forwards requests and opens upgrades; an upgrade's connection from then on is proxy/tunnel.ts's.
 *
 * Written on `node:http` with a keep-alive `http.Agent` rather than a proxy library. The style asks
 * for a library where one fits, but none reaches the performance target (>= 0.7 x nginx
 * `proxy_pass`): measured on this kind of machine, a plain node:http pipe with a keep-alive agent
 * reached 0.52 x, http-proxy 0.45 x, http-proxy-3 0.36 x. Everything a library would add here
 * (per-request closures, option merging, event re-emission) is cost on the request path, so the
 * forwarder keeps that path lean: one pass over `rawHeaders` in each direction, headers handed to
 * node:http as flat arrays, event listeners shared by every request (they find their request
 * through a symbol on the emitter), no regular expression built per request.
 *
 * Choices a user can observe (each has a test in test/engine/proxy.test.ts):
 * - `Host` sent upstream is the target's own `host:port` (http-proxy's `changeOrigin`). Upstreams
 *   with a Host allowlist (Vite, Django) then accept the request, and the URLs they generate point
 *   at their own origin, which the `Location` rewrite below maps back. The Host the client used is
 *   in `X-Forwarded-Host`.
 * - The upstream always receives fresh `X-Forwarded-For` (client address), `X-Forwarded-Host` (the
 *   Host header as received), `X-Forwarded-Proto: http` and `X-Forwarded-Prefix` (the mount's prefix,
 *   `/` for the catch-all: an empty header value is dropped by some servers, and the usual consumers
 *   (Werkzeug's ProxyFix, Spring) strip the trailing slash). Client-supplied values of these, and of
 *   `Forwarded`, `X-Forwarded-Port` and `X-Real-IP`, are dropped, never appended to: this server is
 *   the first proxy, so anything else is spoofed. So are their spellings with underscores
 *   (`X_Forwarded_Prefix`), which CGI-style upstreams read as the same header.
 * - Hop-by-hop headers (RFC 9110 7.6.1, plus Keep-Alive, Proxy-Connection and every header named in
 *   `Connection`) are removed in both directions.
 * - URL mapping: the upstream path is the target's path joined with `req.url` (`stripPrefix`) or
 *   with `req.originalUrl` (not stripped). Responses are mapped back the other way: a `Location`
 *   that is absolute-path or absolute to the target's origin becomes the public path (absolute
 *   `Location`s get the public origin, from the Host header); relative ones and other origins are
 *   left alone. A `Set-Cookie` `Path=` is mapped the same way (`Path=/` becomes `Path=/api`). A
 *   cookie without `Path` gets none added: the browser's default path is computed from the public
 *   URL, which already carries the prefix, so it lands at the same place. Paths outside the
 *   target's own path cannot be reached through the mount and are left unchanged.
 * - Upstream refused or unreachable: 502 naming the mount and target. No byte from the upstream for
 *   `timeoutSeconds`: 504 (or, once the response has started, the client connection is cut).
 *   A request on a reused keep-alive connection that the upstream had closed meanwhile (the classic
 *   keep-alive race) is retried once on a new connection when it has no body.
 * - Bodies stream in both directions with back-pressure; a client that goes away aborts the
 *   upstream request.
 */
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../logger';
import { sendSocketPage } from '../pages';
import type { ProxyMountSpec } from '../spec';
import { HttpError, readyStatus, type App, type AppFactory, type FailRequest, type MountedRequest } from './app';
import { connectionTokens, HOP_BY_HOP, relayedHeaders } from './proxy/hopByHop';
import { destroyAndWait, destroyQuietly, Tunnels } from './proxy/tunnel';

export interface ForwarderOptions {
  /** The mount's name, used in error pages and log lines. */
  readonly name: string;
  /**
   * Absolute `http:` URL of the upstream, optionally with a path (`http://127.0.0.1:5000/base`).
   * A function is asked on every request: a command mount's port may change across restarts, and
   * `undefined` (not listening yet) answers 503.
   */
  readonly target: string | (() => string | undefined);
  /** Send the upstream `req.url` (prefix removed) rather than `req.originalUrl`. */
  readonly stripPrefix: boolean;
  /** Seconds without a byte from the upstream before 504; 0 waits forever. */
  readonly timeoutSeconds: number;
  readonly logger: Logger;
}

/** Forwards requests and upgrades of one mount to one upstream; reusable by every kind that proxies. */
export interface Forwarder {
  /** Forwards one request; failures go to `fail` as `HttpError`s (502, 503, 504). Never throws. */
  handle(req: MountedRequest, res: http.ServerResponse, fail: FailRequest): void;
  /** Forwards an upgrade (WebSocket) and then relays bytes both ways until either side closes. */
  upgrade(req: MountedRequest, socket: Duplex, head: Buffer): void;
  /** Destroys pooled upstream connections and open tunnels; later requests get 503. */
  close(): Promise<void>;
}

export function createForwarder(options: ForwarderOptions): Forwarder {
  return new ProxyForwarder(options);
}

export const createProxyApp: AppFactory<ProxyMountSpec> = async (spec, context) => {
  const forwarder = createForwarder({
    name: spec.name,
    target: spec.target,
    stripPrefix: spec.stripPrefix,
    timeoutSeconds: spec.timeout,
    logger: context.logger,
  });
  const app: App = {
    handle: (req, res, fail) => forwarder.handle(req, res, fail),
    upgrade: (req, socket, head) => forwarder.upgrade(req, socket, head),
    status: readyStatus(),
    close: () => forwarder.close(),
  };
  return app;
};

/** The upstream, parsed once per distinct target string. */
interface Upstream {
  readonly url: string;
  /** For `http.request`: IPv6 without brackets. */
  readonly hostname: string;
  readonly port: number;
  /** The `Host` header the upstream receives. */
  readonly host: string;
  /** The target's path without a trailing slash; '' for none. */
  readonly basePath: string;
  /** Lower-cased `http://authority` and `//authority` spellings of the target's origin. */
  readonly origins: readonly string[];
}

function parseUpstream(target: string): Upstream {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new Error(`proxy target "${target}" is not a URL.`);
  }
  if (url.protocol !== 'http:') throw new Error(`proxy target "${target}" must be an http: URL.`);
  const port = url.port === '' ? 80 : Number(url.port);
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const authorities = [url.host.toLowerCase()];
  if (url.port === '') authorities.push(`${url.hostname.toLowerCase()}:80`);
  return {
    url: target,
    hostname,
    port,
    host: url.host,
    basePath: url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname,
    origins: authorities.flatMap((authority) => [`http://${authority}`, `//${authority}`]),
  };
}

// The proxy owns these: it sets fresh values (or, for the spoofable extras, none).
const REQUEST_DROPPED: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP,
  'host',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-prefix',
  'x-forwarded-port',
  'x-real-ip',
]);

function hasBody(req: http.IncomingMessage): boolean {
  const headers = req.headers;
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && length !== '0';
}

const COOKIE_PATH = /;\s*path\s*=\s*([^;]*)/i;
const RETRYABLE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

const kExchange = Symbol('mounts.proxy.exchange');
type Tagged<T> = T & { [kExchange]?: Exchange };

/** One request in flight: the state the shared listeners need. */
class Exchange {
  upstreamRequest: http.ClientRequest | undefined = undefined;
  upstreamResponse: http.IncomingMessage | undefined = undefined;
  /** Answered (or abandoned): later upstream events are ignored. */
  settled = false;
  retried = false;

  constructor(
    readonly forwarder: ProxyForwarder,
    readonly upstream: Upstream,
    readonly req: MountedRequest,
    readonly res: http.ServerResponse,
    readonly fail: FailRequest,
    readonly path: string,
    readonly headers: string[],
    readonly body: boolean,
  ) {}
}

class ProxyForwarder implements Forwarder {
  private readonly agent: http.Agent;
  private readonly tunnels = new Tunnels();
  private readonly timeoutMs: number;
  private upstream: Upstream | undefined;
  private closed = false;

  constructor(private readonly options: ForwarderOptions) {
    // Parse a fixed target now so a bad one fails at load, not on the first request.
    if (typeof options.target === 'string') this.upstream = parseUpstream(options.target);
    this.timeoutMs = Math.max(0, Math.round(options.timeoutSeconds * 1000));
    this.agent = new http.Agent({
      keepAlive: true,
      // Enough parallel upstream connections for any local load, yet a cap so a burst queues
      // instead of exhausting file descriptors; as many kept idle, so a steady load never reconnects.
      maxSockets: 256,
      maxFreeSockets: 256,
      // Reuse the most recently used connection so idle ones age out (and fewer go stale).
      scheduling: 'lifo',
      // Idle pooled connections close before the common upstream keep-alive timeouts (Node: 5 s);
      // Node also honours an upstream's `Keep-Alive: timeout=N` hint.
      timeout: 4000,
    });
  }

  /** The upstream to send to now, or the error to answer with; `what` it would not accept yet. */
  private currentUpstream(what: 'requests' | 'connections'): Upstream | HttpError {
    const target = this.options.target;
    if (this.closed) return this.notReady(what);
    if (typeof target === 'string') return this.upstream ?? this.notReady(what);
    try {
      const url = target();
      if (url === undefined) return this.notReady(what);
      if (this.upstream?.url !== url) this.upstream = parseUpstream(url);
      return this.upstream;
    } catch (error) {
      return new HttpError(502, `${this.options.name}: ${(error as Error).message}`);
    }
  }

  private notReady(what: 'requests' | 'connections'): HttpError {
    return new HttpError(503, `${this.options.name} is not ready to accept ${what}.`);
  }

  handle(req: MountedRequest, res: http.ServerResponse, fail: FailRequest): void {
    const upstream = this.currentUpstream('requests');
    if (upstream instanceof HttpError) {
      fail(upstream);
      return;
    }
    const exchange = new Exchange(
      this,
      upstream,
      req,
      res,
      fail,
      this.upstreamPath(req, upstream),
      this.requestHeaders(req, upstream, false),
      hasBody(req),
    );
    (res as Tagged<http.ServerResponse>)[kExchange] = exchange;
    res.once('close', onClientClose);
    this.send(exchange);
  }

  /** Sends (or, after a stale keep-alive connection, re-sends) the upstream request. */
  send(exchange: Exchange): void {
    const upstream = exchange.upstream;
    const request: Tagged<http.ClientRequest> = http.request({
      agent: this.agent,
      host: upstream.hostname,
      port: upstream.port,
      method: exchange.req.method,
      path: exchange.path,
      headers: exchange.headers,
      timeout: this.timeoutMs || undefined,
    });
    request[kExchange] = exchange;
    exchange.upstreamRequest = request;
    request.on('response', onUpstreamResponse);
    request.on('error', onUpstreamError);
    if (this.timeoutMs > 0) request.on('timeout', onUpstreamTimeout);
    if (exchange.body) exchange.req.pipe(request);
    else request.end();
  }

  private upstreamPath(req: MountedRequest, upstream: Upstream): string {
    const rest = this.options.stripPrefix ? req.url : req.originalUrl;
    return upstream.basePath === '' ? rest : upstream.basePath + rest;
  }

  /** The request headers for the upstream, in one pass over `rawHeaders`. */
  private requestHeaders(req: MountedRequest, upstream: Upstream, upgrade: boolean): string[] {
    const raw = req.rawHeaders;
    const headers = req.headers;
    const extra = connectionTokens(headers.connection);
    const out: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i];
      const lower = name.toLowerCase();
      if (REQUEST_DROPPED.has(lower) || (extra !== undefined && extra.has(lower))) continue;
      // CGI-style upstreams (WSGI, PHP, Rack) read `X_Forwarded_Prefix` as `X-Forwarded-Prefix`
      // and join the two: an underscore spelling of a header we own is a spoof as well.
      if (lower.includes('_') && REQUEST_DROPPED.has(lower.replaceAll('_', '-'))) continue;
      out.push(name, raw[i + 1]);
    }
    out.push('Host', upstream.host);
    // Behind an exported front (the app server), the front saw the client: pass its view on.
    const front = req.front;
    const address = front ? front.for : req.socket.remoteAddress;
    if (address !== undefined) out.push('X-Forwarded-For', address);
    const publicHost = front ? front.host : headers.host;
    if (publicHost !== undefined) out.push('X-Forwarded-Host', publicHost);
    out.push('X-Forwarded-Proto', front ? front.proto : 'http', 'X-Forwarded-Prefix', req.baseUrl === '' ? '/' : req.baseUrl);
    if (upgrade) out.push('Connection', 'Upgrade', 'Upgrade', headers.upgrade ?? 'websocket');
    // Transfer-Encoding is hop-by-hop, but a chunked request body must stay chunked: node:http
    // would send a GET or DELETE body unframed otherwise.
    else if (headers['transfer-encoding'] !== undefined) out.push('Transfer-Encoding', 'chunked');
    return out;
  }

  /** The response headers for the client, in one pass over the upstream's `rawHeaders`. */
  responseHeaders(exchange: Exchange, response: http.IncomingMessage): string[] {
    return relayedHeaders(response, (lower, value) =>
      lower === 'location' ? this.publicLocation(exchange, value) : lower === 'set-cookie' ? this.publicCookie(exchange, value) : value,
    );
  }

  /** The public path for an upstream path, or undefined when the mount cannot reach it. */
  private publicPath(exchange: Exchange, path: string, cookie: boolean): string | undefined {
    const publicBase = this.options.stripPrefix ? exchange.req.baseUrl : '';
    const base = exchange.upstream.basePath;
    let rest = path;
    if (base !== '') {
      if (!path.startsWith(base)) return undefined;
      rest = path.slice(base.length);
      const next = rest.charCodeAt(0);
      // Only on a segment boundary: '/base' covers '/base/x' and '/base?q', not '/baseline'.
      if (rest !== '' && next !== 47 /* / */ && next !== 63 /* ? */ && next !== 35 /* # */) return undefined;
    }
    if (publicBase === '') return rest === '' || rest.charCodeAt(0) !== 47 ? `/${rest}` : rest;
    // A cookie scoped to the upstream's root is scoped to the mount, '/api' (so '/api' itself sends it).
    if (cookie && rest === '/') return publicBase;
    return publicBase + rest;
  }

  private publicLocation(exchange: Exchange, location: string): string {
    const first = location.charCodeAt(0);
    if (first === 47 /* / */ && location.charCodeAt(1) !== 47) {
      return this.publicPath(exchange, location, false) ?? location;
    }
    // Absolute (or scheme-relative) to the upstream's origin: the public origin, with the public path.
    const lower = location.toLowerCase();
    for (const origin of exchange.upstream.origins) {
      if (!lower.startsWith(origin)) continue;
      const rest = location.slice(origin.length);
      const next = rest.charCodeAt(0);
      if (rest !== '' && next !== 47 /* / */ && next !== 63 /* ? */ && next !== 35 /* # */) continue;
      const path = this.publicPath(exchange, rest === '' || next !== 47 ? `/${rest}` : rest, false);
      if (path === undefined) return location;
      const front = exchange.req.front;
      const host = front ? front.host : exchange.req.headers.host;
      return host === undefined ? path : `${front ? front.proto : 'http'}://${host}${path}`;
    }
    return location;
  }

  private publicCookie(exchange: Exchange, cookie: string): string {
    const match = COOKIE_PATH.exec(cookie);
    if (match === null || match[1].charCodeAt(0) !== 47) return cookie;
    const path = this.publicPath(exchange, match[1].trim(), true);
    if (path === undefined) return cookie;
    const start = match.index + match[0].length - match[1].length;
    return cookie.slice(0, start) + path + cookie.slice(start + match[1].length);
  }

  /** The answer when the upstream cannot be reached or failed before answering. */
  unreachable(exchange: Exchange, error: NodeJS.ErrnoException): HttpError {
    const reason = error.code ?? error.message;
    return new HttpError(502, `${this.options.name} could not get an answer from ${exchange.upstream.url} (${reason}).`);
  }

  timedOut(upstream: Upstream): HttpError {
    return new HttpError(504, `${this.options.name}: ${upstream.url} sent nothing for ${this.options.timeoutSeconds} s.`);
  }

  upgrade(req: MountedRequest, socket: Duplex, head: Buffer): void {
    socket.on('error', destroyQuietly);
    const upstream = this.currentUpstream('connections');
    if (upstream instanceof HttpError) {
      sendSocketPage(socket, { status: upstream.status, message: upstream.message });
      return;
    }
    this.tunnels.connect({
      name: this.options.name,
      logger: this.options.logger,
      client: socket,
      head,
      upstreamUrl: upstream.url,
      originalUrl: req.originalUrl,
      request: {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: this.upstreamPath(req, upstream),
        headers: this.requestHeaders(req, upstream, true),
        timeout: this.timeoutMs || undefined,
      },
      timeoutMessage: this.timedOut(upstream).message,
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const closing = [this.tunnels.destroyAll()];
    for (const sockets of [this.agent.sockets, this.agent.freeSockets]) {
      for (const list of Object.values(sockets)) for (const socket of list ?? []) closing.push(destroyAndWait(socket));
    }
    this.agent.destroy();
    await Promise.all(closing);
  }
}

// The listeners below are shared by every request (no closure per request); `this` is the emitter.

function onUpstreamResponse(this: Tagged<http.ClientRequest>, response: http.IncomingMessage): void {
  const exchange = this[kExchange];
  if (exchange === undefined || exchange.settled) {
    response.destroy();
    return;
  }
  exchange.upstreamResponse = response;
  const res = exchange.res;
  try {
    res.writeHead(response.statusCode ?? 502, response.statusMessage, exchange.forwarder.responseHeaders(exchange, response));
  } catch (error) {
    // node:http refused a header the upstream sent.
    exchange.settled = true;
    response.destroy();
    exchange.fail(new HttpError(502, `${exchange.upstream.url} sent an invalid response: ${(error as Error).message}`));
    return;
  }
  (response as Tagged<http.IncomingMessage>)[kExchange] = exchange;
  response.on('error', onUpstreamResponseError);
  response.pipe(res);
}

function onUpstreamResponseError(this: Tagged<http.IncomingMessage>): void {
  // The upstream died in the middle of the body: the client must see a cut, not a complete answer.
  const exchange = this[kExchange];
  if (exchange === undefined || exchange.settled) return;
  exchange.settled = true;
  exchange.res.destroy();
}

function onUpstreamError(this: Tagged<http.ClientRequest>, error: NodeJS.ErrnoException): void {
  const exchange = this[kExchange];
  if (exchange === undefined || exchange.settled) return;
  if (exchange.upstreamResponse !== undefined) {
    exchange.settled = true;
    exchange.res.destroy();
    return;
  }
  // The upstream closed a pooled connection just as it was reused: safe to send again once.
  if (this.reusedSocket && error.code === 'ECONNRESET' && !exchange.body && !exchange.retried && RETRYABLE_METHODS.has(exchange.req.method ?? '')) {
    exchange.retried = true;
    exchange.forwarder.send(exchange);
    return;
  }
  exchange.settled = true;
  drain(exchange.req);
  exchange.fail(exchange.forwarder.unreachable(exchange, error));
}

function onUpstreamTimeout(this: Tagged<http.ClientRequest>): void {
  const exchange = this[kExchange];
  this.destroy();
  if (exchange === undefined || exchange.settled) return;
  exchange.settled = true;
  exchange.upstreamResponse?.destroy();
  if (exchange.res.headersSent) {
    exchange.res.destroy();
    return;
  }
  drain(exchange.req);
  exchange.fail(exchange.forwarder.timedOut(exchange.upstream));
}

function onClientClose(this: Tagged<http.ServerResponse>): void {
  const exchange = this[kExchange];
  if (exchange === undefined || this.writableFinished) return;
  // The client went away before the answer was complete: abort the upstream request.
  exchange.settled = true;
  exchange.upstreamRequest?.destroy();
  exchange.upstreamResponse?.destroy();
}

/** Reads and discards the rest of a request body the upstream will never get, so the connection can answer. */
function drain(req: http.IncomingMessage): void {
  if (req.complete) return;
  req.unpipe();
  req.resume();
}
