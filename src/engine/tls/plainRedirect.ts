/**
 * One port for both schemes: the HTTPS listener looks at the first byte a client sends. A TLS
 * handshake (a record of type 22) goes on to TLS; anything else is plain HTTP, which gets a
 * redirect to the same URL over https:// rather than the TLS error a browser shows as a broken page.
 *
 * Hand-written: the packages that do this (httpolyglot and its forks) wrap a whole server of their
 * own, while the engine's listener, its connection limits and its close need the one https.Server.
 */
import * as http from 'node:http';
import type * as https from 'node:https';
import type { Socket } from 'node:net';
import { PAGE_CSP } from '../pages';

const TLS_HANDSHAKE_RECORD = 0x16;

interface Sniffing {
  /** Connections that have not sent their first byte yet. */
  readonly waiting: Set<Socket>;
  readonly plain: http.Server;
}

const SNIFFING = new WeakMap<https.Server, Sniffing>();

/**
 * Makes `server` sniff each connection. `location` gives the https:// URL a plain request is sent
 * to (undefined: its Host is not one this server answers for, 421); `firstByteTimeout` is how long
 * a connection may stay silent (the headers timeout: a silent connection is a slow one).
 */
export function redirectPlainHttp(server: https.Server, location: (req: http.IncomingMessage) => string | undefined, firstByteTimeout: () => number): void {
  // tls.Server's own 'connection' listener starts the handshake at once: it runs only for TLS.
  const startTls = server.listeners('connection')[0] as (socket: Socket) => void;
  server.removeListener('connection', startTls);
  const plain = http.createServer({ requireHostHeader: false }, (req, res) => answerPlain(req, res, location(req)));
  const waiting = new Set<Socket>();
  SNIFFING.set(server, { waiting, plain });
  server.on('connection', (socket: Socket) => {
    waiting.add(socket);
    // Until it is handed on, nothing else listens to this socket: a reset must not go unhandled.
    const onError = () => socket.destroy();
    const onTimeout = () => socket.destroy();
    socket.on('error', onError);
    socket.setTimeout(firstByteTimeout(), onTimeout);
    socket.once('close', () => waiting.delete(socket));
    socket.once('data', (chunk: Buffer) => {
      waiting.delete(socket);
      socket.setTimeout(0);
      socket.off('timeout', onTimeout);
      socket.off('error', onError);
      // Given back, so that TLS or the HTTP parser reads the connection from its first byte.
      socket.pause();
      socket.unshift(chunk);
      if (chunk[0] === TLS_HANDSHAKE_RECORD) {
        startTls.call(server, socket);
      } else {
        // Not listening, this server never checks its headers timeout: an idle timeout stands in.
        plain.timeout = firstByteTimeout();
        plain.emit('connection', socket);
        // node:http reads a fresh socket straight from its handle; the byte given back is in the
        // stream's buffer, which only flows when resumed.
        socket.resume();
      }
    });
  });
}

/** Ends the connections that are not (yet) HTTPS ones: on close they hold nothing worth waiting for. */
export function closePlainConnections(server: https.Server): void {
  const sniffing = SNIFFING.get(server);
  if (!sniffing) return;
  for (const socket of sniffing.waiting) socket.destroy();
  sniffing.waiting.clear();
  sniffing.plain.closeAllConnections();
}

function answerPlain(req: http.IncomingMessage, res: http.ServerResponse, location: string | undefined): void {
  // 308 keeps the method and body: a form POSTed to http:// is POSTed again to https://.
  const status = location === undefined ? 421 : 308;
  res.writeHead(status, {
    ...(location === undefined ? {} : { Location: location }),
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Security-Policy': PAGE_CSP,
    'X-Content-Type-Options': 'nosniff',
    // The browser's next request is a TLS handshake, on a new connection.
    Connection: 'close',
  });
  res.end(location === undefined ? 'This server speaks HTTPS only.\n' : `This server speaks HTTPS: ${location}\n`);
  req.resume();
}
