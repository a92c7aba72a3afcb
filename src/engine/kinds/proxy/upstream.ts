/**
 * What the forwarder needs from an upstream HTTP client, so the lean client (leanClient.ts) and its
 * node:http fallback (nodeClient.ts) are interchangeable. Calls carry their own callbacks: the
 * client keeps no closure per request. Both clients import this file and client.ts imports both,
 * so it imports neither.
 */
import type { IncomingMessage } from 'node:http';
import type { SecureContext } from 'node:tls';

/** Where to connect. */
export interface Endpoint {
  readonly hostname: string;
  readonly port: number;
  readonly tls: boolean;
  /** TLS only: verify the certificate chain and name (false accepts self-signed upstreams). */
  readonly verify: boolean;
  /** TLS only: the roots to verify against, the local CA among them; undefined: Node's own roots. */
  readonly secureContext?: SecureContext;
}

/** How the request body is framed upstream: always derived from what the server parsed. */
export type BodyFraming = 'none' | 'length' | 'chunked';

/** One request to send and the callbacks for its answer. */
export interface UpstreamCall {
  readonly method: string;
  readonly path: string;
  /** Flat `[name, value, ...]`, without framing headers (the client adds them from `framing`). */
  readonly headers: readonly string[];
  readonly framing: BodyFraming;
  /** The body to stream, when `framing` is not 'none'; its `content-length` when 'length'. */
  readonly body: IncomingMessage;
  /** May be sent again on a fresh connection when a reused one closed before any byte came back. */
  readonly retryable: boolean;
  /** The client's handle for this call while it is in flight (set by the client). */
  link: CallLink | undefined;
  /** Status line and headers (1xx answers are not reported). */
  onHead(status: number, reason: string, rawHeaders: string[]): void;
  /** A piece of the body; false asks for no more until `link.resume()`. */
  onData(chunk: Buffer): boolean;
  /** The answer is complete; `last` is its final piece of body, if any (one write for small answers). */
  onEnd(last: Buffer | undefined): void;
  /**
   * The call failed: `headSent` tells whether `onHead` was called. `timedOut` is true when the
   * upstream sent nothing for the timeout. Never called after `onEnd`.
   */
  onFail(error: NodeJS.ErrnoException, headSent: boolean, timedOut: boolean): void;
  /** The upstream answered before the whole body was sent: the rest of it will not be read. */
  onBodyAbandoned(): void;
}

/** Controls of a call in flight. */
export interface CallLink {
  resume(call: UpstreamCall): void;
  /** Gives up on the call: its connection is destroyed, no callback follows. */
  abort(call: UpstreamCall): void;
}

export interface ClientOptions {
  /** Milliseconds without a byte from the upstream before a call fails as timed out; 0: never. */
  readonly timeoutMs: number;
}

export interface UpstreamClient {
  send(endpoint: Endpoint, call: UpstreamCall): void;
  /** Destroys every connection; resolves when they are closed. */
  close(): Promise<void>;
}

/** `Keep-Alive: timeout=N` of a response, in milliseconds; undefined when absent. */
export function keepAliveTimeoutMs(value: string): number | undefined {
  const match = /(?:^|[,;\s])timeout\s*=\s*(\d+)/i.exec(value);
  return match === null ? undefined : Number(match[1]) * 1000;
}

/**
 * Why an answer's `Transfer-Encoding` cannot be relayed, or undefined when it is absent or plain
 * `chunked`. Any other transfer coding (`gzip, chunked`) would reach the client still encoded and
 * without a `Content-Encoding` that says so, and no browser decodes transfer codings: the answer is
 * refused, as Go's net/http (so Caddy) and Squid refuse it, rather than decoded by hand or relabelled
 * as a content coding the upstream never chose.
 */
export function unrelayableTransferCoding(rawHeaders: readonly string[]): string | undefined {
  let codings: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') codings = codings === undefined ? rawHeaders[i + 1] : `${codings}, ${rawHeaders[i + 1]}`;
  }
  if (codings === undefined || codings.trim().toLowerCase() === 'chunked') return undefined;
  return `Transfer-Encoding "${codings}" is not relayed (only chunked is; a compressed body needs Content-Encoding)`;
}

/** Failures the clients report by code, like node's own socket errors. */
export function failure(message: string, code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/** The code of answers the client refuses; llhttp's own name for the same fault in requests. */
export const INVALID_TRANSFER_ENCODING = 'HPE_INVALID_TRANSFER_ENCODING';

/**
 * What was wrong with an answer the upstream sent, when llhttp (or the client) refused it: llhttp's
 * codes (HPE_*) with its words for them (`reason` on node:http's errors, the message on the lean
 * client's), e.g. "Invalid character in chunk size (HPE_INVALID_CHUNK_SIZE)".
 */
export function invalidAnswer(error: NodeJS.ErrnoException): string | undefined {
  const code = error.code;
  if (code?.startsWith('HPE_') !== true) return undefined;
  const reason = (error as { reason?: unknown }).reason;
  return `${typeof reason === 'string' ? reason : error.message} (${code})`;
}
