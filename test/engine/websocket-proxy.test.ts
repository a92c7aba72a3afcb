/**
 * WebSocket upgrades through proxy mounts of a real engine, against a real `ws` echo server and raw
 * TCP upstreams. The forwarder's own contract (function targets, close) is tested through a
 * minimal server that mounts it the way the engine does.
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { waitFor } from '../waitFor';
import { rawUpgrade, startEngine } from './helpers';
import { closeServer, listen, serveForwarder } from './proxy-harness';

interface MountOptions {
  readonly target: string;
  readonly name?: string;
  readonly stripPrefix?: boolean;
  readonly timeoutSeconds?: number;
}

/** An engine serving one proxy mount at `prefix`. */
async function mountProxy(prefix: string, options: MountOptions) {
  const running = await startEngine({
    mounts: [{ prefix, proxy: options.target, name: options.name, stripPrefix: options.stripPrefix, timeout: options.timeoutSeconds }],
  });
  return { port: running.port, url: `ws://127.0.0.1:${running.port}${prefix}`, close: () => running.stop() };
}

/** A `ws` echo server that records the upgrade requests it saw. */
async function startEcho() {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  const requests: http.IncomingMessage[] = [];
  const closes: { code: number; reason: string }[] = [];
  wss.on('connection', (socket, req) => {
    requests.push(req);
    socket.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      if (text.startsWith('close-me:')) socket.close(Number(text.slice(9)), 'server says bye');
      else socket.send(data, { binary: isBinary });
    });
    socket.on('close', (code, reason) => closes.push({ code, reason: reason.toString() }));
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    wss,
    requests,
    closes,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => wss.close(resolve));
      await closeServer(server);
    },
  };
}

function open(url: string, options?: ConstructorParameters<typeof WebSocket>[2]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`status ${res.statusCode}`), { status: res.statusCode })));
  });
}

function nextMessage(socket: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => socket.once('message', (data: RawData, isBinary: boolean) => resolve({ data: data as Buffer, isBinary })));
}

function closed(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

/** The response to an upgrade request: status and body. */
function upgradeStatus(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    socket.once('open', () => reject(new Error('the upgrade succeeded')));
    socket.once('error', () => {});
  });
}

describe('WebSocket proxying (apps/proxy.ts upgrade)', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of cleanup.splice(0).reverse()) await close();
  });
  async function setup(options: Partial<MountOptions> = {}) {
    const echo = await startEcho();
    cleanup.push(echo.close);
    const proxy = await mountProxy('/api', { target: echo.url, ...options });
    cleanup.push(proxy.close);
    return { echo, proxy };
  }

  it('echoes text through the proxy, with the prefix stripped and X-Forwarded-* set', async () => {
    const { echo, proxy } = await setup();
    const socket = await open(`${proxy.url}/socket?room=1`, { headers: { 'X-Forwarded-For': '6.6.6.6', Origin: `http://localhost:${proxy.port}` } });
    socket.send('hello');
    const reply = await nextMessage(socket);
    assert.equal(reply.data.toString(), 'hello');
    assert.equal(reply.isBinary, false);
    const seen = echo.requests[0];
    assert.equal(seen.url, '/socket?room=1');
    assert.equal(seen.headers.host, `127.0.0.1:${echo.port}`);
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-forwarded-prefix'], '/api');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers.origin, `http://localhost:${proxy.port}`);
    socket.close();
    await closed(socket);
  });

  it('keeps the prefix when stripPrefix is false', async () => {
    const { echo, proxy } = await setup({ stripPrefix: false });
    const socket = await open(`${proxy.url}/socket`);
    assert.equal(echo.requests[0].url, '/api/socket');
    socket.terminate();
  });

  it('echoes a 256 KiB binary message intact', async () => {
    const { proxy } = await setup();
    const socket = await open(`${proxy.url}/`);
    const payload = Buffer.alloc(256 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
    socket.send(payload);
    const reply = await nextMessage(socket);
    assert.equal(reply.isBinary, true);
    assert.ok(reply.data.equals(payload));
    socket.close();
    await closed(socket);
  });

  it('keeps 100 messages in order', async () => {
    const { proxy } = await setup();
    const socket = await open(`${proxy.url}/`);
    const received: string[] = [];
    const all = new Promise<void>((resolve) =>
      socket.on('message', (data: RawData) => {
        received.push(data.toString());
        if (received.length === 100) resolve();
      }),
    );
    for (let i = 0; i < 100; i++) socket.send(`message ${i}`);
    await all;
    assert.deepEqual(
      received,
      Array.from({ length: 100 }, (_, i) => `message ${i}`),
    );
    socket.close();
    await closed(socket);
  });

  it('passes a clean close from the client through, code and reason', async () => {
    const { echo, proxy } = await setup();
    const socket = await open(`${proxy.url}/`);
    socket.close(4001, 'client says bye');
    assert.deepEqual(await closed(socket), { code: 4001, reason: 'client says bye' });
    await waitFor('the upstream to see the close', () => echo.closes.length === 1, 2000);
    assert.deepEqual(echo.closes[0], { code: 4001, reason: 'client says bye' });
  });

  it('passes a clean close from the server through, code and reason', async () => {
    const { proxy } = await setup();
    const socket = await open(`${proxy.url}/`);
    socket.send('close-me:4002');
    // ws reports 'close' only once the TCP connection is closed, so nothing is left hanging.
    assert.deepEqual(await closed(socket), { code: 4002, reason: 'server says bye' });
  });

  it('answers 502 when the upstream is down, and closes the socket', async () => {
    const dead = net.createServer();
    const port = await listen(dead);
    await closeServer(dead);
    const proxy = await mountProxy('/api', { target: `http://127.0.0.1:${port}`, name: 'sockets' });
    cleanup.push(proxy.close);
    const reply = await rawUpgrade(proxy.port, '/api/');
    assert.match(reply, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
    assert.match(reply, /sockets/);
    assert.match(reply, new RegExp(`127.0.0.1:${port}`));
  });

  it('answers 503 while a function target has no address', async () => {
    const proxy = await serveForwarder('/api', { name: 'ws', target: () => undefined });
    cleanup.push(proxy.close);
    assert.equal((await upgradeStatus(`ws://127.0.0.1:${proxy.port}/api/`)).status, 503);
  });

  it('answers 504 when the upstream does not answer the upgrade in time', async () => {
    // Reads (so it notices the proxy hanging up) but never answers.
    const silent = net.createServer((socket) => socket.resume());
    const port = await listen(silent);
    cleanup.push(() => closeServer(silent));
    const proxy = await mountProxy('/api', { target: `http://127.0.0.1:${port}`, timeoutSeconds: 0.3 });
    cleanup.push(proxy.close);
    assert.match(await rawUpgrade(proxy.port, '/api/'), /^HTTP\/1\.1 504 /);
  });

  it("relays the upstream's refusal (non-101) and closes the socket", async () => {
    const refusing = http.createServer((_req, res) => res.writeHead(404).end());
    refusing.on('upgrade', (_req, socket: net.Socket) => {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nX-Reason: nope\r\nContent-Length: 7\r\n\r\nno way\n');
    });
    const port = await listen(refusing);
    cleanup.push(() => closeServer(refusing));
    const proxy = await mountProxy('/api', { target: `http://127.0.0.1:${port}` });
    cleanup.push(proxy.close);
    assert.deepEqual(await upgradeStatus(`${proxy.url}/`), { status: 403, body: 'no way\n' });
    const raw = await rawUpgrade(proxy.port, '/api/');
    assert.match(raw, /^HTTP\/1\.1 403 Forbidden\r\n/);
    assert.match(raw, /\r\nX-Reason: nope\r\n/);
    assert.ok(raw.endsWith('\r\n\r\nno way\n'));
  });

  it('relays a non-101 answer from a server that ignores the upgrade (chunked body)', async () => {
    const plain = http.createServer((_req, res) => {
      res.write('plain ');
      res.end('answer');
    });
    const port = await listen(plain);
    cleanup.push(() => closeServer(plain));
    const proxy = await mountProxy('/api', { target: `http://127.0.0.1:${port}` });
    cleanup.push(proxy.close);
    assert.deepEqual(await upgradeStatus(`${proxy.url}/`), { status: 200, body: 'plain answer' });
  });

  it('forwards bytes that arrive with the upgrade request and with the 101, in order', async () => {
    // A raw upstream: answers 101 with trailing bytes in the same write, then echoes what it gets.
    let receivedByUpstream = '';
    const raw = net.createServer((socket) => {
      let buffered = '';
      let upgraded = false;
      socket.on('data', (chunk: Buffer) => {
        if (upgraded) {
          receivedByUpstream += chunk.toString('latin1');
          socket.write(chunk);
          return;
        }
        buffered += chunk.toString('latin1');
        const end = buffered.indexOf('\r\n\r\n');
        if (end === -1) return;
        upgraded = true;
        receivedByUpstream += buffered.slice(end + 4);
        socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: raw\r\n\r\nFROM-UPSTREAM;');
        if (receivedByUpstream) socket.write(receivedByUpstream);
      });
      socket.on('error', () => {});
    });
    const port = await listen(raw);
    cleanup.push(() => closeServer(raw));
    const proxy = await mountProxy('/api', { target: `http://127.0.0.1:${port}` });
    cleanup.push(proxy.close);

    const client = net.connect(proxy.port, '127.0.0.1');
    let text = '';
    client.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    // The request and the first tunnelled bytes in one write: they reach the proxy as `head`.
    client.write('GET /api/raw HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: raw\r\n\r\nFROM-CLIENT;');
    await waitFor('the tunnelled bytes echoed back', () => text.includes('FROM-CLIENT;'), 2000);
    assert.match(text, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(text, /\r\nUpgrade: raw\r\n/i);
    assert.ok(text.endsWith('\r\n\r\nFROM-UPSTREAM;FROM-CLIENT;'), JSON.stringify(text));
    client.write('MORE;');
    await waitFor('the later bytes echoed back', () => text.endsWith('MORE;'), 2000);
    assert.equal(receivedByUpstream, 'FROM-CLIENT;MORE;');
    client.destroy();
  });

  it('destroys the upstream side when the client connection drops', async () => {
    const { echo, proxy } = await setup();
    const socket = await open(`${proxy.url}/`);
    socket.terminate();
    await waitFor('the upstream to see the close', () => echo.closes.length === 1, 2000);
    assert.equal(echo.closes[0].code, 1006);
  });

  it('aborts the upstream handshake when the client goes away first', async () => {
    let upstreamClosed = false;
    let connected!: () => void;
    const upstreamConnected = new Promise<void>((resolve) => (connected = resolve));
    const slow = net.createServer((socket) => {
      connected();
      socket.resume();
      socket.on('close', () => (upstreamClosed = true));
      socket.on('error', () => {});
    });
    const port = await listen(slow);
    cleanup.push(() => closeServer(slow));
    const proxy = await mountProxy('/api', { target: `http://127.0.0.1:${port}` });
    cleanup.push(proxy.close);
    const client = net.connect(proxy.port, '127.0.0.1');
    client.write('GET /api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    // The handshake is under way once the proxy has connected upstream (the upstream never answers).
    await upstreamConnected;
    client.destroy();
    await waitFor('the upstream connection to close', () => upstreamClosed, 2000);
  });

  it('close() ends open tunnels on both sides', async () => {
    const echo = await startEcho();
    cleanup.push(echo.close);
    const proxy = await serveForwarder('/api', { name: 'ws', target: echo.url });
    cleanup.push(proxy.close);
    const socket = await open(`ws://127.0.0.1:${proxy.port}/api/`);
    const clientClosed = closed(socket);
    await proxy.forwarder.close();
    assert.equal((await clientClosed).code, 1006);
    await waitFor('the upstream to see the close', () => echo.closes.length === 1, 2000);
  });
});
