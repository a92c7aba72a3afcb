/**
 * The one node:http (or node:https) listener of an engine: our request and response classes, the
 * dispatcher's handlers, safe answers to requests Node cannot parse, and a close that ends upgraded
 * sockets too and never waits forever.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import { ConnectionGuard, TIMEOUT_CHECK_INTERVAL_MS } from './connectionLimits';
import { Dispatcher, MountsRequest, MountsResponse } from './dispatch';
import { EngineStartError } from './errors';
import type { Logger } from './logger';
import { PAGE_CSP, STATUS_TITLES } from './pages';
import type { ConnectionLimits } from './spec';
import { closePlainConnections, redirectPlainHttp } from './tls/plainRedirect';
import type { KeyPair } from './tls/x509';

export type MountsServer = http.Server<typeof MountsRequest, typeof MountsResponse>;

/**
 * Listens on `host:port`, with TLS when `secure` (the leaf certificate) is given; rejects with an
 * EngineStartError that says why it cannot.
 */
export function listen(dispatcher: Dispatcher, host: string, port: number, logger: Logger, limits: ConnectionLimits, secure?: KeyPair): Promise<MountsServer> {
  const upgraded = new Set<Duplex>();
  let guard: ConnectionGuard | undefined;
  const options: http.ServerOptions<typeof MountsRequest, typeof MountsResponse> = {
    // The dispatcher answers a missing Host itself, so that 400 is an engine page with safe headers.
    requireHostHeader: false,
    connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    IncomingMessage: MountsRequest,
    ServerResponse: MountsResponse,
  };
  const onRequest = (req: MountsRequest, res: MountsResponse) => {
    guard!.touch(req.socket);
    dispatcher.handleRequest(req, res);
  };
  const server: MountsServer = secure ? createSecureServer(options, secure, onRequest, dispatcher, limits) : http.createServer(options, onRequest);
  guard = new ConnectionGuard(server, limits, upgraded, (message) => logger.warn(message));
  GUARDS.set(server, guard);
  UPGRADED_SOCKETS.set(server, upgraded);
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    dispatcher.handleUpgrade(req, socket, head);
  });
  server.on('connect', dispatcher.handleConnect);
  server.on('clientError', clientErrorHandler());
  return listenOn(server, host, port, logger);
}

/**
 * The answer to a request node:http could not parse, per connection: nothing for a client that is
 * gone, and never a 400 in the middle of another answer.
 */
function clientErrorHandler(): (error: NodeJS.ErrnoException, socket: Duplex) => void {
  const closingAfterAnswer = new WeakSet<Duplex>();
  return (error, socket) => {
    // HPE_INVALID_EOF_STATE: the client closed its side mid-request; it is gone, and nobody reads an answer.
    if (error.code === 'ECONNRESET' || error.code === 'HPE_INVALID_EOF_STATE' || !socket.writable) {
      socket.destroy();
      return;
    }
    // Node's own handler reads the same private field: the response being written, if any.
    const inFlight = (socket as { _httpMessage?: http.ServerResponse | null })._httpMessage;
    if (inFlight?.req.complete) {
      // A pipelined request that fails to parse while the answer to the one before it is still
      // being written: a 400 now would land inside that answer (and destroying would drop it).
      // Let it finish, then close.
      if (!closingAfterAnswer.has(socket)) {
        closingAfterAnswer.add(socket);
        inFlight.once('finish', () => socket.end());
      }
      return;
    }
    // The body of the request being answered is broken (or the client left mid-body): that
    // request gets the 400, unless its answer has begun, which can only be cut.
    if (inFlight?.headersSent) socket.destroy();
    else {
      const status = clientErrorStatus(error.code);
      // The access line of that request must say what its client got: this answer, not the app's.
      if (inFlight instanceof MountsResponse) inFlight.engineAnswer = status;
      socket.end(clientErrorAnswer(status));
    }
  };
}

/** Starts listening; rejects with the reason a user can act on (the port in use, privileges). */
function listenOn(server: MountsServer, host: string, port: number, logger: Logger): Promise<MountsServer> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.close();
      if (error.code === 'EADDRINUSE') reject(new EngineStartError(`port ${port} is in use`, 'port'));
      else if (error.code === 'EACCES') reject(new EngineStartError(`port ${port} needs privileges to listen on`, 'port'));
      else reject(new EngineStartError(`cannot listen on ${host}:${port}: ${error.message}`, 'listen'));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      server.on('error', (error) => logger.error('server error', error));
      resolve(server);
    });
  });
}

/** An https.Server with the same handlers, that answers plain HTTP on its port with a redirect to https://. */
function createSecureServer(
  options: http.ServerOptions<typeof MountsRequest, typeof MountsResponse>,
  secure: KeyPair,
  onRequest: (req: MountsRequest, res: MountsResponse) => void,
  dispatcher: Dispatcher,
  limits: ConnectionLimits,
): MountsServer {
  // A handshake is part of sending the request's head: it gets the headers timeout, not Node's 120 s.
  const handshakeTimeout = limits.headersTimeout * 1000;
  const server = https.createServer({ ...options, key: secure.key, cert: secure.cert, handshakeTimeout }, onRequest);
  // Node reports a failed or timed-out handshake here and leaves the socket open when nobody listens.
  server.on('tlsClientError', (_error: Error, socket: Duplex) => socket.destroy());
  redirectPlainHttp(server as unknown as https.Server, (req) => httpsLocation(req, dispatcher), () => server.headersTimeout);
  return server as unknown as MountsServer;
}

/** The https:// URL of a plain-HTTP request, when its Host is one this server answers for. */
function httpsLocation(req: http.IncomingMessage, dispatcher: Dispatcher): string | undefined {
  const host = req.headers.host;
  if (host === undefined || !dispatcher.table?.hosts.checkHost(host)) return undefined;
  return `https://${host}${req.url?.startsWith('/') ? req.url : '/'}`;
}

/** A new leaf certificate (names changed, or renewed) for connections from now on; open ones keep theirs. */
export function setCertificate(server: MountsServer, secure: KeyPair): void {
  (server as unknown as https.Server).setSecureContext({ key: secure.key, cert: secure.cert });
}

/** Whether the listener speaks TLS. */
export function isSecure(server: MountsServer): boolean {
  return server instanceof https.Server;
}

const GUARDS = new WeakMap<MountsServer, ConnectionGuard>();

/** Applies changed connection limits (a reload) to a running listener. */
export function setConnectionLimits(server: MountsServer, limits: ConnectionLimits): void {
  GUARDS.get(server)?.apply(limits);
}

/**
 * Each listener's upgraded sockets: node:http no longer tracks them, yet server.close() waits for
 * them, so they must be ended by us (on stop at once, on a rebind with the rest after the grace).
 */
const UPGRADED_SOCKETS = new WeakMap<MountsServer, Set<Duplex>>();

export function destroyUpgraded(server: MountsServer): void {
  const sockets = UPGRADED_SOCKETS.get(server);
  if (!sockets) return;
  for (const socket of sockets) socket.destroy();
  sockets.clear();
}

/** How long after the grace period closing may still take before we stop waiting for it. */
const CLOSE_SLACK_MS = 2000;

/**
 * Stops accepting, closes idle keep-alive connections at once, gives in-flight requests `grace` ms,
 * then ends every connection left, upgraded ones included. Never waits forever.
 */
export function closeServer(server: MountsServer, grace: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let finished = false;
    const poll = setInterval(() => closeIdle(server), 20);
    const force = setTimeout(() => {
      server.closeAllConnections();
      destroyUpgraded(server);
    }, grace);
    const finish = (error?: Error) => {
      if (finished) return;
      finished = true;
      clearInterval(poll);
      clearTimeout(force);
      clearTimeout(giveUp);
      if (error && (error as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING') reject(error);
      else resolve();
    };
    const giveUp = setTimeout(() => finish(), grace + CLOSE_SLACK_MS);
    server.close(finish);
    if (!finished) closeIdle(server);
  });
}

function closeIdle(server: MountsServer): void {
  server.closeIdleConnections();
  if (isSecure(server)) closePlainConnections(server as unknown as https.Server);
}

/** The answer to a request Node could not parse: the status Node would send, with the engine's safe headers. */
function clientErrorStatus(code: string | undefined): number {
  return code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
}

function clientErrorAnswer(status: number): string {
  return (
    `HTTP/1.1 ${status} ${STATUS_TITLES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n` +
    `X-Content-Type-Options: nosniff\r\nContent-Security-Policy: ${PAGE_CSP}\r\n\r\n`
  );
}
