/**
 * One pooled connection of the lean client (leanClient.ts) and the call it carries: the request
 * written as one head string and its body with the framing the server parsed, the answer parsed by
 * llhttp and relayed through the call's callbacks, then the connection handed back to its pool or
 * closed.
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
import type * as net from 'node:net';
import { IDLE_MS, idleMsOf, readAnswerHead, requestHead, writeChunk } from './http1';
import type { HeadersComplete, HttpParserBinding, NativeParser } from './llhttp';
import { failure, type CallLink, type UpstreamCall } from './upstream';
import { keepReadingAfterWriteErrors, readOnAfterWriteError } from './writeErrors';

const kConnection = Symbol('mounts.upstream.connection');
type Tagged<T> = T & { [kConnection]?: Connection };

/** What a connection reports to the pool that opened it. */
export interface ConnectionPool {
  /** It finished an answer and may carry another. */
  release(connection: Connection): void;
  /** It is gone (or going): out of the pool. */
  forget(connection: Connection): void;
  /** It was reused and closed before any byte of the answer: once more, on a new connection. */
  retry(call: UpstreamCall): void;
}

/** One upstream connection and the call it carries, if any. */
export class Connection implements CallLink {
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
  private readonly parser: Tagged<NativeParser>;

  constructor(
    /** The pool that opened it, which it reports to. */
    readonly pool: ConnectionPool,
    readonly socket: Tagged<net.Socket>,
    binding: HttpParserBinding,
    /** Milliseconds without a byte from the upstream before the call fails; 0: never. */
    private readonly timeoutMs: number,
    /** False for a socket that reads into a shared buffer (net's `onread`) instead of 'data'. */
    readsData: boolean,
  ) {
    this.parser = answerParser(binding, this);
    listenToSocket(socket, this, timeoutMs, readsData);
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
    // Header values are node's latin1 reading of the bytes received: latin1 sends the same bytes.
    this.socket.write(requestHead(call), 'latin1');
    this.chunked = call.framing === 'chunked';
    this.bodyDone = call.framing === 'none';
    if (!this.bodyDone) {
      const body = call.body as Tagged<IncomingMessage>;
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
    const head = readAnswerHead(call.method, status, upgrade, raw);
    if (head instanceof Error) {
      this.fail(head);
      return 1;
    }
    if (head === 'informational') {
      this.informational = true;
      return 1;
    }
    this.keepAlive = keepAlive && !head.announcesBody;
    this.idleMs = idleMsOf(raw, this.idleMs);
    this.bodyless = head.noBody;
    this.headSent = true;
    call.onHead(status, reason, raw);
    return head.noBody || this.call !== call ? 1 : 0;
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
    if (this.timeoutMs > 0) this.socket.setTimeout(0);
  }

  private readOn(): void {
    if (this.timeoutMs > 0) this.socket.setTimeout(this.timeoutMs);
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
      this.pool.release(this);
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
    return this.chunked ? writeChunk(this.socket, chunk) : this.socket.write(chunk);
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
    if (retry) this.pool.retry(call);
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
    this.pool.forget(this);
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
    this.pool.forget(this);
    this.parser.close();
    if (this.call !== undefined) this.fail(failure('the upstream closed the connection', 'ECONNRESET'));
  }
}

// The connection's parser and socket call it through listeners shared by every connection (no
// closure per connection or request); in them, `this` is the emitter.

function answerParser(binding: HttpParserBinding, connection: Connection): Tagged<NativeParser> {
  const parser: Tagged<NativeParser> = new binding();
  parser.initialize(binding.RESPONSE, {}, 0, binding.kLenientNone);
  parser[binding.kOnMessageBegin] = onMessageBegin;
  parser[binding.kOnHeaders] = onHeaders;
  parser[binding.kOnHeadersComplete] = onHeadersComplete;
  parser[binding.kOnBody] = onBody;
  parser[binding.kOnMessageComplete] = onMessageComplete;
  parser[kConnection] = connection;
  return parser;
}

function listenToSocket(socket: Tagged<net.Socket>, connection: Connection, timeoutMs: number, readsData: boolean): void {
  socket[kConnection] = connection;
  socket.setNoDelay(true);
  keepReadingAfterWriteErrors(socket);
  if (timeoutMs > 0) socket.setTimeout(timeoutMs);
  if (readsData) socket.on('data', onSocketData);
  socket.on('end', onSocketEnd);
  socket.on('error', onSocketError);
  socket.on('close', onSocketClose);
  socket.on('timeout', onSocketTimeout);
  socket.on('drain', onSocketDrain);
}

function onSocketData(this: Tagged<net.Socket>, chunk: Buffer): void {
  this[kConnection]!.onData(chunk);
}

function onSocketEnd(this: Tagged<net.Socket>): void {
  this[kConnection]!.onEnd();
}

function onSocketError(this: Tagged<net.Socket>, error: NodeJS.ErrnoException): void {
  this[kConnection]!.socketError(error);
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
