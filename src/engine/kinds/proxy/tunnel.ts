/**
 * WebSocket (and other upgrade) tunnels of proxy mounts: the upgrade request goes to the upstream
 * on its own connection; a 101 is relayed and bytes then flow both ways until either side closes;
 * any other answer is relayed and the connection closed. The forwarder decides where to connect
 * and with which headers (apps/proxy.ts); this file owns the connection from there on.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../logger';
import { sendSocketPage } from '../../pages';
import { relayedHeaders } from './hopByHop';
import { invalidAnswer } from './upstream';

// How long a closing tunnel may take to flush to a peer that does not read before it is cut.
const TUNNEL_LINGER_MS = 5000;
// Bytes a client may send after its upgrade request before the upstream has agreed to it.
const MAX_EARLY_BYTES = 1024 * 1024;

export interface TunnelOptions {
  /** The mount's name, for messages. */
  readonly name: string;
  readonly logger: Logger;
  /** The client's socket and the bytes that came after its upgrade request. */
  readonly client: Duplex;
  readonly head: Buffer;
  /** The upstream's URL, for messages. */
  readonly upstreamUrl: string;
  /** The request as the client sent it, for messages. */
  readonly originalUrl: string;
  /** Over TLS (an https: target). */
  readonly tls: boolean;
  /** The upgrade request to the upstream; `timeout` is the wait for its answer (0 or undefined: none). */
  readonly request: https.RequestOptions;
  /** The 504 message when the upstream does not answer within `request.timeout`. */
  readonly timeoutMessage: string;
}

/** An upgraded connection, or one being negotiated. */
interface Tunnel {
  readonly client: Duplex;
  readonly request: http.ClientRequest;
  upstream?: Socket;
}

/** A forwarder's open tunnels. */
export class Tunnels {
  private readonly open = new Set<Tunnel>();

  /** Sends the upgrade request upstream and relays whatever comes back. */
  connect(options: TunnelOptions): void {
    const { name, client: socket, head } = options;
    // Upgrades do not use the pool: a tunnel holds its connection for its whole life.
    const request = (options.tls ? https : http).request({ ...options.request, agent: false });
    const tunnel: Tunnel = { client: socket, request };
    this.open.add(tunnel);
    const forget = () => this.open.delete(tunnel);
    // Read the client while the upstream decides, or a client that hangs up would go unnoticed
    // (a paused socket never sees its FIN). Bytes sent early are kept for the upstream, bounded.
    const early: Buffer[] = [];
    let earlyBytes = 0;
    const onEarlyData = (chunk: Buffer) => {
      earlyBytes += chunk.length;
      if (earlyBytes > MAX_EARLY_BYTES) socket.destroy();
      else early.push(chunk);
    };
    const clientGone = () => {
      if (tunnel.upstream !== undefined) return;
      request.destroy();
      socket.destroy();
      forget();
    };
    socket.on('data', onEarlyData);
    socket.once('end', clientGone);
    socket.once('close', clientGone);

    request.on('upgrade', (response: http.IncomingMessage, upstreamSocket: Socket, upstreamHead: Buffer) => {
      socket.off('data', onEarlyData);
      socket.off('end', clientGone);
      socket.off('close', clientGone);
      socket.pause();
      tunnel.upstream = upstreamSocket;
      upstreamSocket.on('error', destroyQuietly);
      if (socket.destroyed || !socket.writable) {
        upstreamSocket.destroy();
        forget();
        return;
      }
      relayUpgraded(response, socket, upstreamSocket, [upstreamHead], [head, ...early], forget);
    });

    request.on('response', (response: http.IncomingMessage) => relayRefusal(response, socket, forget));

    request.on('error', (error: NodeJS.ErrnoException) => {
      forget();
      if (tunnel.upstream !== undefined) return;
      const message = upgradeFailure(options, error);
      options.logger.warn(`upgrade ${options.originalUrl}: ${message}`, name);
      sendSocketPage(socket, { status: 502, message });
    });

    if (options.request.timeout) {
      request.on('timeout', () => {
        if (tunnel.upstream !== undefined) return;
        forget();
        request.destroy();
        options.logger.warn(`upgrade ${options.originalUrl}: ${options.timeoutMessage}`, name);
        sendSocketPage(socket, { status: 504, message: options.timeoutMessage });
      });
    }
    request.end();
  }

  /** Destroys every tunnel at once; resolves when their sockets have closed. */
  destroyAll(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const tunnel of this.open) {
      closing.push(destroyAndWait(tunnel.upstream), destroyAndWait(tunnel.client));
      tunnel.request.destroy();
    }
    this.open.clear();
    return Promise.all(closing).then(() => undefined);
  }
}

/**
 * The upstream agreed: its 101 goes to the client, the bytes each side sent early go to the other,
 * then bytes flow both ways until either side closes.
 */
function relayUpgraded(response: http.IncomingMessage, client: Duplex, upstream: Socket, toClient: Buffer[], toUpstream: Buffer[], forget: () => void): void {
  upstream.setTimeout(0);
  upstream.setNoDelay(true);
  (client as Partial<Socket>).setTimeout?.(0);
  (client as Partial<Socket>).setNoDelay?.(true);
  // The 101 headers pass as they are: Connection/Upgrade are the point of this response.
  let head101 = `HTTP/1.1 101 ${response.statusMessage || 'Switching Protocols'}\r\n`;
  const raw = response.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) head101 += `${raw[i]}: ${raw[i + 1]}\r\n`;
  client.write(`${head101}\r\n`);
  for (const chunk of toClient) if (chunk.length > 0) client.write(chunk);
  for (const chunk of toUpstream) if (chunk.length > 0) upstream.write(chunk);
  // An error on either side cuts both; a clean close of one ends the other once it has flushed.
  const onError = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', onError);
  upstream.on('error', onError);
  client.once('close', () => {
    forget();
    endThenDestroy(upstream);
  });
  upstream.once('close', () => {
    forget();
    endThenDestroy(client);
  });
  upstream.pipe(client);
  client.pipe(upstream);
}

/** The upstream refused the upgrade: relay its answer, then close. */
function relayRefusal(response: http.IncomingMessage, client: Duplex, forget: () => void): void {
  response.on('error', () => client.destroy());
  client.once('close', () => response.destroy());
  const headers = relayedHeaders(response.rawHeaders);
  let text = `HTTP/1.1 ${response.statusCode ?? 502} ${response.statusMessage ?? ''}\r\n`;
  for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
  // Without Content-Length the body ends with the connection.
  client.write(`${text}Connection: close\r\n\r\n`);
  response.pipe(client);
  response.once('end', forget);
}

/** The 502's message for an upgrade that got no answer, or one that cannot be relayed. */
function upgradeFailure(options: TunnelOptions, error: NodeJS.ErrnoException): string {
  const invalid = invalidAnswer(error);
  return invalid !== undefined
    ? `${options.name}: ${options.upstreamUrl} sent an answer that cannot be relayed: ${invalid}.`
    : `${options.name} could not get an answer from ${options.upstreamUrl} (${error.code ?? error.message}).`;
}

/** Destroys `socket`; resolves when it has closed. */
export function destroyAndWait(socket: Duplex | undefined): Promise<void> {
  if (socket === undefined || socket.closed) return Promise.resolve();
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.destroy();
  return closed;
}

/** An 'error' listener that ends the socket it is attached to; shared, so no closure per socket. */
export function destroyQuietly(this: Duplex): void {
  this.destroy();
}

function endThenDestroy(socket: Duplex): void {
  if (socket.destroyed) return;
  (socket as Partial<Socket>).setTimeout?.(TUNNEL_LINGER_MS, () => socket.destroy());
  socket.end(() => socket.destroy());
}
