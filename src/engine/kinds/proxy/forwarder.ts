/**
 * The forwarder: HTTP requests and WebSocket upgrades of one mount to one upstream HTTP server, for
 * proxy mounts and for every kind that proxies (commands, Python apps). This file forwards requests
 * and opens upgrades; its parts: the target parsed once (proxyTarget.ts), the headers sent upstream
 * (requestHeaders.ts) and back (responseHeaders.ts), one request in flight (exchange.ts), an
 * upgrade's connection from then on (tunnel.ts).
 *
 * Requests go upstream through proxy/leanClient.ts (pooled sockets, Node's llhttp), not a proxy
 * library: measured side by side, http-proxy-3 reached 0.24 x nginx `proxy_pass` and node:http's
 * own client 0.26-0.31 x, this 0.54-0.61 x (the figures are in bench/RESULTS.md).
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
import type * as http from 'node:http';
import type { RequestOptions } from 'node:https';
import type { SecureContext } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../logger';
import { sendSocketPage } from '../../pages';
import { trustingLocalAuthority } from '../../tls/upstreamTrust';
import { HttpError, type FailRequest, type MountedRequest } from '../app';
import { createUpstreamClient } from './client';
import { Exchange, type ExchangeOwner } from './exchange';
import { parseUpstream, type Upstream } from './proxyTarget';
import { framingOf, requestHeaders } from './requestHeaders';
import { destroyQuietly, Tunnels } from './tunnel';
import { invalidAnswer, type UpstreamClient } from './upstream';

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

class ProxyForwarder implements Forwarder, ExchangeOwner {
  private readonly client: UpstreamClient;
  private readonly tunnels = new Tunnels();
  private readonly timeoutMs: number;
  readonly stripPrefix: boolean;
  private readonly verify: boolean;
  private readonly secureContext: SecureContext | undefined;
  private upstream: Upstream | undefined;
  private closed = false;

  constructor(
    private readonly options: ForwarderOptions,
    client: UpstreamClient | undefined,
  ) {
    this.verify = options.secure !== false;
    this.stripPrefix = options.stripPrefix;
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
    const exchange = new Exchange(this, upstream, req, res, fail, this.upstreamPath(req, upstream), requestHeaders(req, upstream, false), framingOf(req));
    this.client.send(upstream.endpoint, exchange);
  }

  private upstreamPath(req: MountedRequest, upstream: Upstream): string {
    const rest = this.stripPrefix ? req.url : req.originalUrl;
    return upstream.basePath === '' ? rest : upstream.basePath + rest;
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
        headers: requestHeaders(req, upstream, true),
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
