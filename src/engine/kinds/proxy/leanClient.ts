/**
 * The proxy's upstream HTTP/1.1 client: pooled keep-alive connections (`net`/`tls` sockets) whose
 * answers are parsed by Node's own llhttp binding (llhttp.ts), relayed through callbacks with no
 * per-request closure or stream in between.
 *
 * Hand-written because node:http's client is most of a Node proxy's cost: with the same forwarder
 * and only the client swapped (`npm run bench -- --only proxy-client`), this one takes a fraction
 * of node:http's CPU per request and undici's `Pool.dispatch` is no faster while it would be a
 * dependency (figures in bench/RESULTS.md, "Why the proxy has its own upstream client"). node:http's
 * client spends its time in ClientRequest/OutgoingMessage header handling, the Agent's bookkeeping
 * and an IncomingMessage stream per response; here the head is one string written in one call and
 * the body goes from the parser's callback straight to `res.write` (an answer complete in one
 * read: one `res.end(body)`). Plain connections read with net's `onread` into one shared buffer,
 * which skips a Buffer and a Readable stream's push and 'data' per read (measured there too).
 *
 * The pool: per endpoint, the most recently used idle connection first (LIFO, so the rest age out),
 * at most MAX_CONNECTIONS open, calls beyond that wait in arrival order (FIFO). An idle connection
 * is not reused once it has been idle for longer than IDLE_MS, or than the upstream's own
 * `Keep-Alive: timeout` minus a margin, so a request is never sent on a connection the upstream is
 * about to close; a sweep closes those in the background.
 *
 * Framing is derived from what was parsed, never from headers a peer named in `Connection`: the
 * request's from the server's parse (`framing`), the response's from llhttp. A response to HEAD, a
 * 204 and a 304 have no body whatever their headers say; 1xx answers are skipped; a connection that
 * shows bytes after a complete answer, a body the upstream did not read, `Connection: close` or an
 * HTTP/1.0 answer without keep-alive is closed rather than reused.
 *
 * Some servers write the body an app returned even after HEAD, 204 or 304 (cheroot, wsgiref), and
 * those bytes may come after the connection went back to the pool, even after the next request was
 * sent on it. So a connection whose last answer had no body is `suspect`: only a request that may
 * be sent twice (no body, GET/HEAD/OPTIONS) gets it, and when its answer does not even begin as an
 * HTTP answer, the connection is dropped and the request sent again on a new one. Dropping every
 * such connection instead (undici does for HEAD) would cost a new connection for each of the many
 * 304s a dev server sends on a reload.
 */
import type { IncomingMessage } from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { INVALID_TRANSFER_ENCODING, keepAliveTimeoutMs, unrelayableTransferCoding, type CallLink, type ClientOptions, type Endpoint, type UpstreamCall, type UpstreamClient } from './upstream';
import { bodiesAreCopies, type HeadersComplete, type HttpParserBinding, type NativeParser } from './llhttp';

/** Upstreams close idle keep-alive connections after some seconds (Node: 5); we stop reusing them first. */
const IDLE_MS = 4000;
/** Removed from the upstream's `Keep-Alive: timeout`, for the time a request takes to arrive there. */
const IDLE_MARGIN_MS = 1000;
/** Enough parallel connections for any local load; beyond it calls queue instead of exhausting fds. */
const MAX_CONNECTIONS = 256;
const SWEEP_MS = 1000;
/**
 * Plain connections read into this one buffer (net's `onread`) instead of a new Buffer per read
 * pushed through a Readable stream; `onData` parses each read before the next can arrive, and
 * llhttp hands out body pieces as copies (`bodiesAreCopies`), so nothing keeps a view of it.
 */
const SHARED_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

const kConnection = Symbol('mounts.upstream.connection');
type Tagged<T> = T & { [kConnection]?: Connection };

export function createLeanClient(options: ClientOptions, binding: HttpParserBinding): UpstreamClient {
  return new LeanClient(options, binding);
}

/** The connections to one endpoint. */
class Pool {
  /** Idle connections, most recently used last. */
  readonly idle: Connection[] = [];
  /** Calls waiting for a connection, oldest first. */
  readonly waiting: UpstreamCall[] = [];
  open = 0;
  constructor(readonly endpoint: Endpoint) {}
}

/** Failures the forwarder reports by code, like node's own socket errors. */
function failure(message: string, code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

class LeanClient implements UpstreamClient, CallLink {
  private readonly pools = new Map<Endpoint, Pool>();
  private readonly connections = new Set<Connection>();
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;
  /** Plain connections read into SHARED_READ_BUFFER (TLS sockets take no `onread`). */
  readonly sharedReads: boolean;

  constructor(
    readonly options: ClientOptions,
    readonly binding: HttpParserBinding,
  ) {
    this.sharedReads = bodiesAreCopies(binding);
  }

  send(endpoint: Endpoint, call: UpstreamCall): void {
    if (this.closed) {
      call.onFail(failure('the proxy is closing', 'ECONNRESET'), false, false);
      return;
    }
    let pool = this.pools.get(endpoint);
    if (pool === undefined) {
      pool = new Pool(endpoint);
      this.pools.set(endpoint, pool);
    }
    const now = Date.now();
    const idle = pool.idle;
    while (idle.length > 0) {
      const connection = idle.pop()!;
      if (now - connection.idleSince < connection.idleMs && (call.retryable || !connection.suspect)) {
        connection.start(call);
        return;
      }
      // The ones below it have been idle longer still: the loop closes them too. A suspect one
      // must not carry a request that cannot be sent again; closed, not kept, as this is rare.
      connection.destroy();
    }
    if (pool.open < MAX_CONNECTIONS) this.connect(pool).start(call);
    else {
      call.link = this;
      pool.waiting.push(call);
    }
  }

  /** A reused connection closed before any byte of the answer: once more, on a new connection. */
  retry(pool: Pool, call: UpstreamCall): void {
    if (this.closed) call.onFail(failure('the proxy is closing', 'ECONNRESET'), false, false);
    else this.connect(pool).start(call);
  }

  private connect(pool: Pool): Connection {
    const { hostname, port } = pool.endpoint;
    // One closure per connection (not per request) for the reads: see SHARED_READ_BUFFER.
    let connection: Connection | undefined;
    const onread = this.sharedReads && !pool.endpoint.tls ? { buffer: SHARED_READ_BUFFER, callback: (bytes: number, buffer: Buffer) => connection!.onRead(bytes, buffer) } : undefined;
    const socket = pool.endpoint.tls
      ? tls.connect({
          host: hostname,
          port,
          // SNI takes names only; certificates for IP addresses are checked against the address.
          servername: net.isIP(hostname) === 0 ? hostname : undefined,
          rejectUnauthorized: pool.endpoint.verify,
          secureContext: pool.endpoint.secureContext,
          ALPNProtocols: ['http/1.1'],
        })
      : net.connect({ host: hostname, port, onread });
    connection = new Connection(this, pool, socket, new this.binding(), onread === undefined);
    pool.open++;
    this.connections.add(connection);
    return connection;
  }

  /** A connection that finished an answer and may carry another. */
  release(connection: Connection): void {
    const pool = connection.pool;
    const next = pool.waiting[0];
    if (next !== undefined) {
      // A suspect connection must not carry a request that cannot be sent again: closing it opens
      // a new one for that request (forget).
      if (connection.suspect && !next.retryable) connection.destroy();
      else connection.start(pool.waiting.shift()!);
      return;
    }
    connection.idleSince = Date.now();
    pool.idle.push(connection);
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
  }

  /** A connection that is gone (or going): out of the pool, and a waiting call gets a new one. */
  forget(connection: Connection): void {
    if (!this.connections.delete(connection)) return;
    const pool = connection.pool;
    pool.open--;
    const at = pool.idle.indexOf(connection);
    if (at !== -1) pool.idle.splice(at, 1);
    const next = pool.waiting.shift();
    if (next !== undefined) this.connect(pool).start(next);
  }

  private sweep(): void {
    const now = Date.now();
    let idle = 0;
    for (const pool of this.pools.values()) {
      for (const connection of pool.idle.slice()) {
        if (now - connection.idleSince >= connection.idleMs) connection.destroy();
      }
      idle += pool.idle.length;
      if (pool.open === 0) this.pools.delete(pool.endpoint);
    }
    if (idle === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  // CallLink of a waiting call.
  resume(): void {}

  abort(call: UpstreamCall): void {
    for (const pool of this.pools.values()) {
      const at = pool.waiting.indexOf(call);
      if (at !== -1) pool.waiting.splice(at, 1);
    }
    call.link = undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    const closing: Promise<void>[] = [];
    for (const pool of this.pools.values()) {
      for (const call of pool.waiting.splice(0)) call.onFail(failure('the proxy is closing', 'ECONNRESET'), false, false);
    }
    for (const connection of this.connections) {
      const socket = connection.socket;
      if (!socket.closed) closing.push(new Promise((resolve) => socket.once('close', () => resolve())));
      connection.fail(failure('the proxy is closing', 'ECONNRESET'));
    }
    await Promise.all(closing);
  }
}

/** One upstream connection and the call it carries, if any. */
class Connection implements CallLink {
  call: UpstreamCall | undefined = undefined;
  idleSince = 0;
  idleMs = IDLE_MS;
  /** It carried an answer before this call: a close with no byte back may be the keep-alive race. */
  private reused = false;
  /** Its last answer had no body, which the upstream may still be sending (see the file's comment). */
  suspect = false;
  private bodyless = false;
  private received = false;
  private headSent = false;
  private informational = false;
  private completed = false;
  /** Bytes came after a complete answer: the connection can no longer be trusted. */
  private trailing = false;
  private keepAlive = true;
  private chunked = false;
  private bodyDone = true;
  private dead = false;
  private heldBody: Buffer | undefined = undefined;
  /** Sending the body failed; the answer may still come. */
  private writeError: NodeJS.ErrnoException | undefined = undefined;
  /** Header pairs llhttp handed over before the end of a very long head. */
  private pendingHeaders: string[] = [];

  constructor(
    readonly client: LeanClient,
    readonly pool: Pool,
    readonly socket: Tagged<net.Socket>,
    readonly parser: Tagged<NativeParser>,
    readsData: boolean,
  ) {
    const binding = client.binding;
    parser.initialize(binding.RESPONSE, {}, 0, binding.kLenientNone);
    parser[binding.kOnMessageBegin] = onMessageBegin;
    parser[binding.kOnHeaders] = onHeaders;
    parser[binding.kOnHeadersComplete] = onHeadersComplete;
    parser[binding.kOnBody] = onBody;
    parser[binding.kOnMessageComplete] = onMessageComplete;
    parser[kConnection] = this;
    socket[kConnection] = this;
    socket.setNoDelay(true);
    keepReadingAfterWriteErrors(socket);
    if (client.options.timeoutMs > 0) socket.setTimeout(client.options.timeoutMs);
    if (readsData) socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    socket.on('timeout', onSocketTimeout);
    socket.on('drain', onSocketDrain);
  }

  /** Sends `call`'s request: the head as one string, then its body with the framing the server parsed. */
  start(call: UpstreamCall): void {
    this.call = call;
    call.link = this;
    this.received = false;
    this.headSent = false;
    this.completed = false;
    this.bodyless = false;
    this.keepAlive = true;
    const headers = call.headers;
    let head = `${call.method} ${call.path} HTTP/1.1\r\n`;
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    const body = call.body as Tagged<IncomingMessage>;
    if (call.framing === 'length') head += `Content-Length: ${body.headers['content-length']}\r\n\r\n`;
    else if (call.framing === 'chunked') head += 'Transfer-Encoding: chunked\r\n\r\n';
    else head += '\r\n';
    // Header values are node's latin1 reading of the bytes received: latin1 sends the same bytes.
    this.socket.write(head, 'latin1');
    this.chunked = call.framing === 'chunked';
    this.bodyDone = call.framing === 'none';
    if (!this.bodyDone) {
      body[kConnection] = this;
      body.on('data', onBodyData);
      body.on('end', onBodyEnd);
    }
  }

  onData(chunk: Buffer): void {
    if (this.call === undefined) {
      // Bytes while idle answer nothing we asked: never reuse this connection.
      this.destroy();
      return;
    }
    this.received = true;
    const result = this.parser.execute(chunk);
    if (this.dead) return;
    if (this.completed) this.finishCall();
    else if (typeof result !== 'number') {
      const { code, reason } = result as { code?: string; reason?: string };
      // Not even the start of an answer on a suspect connection: the last answer's body, most likely.
      this.fail(failure(reason ?? result.message, code ?? 'HPE_INVALID'), false, this.suspect && !this.headSent);
    }
    else if (this.heldBody !== undefined) this.deliverHeldBody();
  }

  /** A read into SHARED_READ_BUFFER; pausing goes through `socket.pause()`, as for 'data'. */
  onRead(bytes: number, buffer: Buffer): boolean {
    this.onData(buffer.subarray(0, bytes));
    return true;
  }

  onEnd(): void {
    if (this.call === undefined) {
      this.destroy();
      return;
    }
    // An answer read until the connection closes ends here; any other is cut short.
    this.keepAlive = false;
    const result = this.parser.finish();
    if (this.dead) return;
    if (this.completed) this.finishCall();
    else if (this.writeError !== undefined) this.fail(this.writeError);
    else this.fail(failure(result === undefined ? 'the upstream closed the connection before answering' : 'the upstream closed the connection mid-answer', 'ECONNRESET'));
  }

  headersComplete(headers: string[] | undefined, status: number, reason: string, upgrade: boolean, keepAlive: boolean): number {
    const call = this.call;
    if (call === undefined || this.dead || this.trailing) {
      this.trailing = true;
      return 1;
    }
    const raw = headers ?? this.takePendingHeaders();
    if (status < 200) {
      if (status === 101 || upgrade) {
        this.fail(failure('it switched protocols unasked', 'HPE_INVALID'));
        return 1;
      }
      this.informational = true;
      return 1;
    }
    this.keepAlive = keepAlive;
    let noBody = call.method === 'HEAD' || status === 304;
    if (!noBody && status !== 204) {
      const refused = unrelayableTransferCoding(raw);
      if (refused !== undefined) {
        this.fail(failure(refused, INVALID_TRANSFER_ENCODING));
        return 1;
      }
    }
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i];
      if (name.length === 10 && name.toLowerCase() === 'keep-alive') {
        const timeout = keepAliveTimeoutMs(raw[i + 1]);
        if (timeout !== undefined) this.idleMs = Math.min(IDLE_MS, Math.max(timeout - IDLE_MARGIN_MS, timeout / 2));
      }
    }
    if (status === 204) {
      noBody = true;
      // A 204 that announces a body is from an upstream that may send one: do not reuse.
      for (let i = 0; i < raw.length; i += 2) {
        const name = raw[i].toLowerCase();
        if ((name === 'content-length' && raw[i + 1].trim() !== '0') || name === 'transfer-encoding') this.keepAlive = false;
      }
    }
    this.bodyless = noBody;
    this.headSent = true;
    call.onHead(status, reason, raw);
    return noBody || this.call !== call ? 1 : 0;
  }

  /**
   * Body pieces are held until the next one or the end of this read, so an answer that is complete
   * in one read goes out with `res.end(body)`: one socket write instead of two.
   */
  body(chunk: Buffer): void {
    if (this.call === undefined || this.dead || this.trailing) return;
    if (this.heldBody !== undefined) this.deliverHeldBody();
    this.heldBody = chunk;
  }

  private deliverHeldBody(): void {
    const chunk = this.heldBody!;
    this.heldBody = undefined;
    if (this.call !== undefined && !this.call.onData(chunk)) this.holdBack();
  }

  /**
   * The client reads slower than the upstream sends: stop reading the upstream, and stop its clock
   * too. The timeout measures the upstream's silence; while we hold it back, the silence is ours (a
   * video element stops reading for minutes once its buffer is full).
   */
  private holdBack(): void {
    this.socket.pause();
    if (this.client.options.timeoutMs > 0) this.socket.setTimeout(0);
  }

  private readOn(): void {
    const timeoutMs = this.client.options.timeoutMs;
    if (timeoutMs > 0) this.socket.setTimeout(timeoutMs);
    this.socket.resume();
  }

  messageBegin(): void {
    if (this.call === undefined || this.completed) this.trailing = true;
  }

  messageComplete(): void {
    if (this.informational) {
      this.informational = false;
      return;
    }
    if (this.call === undefined || this.trailing || this.completed) {
      this.trailing = true;
      return;
    }
    this.completed = true;
  }

  addPendingHeaders(headers: string[]): void {
    for (const item of headers) this.pendingHeaders.push(item);
  }

  private takePendingHeaders(): string[] {
    const headers = this.pendingHeaders;
    this.pendingHeaders = [];
    return headers;
  }

  /** The answer is complete: end the call, then reuse the connection when nothing speaks against it. */
  private finishCall(): void {
    const call = this.call!;
    this.call = undefined;
    this.completed = false;
    call.link = undefined;
    const bodyDone = this.bodyDone;
    if (!bodyDone) {
      this.detachBody(call);
      call.onBodyAbandoned();
    }
    const last = this.heldBody;
    this.heldBody = undefined;
    call.onEnd(last);
    if (this.keepAlive && bodyDone && !this.trailing && !this.dead) {
      this.reused = true;
      this.suspect = this.bodyless;
      // A body piece of this read may have paused the socket for the client's back-pressure, and the
      // call that would resume it is over: an idle or reused connection must read, or the next
      // answer on it (and the upstream's close) is never seen.
      this.readOn();
      this.client.release(this);
    } else this.destroy();
  }

  private detachBody(call: UpstreamCall): void {
    const body = call.body as Tagged<IncomingMessage>;
    if (body[kConnection] !== this) return;
    body[kConnection] = undefined;
    body.off('data', onBodyData);
    body.off('end', onBodyEnd);
    if (body.isPaused()) body.resume();
  }

  bodyData(chunk: Buffer): boolean {
    const socket = this.socket;
    if (!this.chunked) return socket.write(chunk);
    socket.cork();
    socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
    socket.write(chunk);
    const flowing = socket.write('\r\n', 'latin1');
    socket.uncork();
    return flowing;
  }

  bodyEnd(): void {
    this.bodyDone = true;
    if (this.call !== undefined) this.detachBody(this.call);
    if (this.chunked) this.socket.write('0\r\n\r\n', 'latin1');
  }

  drain(): void {
    const call = this.call;
    if (call !== undefined && !this.bodyDone && call.body.isPaused()) call.body.resume();
  }

  /**
   * A socket error. A failed write of the request body may mean the upstream answered early and
   * closed (413): stop sending and read on; the answer or the end of the connection decides.
   */
  socketError(error: NodeJS.ErrnoException): void {
    const call = this.call;
    if (error.syscall === 'write' && call !== undefined && !this.bodyDone && !this.socket.destroyed && this.writeError === undefined && readOnAfterWriteError(this.socket)) {
      this.writeError = error;
      this.detachBody(call);
      call.onBodyAbandoned();
      return;
    }
    this.fail(error);
  }

  /**
   * The call (if any) failed on this connection: close it, then retry or report. `stale` says the
   * bytes that failed were left over from the last answer, not an answer to this call.
   */
  fail(error: NodeJS.ErrnoException, timedOut = false, stale = false): void {
    const call = this.call;
    // Retried at most once: the retry's connection is a new one, never `reused` nor `suspect`.
    const retry = call !== undefined && !timedOut && ((this.reused && !this.received) || stale) && call.retryable;
    this.destroy();
    if (call === undefined) return;
    if (retry) this.client.retry(this.pool, call);
    else call.onFail(error, this.headSent, timedOut);
  }

  /** Closes the connection at once; its call (if any) gets no callback from here. */
  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    const call = this.call;
    this.call = undefined;
    this.heldBody = undefined;
    if (call !== undefined) {
      call.link = undefined;
      this.detachBody(call);
    }
    this.socket.destroy();
    this.client.forget(this);
  }

  // CallLink
  resume(call: UpstreamCall): void {
    if (this.call === call) this.readOn();
  }

  abort(call: UpstreamCall): void {
    if (this.call === call) this.destroy();
  }

  /** The socket has closed: the native parser's memory can go. */
  closed(): void {
    this.client.forget(this);
    this.parser.close();
    if (this.call !== undefined) this.fail(failure('the upstream closed the connection', 'ECONNRESET'));
  }
}

// Listeners shared by every connection (no closure per connection or request); `this` is the emitter.

function onSocketData(this: Tagged<net.Socket>, chunk: Buffer): void {
  this[kConnection]!.onData(chunk);
}

function onSocketEnd(this: Tagged<net.Socket>): void {
  this[kConnection]!.onEnd();
}

function onSocketError(this: Tagged<net.Socket>, error: NodeJS.ErrnoException): void {
  this[kConnection]!.socketError(error);
}

/**
 * node:net destroys a socket on its first write error, and with it the answer that may already be
 * waiting to be read; node:stream also marks the readable side errored, which stops reading. Both
 * are turned off through node:stream's internal state (`autoDestroy` here, `errored` in
 * `readOnAfterWriteError`), which test/engine/proxy-internals.test.ts pins; the connection destroys
 * its socket itself on every path. Where the state is not found, a failed upload reports the write
 * error (502), as node:http's client does.
 */
export function keepReadingAfterWriteErrors(socket: net.Socket): boolean {
  const { readable, writable } = streamStates(socket);
  if (typeof readable?.autoDestroy !== 'boolean' || typeof writable?.autoDestroy !== 'boolean') return false;
  readable.autoDestroy = false;
  writable.autoDestroy = false;
  return true;
}

/** After a write error on a socket set up by `keepReadingAfterWriteErrors`: lets its readable side go on. */
export function readOnAfterWriteError(socket: net.Socket): boolean {
  const { readable } = streamStates(socket);
  if (readable?.autoDestroy !== false || !('errored' in readable)) return false;
  readable.errored = null;
  return true;
}

interface StreamState {
  autoDestroy?: unknown;
  errored?: unknown;
}

function streamStates(socket: net.Socket): { readable: StreamState | undefined; writable: StreamState | undefined } {
  const internals = socket as unknown as { _readableState?: StreamState; _writableState?: StreamState };
  return { readable: internals._readableState, writable: internals._writableState };
}

function onSocketClose(this: Tagged<net.Socket>): void {
  this[kConnection]!.closed();
}

function onSocketTimeout(this: Tagged<net.Socket>): void {
  this[kConnection]!.fail(failure('the upstream sent nothing in time', 'ETIMEDOUT'), true);
}

function onSocketDrain(this: Tagged<net.Socket>): void {
  this[kConnection]!.drain();
}

function onBodyData(this: Tagged<IncomingMessage>, chunk: Buffer): void {
  const connection = this[kConnection];
  if (connection !== undefined && !connection.bodyData(chunk)) this.pause();
}

function onBodyEnd(this: Tagged<IncomingMessage>): void {
  this[kConnection]?.bodyEnd();
}

function onMessageBegin(this: Tagged<NativeParser>): number {
  this[kConnection]!.messageBegin();
  return 0;
}

function onHeaders(this: Tagged<NativeParser>, headers: string[]): void {
  this[kConnection]!.addPendingHeaders(headers);
}

const onHeadersComplete: HeadersComplete = function (this: Tagged<NativeParser>, _major, _minor, headers, _method, _url, status, reason, upgrade, keepAlive) {
  return this[kConnection]!.headersComplete(headers, status, reason, upgrade, keepAlive);
};

function onBody(this: Tagged<NativeParser>, chunk: Buffer): void {
  this[kConnection]!.body(chunk);
}

function onMessageComplete(this: Tagged<NativeParser>): void {
  this[kConnection]!.messageComplete();
}
