/**
 * A forwarder served the way the engine mounts apps (url/baseUrl/originalUrl, failure pages), with
 * no dispatcher in front: proxy tests that send what the dispatcher would refuse reach the proxy
 * itself. Also a recording upstream and a raw client.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { MountedRequest } from '../../src/engine/kinds/app';
import { createForwarder, type Forwarder, type ForwarderOptions } from '../../src/engine/kinds/proxy/forwarder';
import type { UpstreamClient } from '../../src/engine/kinds/proxy/upstream';
import { silentLogger } from '../../src/engine/logger';
import { sendPage } from '../../src/engine/pages';

export interface ServedForwarder {
  readonly origin: string;
  readonly port: number;
  readonly forwarder: Forwarder;
  readonly server: http.Server;
  close(): Promise<void>;
}

export async function serveForwarder(
  prefix: string,
  options: Partial<ForwarderOptions> & Pick<ForwarderOptions, 'target'>,
  client?: UpstreamClient,
): Promise<ServedForwarder> {
  const forwarder = createForwarder({ name: 'api', stripPrefix: true, timeoutSeconds: 60, logger: silentLogger, ...options }, client);
  const baseUrl = prefix === '/' ? '' : prefix;
  const server = http.createServer((req, res) => {
    const mounted = req as MountedRequest;
    mounted.originalUrl = req.url ?? '/';
    mounted.baseUrl = baseUrl;
    mounted.url = mounted.originalUrl.slice(baseUrl.length) || '/';
    forwarder.handle(mounted, res, (error) => sendPage(req, res, { status: (error as { status?: number }).status ?? 500, message: (error as Error).message }));
  });
  server.on('upgrade', (req: MountedRequest, socket: net.Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    req.originalUrl = req.url ?? '/';
    req.baseUrl = baseUrl;
    req.url = req.originalUrl.slice(baseUrl.length) || '/';
    forwarder.upgrade(req, socket, head);
  });
  const port = await listen(server);
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    forwarder,
    server,
    async close() {
      await forwarder.close();
      await closeServer(server);
    },
  };
}

export async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

export async function closeServer(server: http.Server | net.Server): Promise<void> {
  (server as http.Server).closeAllConnections?.();
  await new Promise((resolve) => server.close(resolve));
}

/** Writes `text` on a fresh connection and returns everything received until the server closes it. */
export function rawExchange(port: number, text: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.write(text);
  });
}

/** A raw TCP upstream: `onConnection` gets every accepted socket. */
export async function rawUpstream(onConnection: (socket: net.Socket) => void): Promise<{ port: number; url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    onConnection(socket);
  });
  const port = await listen(server);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Resolves once `count` requests have been collected by `server` (a node:http upstream). */
export function nextRequest(server: http.Server): Promise<http.IncomingMessage> {
  return new Promise((resolve) => server.once('request', resolve));
}

/**
 * A raw upstream that collects each request head (up to the blank line) per connection and has
 * `answer` write whatever bytes the test chooses; request bodies are not read.
 */
export async function scripted(answer: (head: string, index: number, socket: net.Socket) => void) {
  const heads: string[][] = [];
  const upstream = await rawUpstream((socket) => {
    const mine: string[] = [];
    heads.push(mine);
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (let end = buffer.indexOf('\r\n\r\n'); end !== -1; end = buffer.indexOf('\r\n\r\n')) {
        const head = buffer.slice(0, end);
        buffer = buffer.slice(end + 4);
        mine.push(head);
        answer(head, mine.length - 1, socket);
      }
    });
  });
  return { ...upstream, heads };
}
