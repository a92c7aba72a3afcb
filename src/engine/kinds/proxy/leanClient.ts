/**
 * The proxy's upstream HTTP/1.1 client: pooled keep-alive connections (`net`/`tls` sockets) whose
 * answers are parsed by Node's own llhttp binding (llhttp.ts), relayed through callbacks with no
 * per-request closure or stream in between. This file is the pool; one connection and its call are
 * leanConnection.ts's.
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
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Connection, type ConnectionPool } from './leanConnection';
import { bodiesAreCopies, type HttpParserBinding } from './llhttp';
import { failure, type CallLink, type ClientOptions, type Endpoint, type UpstreamCall, type UpstreamClient } from './upstream';

/** Enough parallel connections for any local load; beyond it calls queue instead of exhausting fds. */
const MAX_CONNECTIONS = 256;
const SWEEP_MS = 1000;
/**
 * Plain connections read into this one buffer (net's `onread`) instead of a new Buffer per read
 * pushed through a Readable stream; a connection parses each read before the next can arrive, and
 * llhttp hands out body pieces as copies (`bodiesAreCopies`), so nothing keeps a view of it.
 */
const SHARED_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

export function createLeanClient(options: ClientOptions, binding: HttpParserBinding): UpstreamClient {
  return new LeanClient(options, binding);
}

/** The connections to one endpoint; what its connections report comes here. */
class Pool implements ConnectionPool {
  /** Idle connections, most recently used last. */
  readonly idle: Connection[] = [];
  /** Calls waiting for a connection, oldest first. */
  readonly waiting: UpstreamCall[] = [];
  open = 0;

  constructor(
    private readonly client: LeanClient,
    readonly endpoint: Endpoint,
  ) {}

  release(connection: Connection): void {
    const next = this.waiting[0];
    if (next !== undefined) {
      // A suspect connection must not carry a request that cannot be sent again: closing it opens
      // a new one for that request (forget).
      if (connection.suspect && !next.retryable) connection.destroy();
      else connection.start(this.waiting.shift()!);
      return;
    }
    connection.idleSince = Date.now();
    this.idle.push(connection);
    this.client.sweepLater();
  }

  /** Out of the pool, and a waiting call gets a new connection. */
  forget(connection: Connection): void {
    if (!this.client.forget(connection)) return;
    this.open--;
    const at = this.idle.indexOf(connection);
    if (at !== -1) this.idle.splice(at, 1);
    const next = this.waiting.shift();
    if (next !== undefined) this.client.connect(this).start(next);
  }

  retry(call: UpstreamCall): void {
    this.client.retry(this, call);
  }
}

class LeanClient implements UpstreamClient, CallLink {
  private readonly pools = new Map<Endpoint, Pool>();
  private readonly connections = new Set<Connection>();
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;
  /** Plain connections read into SHARED_READ_BUFFER (TLS sockets take no `onread`). */
  private readonly sharedReads: boolean;

  constructor(
    private readonly options: ClientOptions,
    private readonly binding: HttpParserBinding,
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
      pool = new Pool(this, endpoint);
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

  connect(pool: Pool): Connection {
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
    connection = new Connection(pool, socket, this.binding, this.options.timeoutMs, onread === undefined);
    pool.open++;
    this.connections.add(connection);
    return connection;
  }

  /** A connection is gone (or going); false when it already was. */
  forget(connection: Connection): boolean {
    return this.connections.delete(connection);
  }

  /** An idle connection is in a pool: the sweep runs until none is. */
  sweepLater(): void {
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
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
