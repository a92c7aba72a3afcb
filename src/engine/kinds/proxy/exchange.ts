/**
 * One proxied request in flight: the callback object the upstream client calls back, which relays
 * the answer to the client's response with back-pressure both ways. Its listeners are shared by
 * every request (no closure per request), which is most of why the forwarder's path stays lean.
 */
import type * as http from 'node:http';
import { HttpError, type FailRequest, type MountedRequest } from '../app';
import type { Upstream } from './proxyTarget';
import { responseHeaders, type AnsweredRequest } from './responseHeaders';
import type { BodyFraming, CallLink, UpstreamCall } from './upstream';

const RETRYABLE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
/** How long an early answer waits for the rest of a request body before the connection closes anyway. */
const LINGER_MS = 5000;

const kExchange = Symbol('mounts.proxy.exchange');
type Tagged<T> = T & { [kExchange]?: Exchange };

/** What an exchange asks of the forwarder that made it: the mount's settings and words for failures. */
export interface ExchangeOwner {
  readonly stripPrefix: boolean;
  /** The answer when the upstream cannot be reached or failed before answering. */
  unreachable(exchange: Exchange, error: NodeJS.ErrnoException): HttpError;
  timedOut(upstream: Upstream): HttpError;
  /** The answer failed after its head went to the client, which then sees a cut: the log says why. */
  brokeOff(exchange: Exchange, error: NodeJS.ErrnoException, timedOut: boolean): void;
}

/** One request in flight; the upstream client calls it back. */
export class Exchange implements UpstreamCall, AnsweredRequest {
  link: CallLink | undefined = undefined;
  /** Answered (or abandoned): later upstream events are ignored. */
  settled = false;
  private waitingForDrain = false;
  private bodyAbandoned = false;
  readonly method: string;
  readonly retryable: boolean;

  constructor(
    readonly owner: ExchangeOwner,
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
    (res as Tagged<http.ServerResponse>)[kExchange] = this;
    res.once('close', onClientClose);
  }

  get body(): http.IncomingMessage {
    return this.req;
  }

  get stripPrefix(): boolean {
    return this.owner.stripPrefix;
  }

  onHead(status: number, reason: string, rawHeaders: string[]): void {
    if (this.settled) return;
    try {
      this.res.writeHead(status, reason, responseHeaders(this, rawHeaders));
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
      this.owner.brokeOff(this, error, timedOut);
      return;
    }
    drain(this.req);
    this.fail(timedOut ? this.owner.timedOut(this.upstream) : this.owner.unreachable(this, error));
  }

  onBodyAbandoned(): void {
    this.bodyAbandoned = true;
    drain(this.req);
  }
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
