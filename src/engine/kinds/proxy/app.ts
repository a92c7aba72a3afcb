/**
 * Proxy mounts: forward HTTP requests and WebSocket upgrades to an upstream HTTP server. This file
 * forwards requests and opens upgrades; an upgrade's connection from then on is proxy/tunnel.ts's.
 *
 * Requests go upstream through proxy/leanClient.ts (pooled sockets, Node's llhttp), not a proxy
 * library: measured side by side, http-proxy-3 reached 0.24 x nginx `proxy_pass` and node:http's
 * own client 0.26-0.31 x, this 0.54-0.61 x (the figures are in leanClient.ts and bench/RESULTS.md).
 * Everything a library would add here (per-request closures, option merging, event re-emission) is
 * cost on the request path, so the forwarder keeps that path lean: one pass over `rawHeaders` in
 * each direction, the exchange itself is the client's callback object, no regular expression built
 * per request.
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
 *   `Connection`) are removed in both directions. The framing of each message (Content-Length or
 *   chunked) is derived from what was parsed, never taken from or removed by such headers: a
 *   `Connection: Content-Length` cannot turn a body into a second request.
 * - `https:` targets: TLS with SNI and certificate checks (`secure: false` accepts a self-signed
 *   upstream); `Host` is the target's as for http. Cookies come back without a `Domain` naming the
 *   target and, from https targets, without `Secure` (the public origin is http).
 * - URL mapping: the upstream path is the target's path joined with `req.url` (`stripPrefix`) or
 *   with `req.originalUrl` (not stripped). Responses are mapped back the other way: a `Location`
 *   that is absolute-path or absolute to the target's origin becomes the public path (absolute
 *   `Location`s get the public origin, from the Host header); relative ones and other origins are
 *   left alone. A `Set-Cookie` `Path=` is mapped the same way (`Path=/` becomes `Path=/api`). A
 *   cookie without `Path` gets none added: the browser's default path is computed from the public
 *   URL, which already carries the prefix, so it lands at the same place. Paths outside the
 *   target's own path cannot be reached through the mount and are left unchanged.
 * - An answer that cannot be relayed (llhttp rejects it, or its Transfer-Encoding is more than
 *   chunked): 502 saying what was wrong; once its head has gone out, the client's connection is cut
 *   and the log says why.
 * - Upstream refused or unreachable: 502 naming the mount and target. No byte from the upstream for
 *   `timeoutSeconds`: 504 (or, once the response has started, the client connection is cut). Time
 *   the proxy holds the upstream back for a client that reads slowly does not count. An
 *   upstream that answers before it has read the whole body (413, then closes) is relayed as it
 *   answered, and the rest of the client's body is discarded.
 *   A request on a reused keep-alive connection that the upstream had closed meanwhile (the classic
 *   keep-alive race) is retried once on a new connection when it has no body.
 * - Bodies stream in both directions with back-pressure; a client that goes away aborts the
 *   upstream request.
 */
import * as http from 'node:http';
import type { RequestOptions } from 'node:https';
import type { SecureContext } from 'node:tls';
import type { Duplex } from 'node:stream';
import { schemeOf } from '../../forwarded';
import type { Logger } from '../../logger';
import { sendSocketPage } from '../../pages';
import type { ProxyMountSpec } from '../../spec';
import { trustingLocalAuthority } from '../../tls/upstreamTrust';
import { HttpError, readyStatus, type App, type AppFactory, type FailRequest, type MountedRequest } from '../app';
import { createUpstreamClient } from './client';
import { invalidAnswer, type BodyFraming, type CallLink, type Endpoint, type UpstreamCall, type UpstreamClient } from './upstream';
import { connectionTokens, HOP_BY_HOP, relayedHeaders } from './hopByHop';
import { destroyQuietly, Tunnels } from './tunnel';

export interface ForwarderOptions {
  /** The mount's name, used in error pages and log lines. */
  readonly name: string;
  /**
   * Absolute `http:` or `https:` URL of the upstream, optionally with a path
   * (`http://127.0.0.1:5000/base`). A function is asked on every request: a command mount's port
   * may change across restarts, and `undefined` (not listening yet) answers 503.
   */
  readonly target: string | (() => string | undefined);
  /** Send the upstream `req.url` (prefix removed) rather than `req.originalUrl`. */
  readonly stripPrefix: boolean;
  /** Seconds without a byte from the upstream before 504; 0 waits forever. */
  readonly timeoutSeconds: number;
  /** `https:` targets: check the certificate (default); false accepts any, e.g. self-signed. */
  readonly secure?: boolean;
  /** The local CA's certificate (PEM): `https:` upstreams it signed are trusted beside the usual roots. */
  readonly localAuthority?: string;
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

export function createForwarder(options: ForwarderOptions, client?: UpstreamClient): Forwarder {
  return new ProxyForwarder(options, client);
}

export const createProxyApp: AppFactory<ProxyMountSpec> = async (spec, context) => {
  const forwarder = createForwarder({
    name: spec.name,
    target: spec.target,
    stripPrefix: spec.stripPrefix,
    timeoutSeconds: spec.timeout,
    secure: spec.secure,
    localAuthority: context.localAuthority?.(),
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
  /** Where the client connects (also the pool's key: one object per target). */
  readonly endpoint: Endpoint;
  /** The `Host` header the upstream receives. */
  readonly host: string;
  /** The target's path without a trailing slash; '' for none. */
  readonly basePath: string;
  /** Lower-cased `scheme://authority` and `//authority` spellings of the target's origin. */
  readonly origins: readonly string[];
  /** Lower-cased host name, for cookies' `Domain`. */
  readonly hostname: string;
}

function parseUpstream(target: string, verify: boolean, secureContext: SecureContext | undefined): Upstream {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new Error(`proxy target "${target}" is not a URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`proxy target "${target}" must be an http: or https: URL.`);
  const tls = url.protocol === 'https:';
  const defaultPort = tls ? 443 : 80;
  const port = url.port === '' ? defaultPort : Number(url.port);
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const authorities = [url.host.toLowerCase()];
  if (url.port === '') authorities.push(`${url.hostname.toLowerCase()}:${defaultPort}`);
  return {
    url: target,
    endpoint: { hostname, port, tls, verify, ...(tls && secureContext ? { secureContext } : {}) },
    host: url.host,
    basePath: url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname,
    origins: authorities.flatMap((authority) => [`${url.protocol}//${authority}`, `//${authority}`]),
    hostname: hostname.toLowerCase(),
  };
}

// The proxy owns these: it sets fresh values (or, for the spoofable extras, none).
const REQUEST_DROPPED: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP,
  'host',
  'content-length',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-prefix',
  'x-forwarded-port',
  'x-real-ip',
]);

/** The body's framing as node:http parsed it: chunked wins, as it does for node's parser. */
function framingOf(req: http.IncomingMessage): BodyFraming {
  const headers = req.headers;
  if (headers['transfer-encoding'] !== undefined) return 'chunked';
  const length = headers['content-length'];
  return length !== undefined ? 'length' : 'none';
}

const COOKIE_PATH = /;\s*path\s*=\s*([^;]*)/i;
const COOKIE_DOMAIN = /;\s*domain\s*=\s*([^;]*)/i;
const COOKIE_SECURE = /;\s*secure\s*(?=;|$)/i;
const COOKIE_SAMESITE_NONE = /;\s*samesite\s*=\s*none\s*(?=;|$)/i;
const RETRYABLE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
/** How long an early answer waits for the rest of a request body before the connection closes anyway. */
const LINGER_MS = 5000;

const kExchange = Symbol('mounts.proxy.exchange');
type Tagged<T> = T & { [kExchange]?: Exchange };

/** One request in flight; the upstream client calls it back. */
class Exchange implements UpstreamCall {
  link: CallLink | undefined = undefined;
  /** Answered (or abandoned): later upstream events are ignored. */
  settled = false;
  private waitingForDrain = false;
  private bodyAbandoned = false;
  readonly method: string;
  readonly retryable: boolean;

  constructor(
    readonly forwarder: ProxyForwarder,
    readonly upstream: Upstream,
    readonly req: MountedRequest,
    readonly res: http.ServerResponse,
    readonly fail: FailRequest,
    readonly path: string,
    readonly headers: string[],
    readonly framing: BodyFraming,
  ) {
    this.method = req.method ?? 'GET';
    this.retryable = framing === 'none' && RETRYABLE_METHODS.has(this.method);
  }

  get body(): http.IncomingMessage {
    return this.req;
  }

  onHead(status: number, reason: string, rawHeaders: string[]): void {
    if (this.settled) return;
    try {
      this.res.writeHead(status, reason, this.forwarder.responseHeaders(this, rawHeaders));
    } catch (error) {
      // node:http refused a header the upstream sent.
      this.settled = true;
      this.link?.abort(this);
      drain(this.req);
      this.fail(new HttpError(502, `${this.upstream.url} sent an invalid response: ${(error as Error).message}`));
    }
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return true;
    if (this.res.write(chunk)) return true;
    if (!this.waitingForDrain) {
      this.waitingForDrain = true;
      this.res.on('drain', onClientDrain);
    }
    return false;
  }

  resumeUpstream(): void {
    this.link?.resume(this);
  }

  onEnd(last: Buffer | undefined): void {
    if (this.settled) return;
    this.settled = true;
    if (this.bodyAbandoned && !this.req.complete) {
      if (last !== undefined) this.res.write(last);
      endAfterBody(this.req, this.res);
      return;
    }
    if (last === undefined) this.res.end();
    else this.res.end(last);
  }

  onFail(error: NodeJS.ErrnoException, headSent: boolean, timedOut: boolean): void {
    if (this.settled) return;
    this.settled = true;
    if (headSent) {
      // The upstream died in the middle of the body: the client must see a cut, not a complete answer.
      this.res.destroy();
      this.forwarder.brokeOff(this, error, timedOut);
      return;
    }
    drain(this.req);
    this.fail(timedOut ? this.forwarder.timedOut(this.upstream) : this.forwarder.unreachable(this, error));
  }

  onBodyAbandoned(): void {
    this.bodyAbandoned = true;
    drain(this.req);
  }
}

class ProxyForwarder implements Forwarder {
  private readonly client: UpstreamClient;
  private readonly tunnels = new Tunnels();
  private readonly timeoutMs: number;
  private readonly verify: boolean;
  private readonly secureContext: SecureContext | undefined;
  private upstream: Upstream | undefined;
  private closed = false;

  constructor(
    private readonly options: ForwarderOptions,
    client: UpstreamClient | undefined,
  ) {
    this.verify = options.secure !== false;
    this.secureContext = options.localAuthority === undefined ? undefined : trustingLocalAuthority(options.localAuthority);
    // Parse a fixed target now so a bad one fails at load, not on the first request.
    if (typeof options.target === 'string') this.upstream = parseUpstream(options.target, this.verify, this.secureContext);
    this.timeoutMs = Math.max(0, Math.round(options.timeoutSeconds * 1000));
    this.client = client ?? createUpstreamClient({ timeoutMs: this.timeoutMs });
  }

  /** The upstream to send to now, or the error to answer with; `what` it would not accept yet. */
  private currentUpstream(what: 'requests' | 'connections'): Upstream | HttpError {
    const target = this.options.target;
    if (this.closed) return this.notReady(what);
    if (typeof target === 'string') return this.upstream ?? this.notReady(what);
    try {
      const url = target();
      if (url === undefined) return this.notReady(what);
      if (this.upstream?.url !== url) this.upstream = parseUpstream(url, this.verify, this.secureContext);
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
      framingOf(req),
    );
    (res as Tagged<http.ServerResponse>)[kExchange] = exchange;
    res.once('close', onClientClose);
    this.client.send(upstream.endpoint, exchange);
  }

  private upstreamPath(req: MountedRequest, upstream: Upstream): string {
    const rest = this.options.stripPrefix ? req.url : req.originalUrl;
    return upstream.basePath === '' ? rest : upstream.basePath + rest;
  }

  /**
   * The request headers for the upstream, in one pass over `rawHeaders`. Framing headers are left
   * out: the client writes them from what node:http parsed (or, for upgrades, there is no body).
   */
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
    out.push('X-Forwarded-Proto', front ? front.proto : schemeOf(req), 'X-Forwarded-Prefix', req.baseUrl === '' ? '/' : req.baseUrl);
    if (upgrade) out.push('Connection', 'Upgrade', 'Upgrade', headers.upgrade ?? 'websocket');
    return out;
  }

  /** The response headers for the client, in one pass over the upstream's raw headers. */
  responseHeaders(exchange: Exchange, rawHeaders: string[]): string[] {
    return relayedHeaders(rawHeaders, (lower, value) =>
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
      return host === undefined ? path : `${front ? front.proto : schemeOf(exchange.req)}://${host}${path}`;
    }
    return location;
  }

  private publicCookie(exchange: Exchange, cookie: string): string {
    let out = cookie;
    const domain = COOKIE_DOMAIN.exec(out);
    if (domain !== null && cookieDomainMatches(exchange.upstream.hostname, domain[1])) {
      // Scoped to the target's host, the cookie belongs to the public host now: host-only there.
      out = out.slice(0, domain.index) + out.slice(domain.index + domain[0].length);
    }
    if (exchange.upstream.endpoint.tls) {
      // The public origin is plain http, where a browser would not store a Secure cookie; and
      // SameSite=None is refused without Secure, so such a cookie becomes the browsers' default, Lax.
      out = out.replace(COOKIE_SECURE, '').replace(COOKIE_SAMESITE_NONE, '; SameSite=Lax');
    }
    const match = COOKIE_PATH.exec(out);
    if (match === null || match[1].charCodeAt(0) !== 47) return out;
    const path = this.publicPath(exchange, match[1].trim(), true);
    if (path === undefined) return out;
    const start = match.index + match[0].length - match[1].length;
    return out.slice(0, start) + path + out.slice(start + match[1].length);
  }

  /** The answer when the upstream cannot be reached or failed before answering. */
  unreachable(exchange: Exchange, error: NodeJS.ErrnoException): HttpError {
    const invalid = invalidAnswer(error);
    if (invalid !== undefined) return new HttpError(502, `${this.options.name}: ${exchange.upstream.url} sent an answer that cannot be relayed: ${invalid}.`);
    return new HttpError(502, `${this.options.name} could not get an answer from ${exchange.upstream.url} (${error.code ?? error.message}).`);
  }

  /** The answer failed after its head went to the client, which then sees a cut: the log says why. */
  brokeOff(exchange: Exchange, error: NodeJS.ErrnoException, timedOut: boolean): void {
    const { req, upstream } = exchange;
    const why = timedOut ? `sent nothing for ${this.options.timeoutSeconds} s` : invalidAnswer(error) ?? `failed (${error.code ?? error.message})`;
    this.options.logger.warn(`${req.method} ${req.originalUrl}: ${upstream.url} broke off its answer, the client's connection was cut: ${why}`, this.options.name);
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
    const { endpoint } = upstream;
    this.tunnels.connect({
      name: this.options.name,
      logger: this.options.logger,
      client: socket,
      head,
      upstreamUrl: upstream.url,
      originalUrl: req.originalUrl,
      tls: endpoint.tls,
      request: {
        host: endpoint.hostname,
        port: endpoint.port,
        method: req.method,
        path: this.upstreamPath(req, upstream),
        headers: this.requestHeaders(req, upstream, true),
        timeout: this.timeoutMs || undefined,
        rejectUnauthorized: endpoint.verify,
        // Passed on to tls.connect, though https.RequestOptions does not declare it.
        ...({ secureContext: endpoint.secureContext } as RequestOptions),
      },
      timeoutMessage: this.timedOut(upstream).message,
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.tunnels.destroyAll(), this.client.close()]);
  }
}

/** Whether a cookie's `Domain` attribute covers `hostname` (RFC 6265 5.1.3, leading dot ignored). */
function cookieDomainMatches(hostname: string, domain: string): boolean {
  let name = domain.trim().toLowerCase();
  if (name.startsWith('.')) name = name.slice(1);
  return name !== '' && (hostname === name || hostname.endsWith(`.${name}`));
}

// The listeners below are shared by every request (no closure per request); `this` is the emitter.

function onClientDrain(this: Tagged<http.ServerResponse>): void {
  this[kExchange]?.resumeUpstream();
}

function onClientClose(this: Tagged<http.ServerResponse>): void {
  const exchange = this[kExchange];
  if (exchange === undefined || this.writableFinished) return;
  // The client went away before the answer was complete: abort the upstream request.
  exchange.settled = true;
  exchange.link?.abort(exchange);
}

/**
 * Ends an answer that came before the request body was read, once the body has been (or after
 * LINGER_MS): node:http closes a connection that still has unread request bytes as soon as the
 * answer ends, and the reset that closing causes can destroy the answer before the client has read
 * it. nginx lingers the same way (`lingering_close`).
 */
function endAfterBody(req: http.IncomingMessage, res: http.ServerResponse): void {
  const end = () => {
    clearTimeout(timer);
    req.off('end', end);
    res.off('close', end);
    if (!res.writableEnded) res.end();
  };
  const timer = setTimeout(end, LINGER_MS);
  req.once('end', end);
  res.once('close', end);
}

/** Reads and discards the rest of a request body the upstream will never get, so the connection can answer. */
function drain(req: http.IncomingMessage): void {
  if (req.complete) return;
  req.unpipe();
  req.resume();
}
