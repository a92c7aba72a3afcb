/**
 * Issue 4: module mounts may export `upgrade(req, socket, head)`, e.g. for an in-process `ws`
 * server. Driven through a real engine with real `ws` servers inside the mounted modules and a
 * real `ws` client (which sends no Origin, so the engine's Origin check lets it in).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';
import { startEngine, type RunningEngine } from './helpers';

// Workspaces live in a temp folder without node_modules: modules load `ws` by absolute path.
const WS = JSON.stringify(require.resolve('ws'));

/** A CommonJS module: an HTTP handler, a `ws` echo server on upgrade, close(callback) for it. */
const echoModule = (version: string) => `
const { WebSocketServer } = require(${WS});
const wss = new WebSocketServer({ noServer: true });
wss.on('connection', (ws, req) => {
  ws.send(JSON.stringify({ version: ${JSON.stringify(version)}, url: req.url, baseUrl: req.baseUrl, originalUrl: req.originalUrl }));
  ws.on('message', (data) => ws.send(${JSON.stringify(version)} + ' echo ' + data));
});
const handler = (req, res) => res.end('http ${version}');
handler.upgrade = (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
handler.close = (callback) => wss.close(callback);
module.exports = handler;
`;

interface Opened {
  readonly socket: WebSocket;
  readonly first: Record<string, string>;
  next(): Promise<string>;
}

/** Opens a WebSocket and returns it with its first message, parsed. */
async function open(url: string): Promise<Opened> {
  const socket = new WebSocket(url);
  const queue: string[] = [];
  const waiting: ((text: string) => void)[] = [];
  socket.on('message', (data) => {
    const text = String(data);
    const waiter = waiting.shift();
    if (waiter) waiter(text);
    else queue.push(text);
  });
  const next = () => new Promise<string>((resolve) => (queue.length ? resolve(queue.shift()!) : waiting.push(resolve)));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return { socket, first: JSON.parse(await next()) as Record<string, string>, next };
}

/** The error a WebSocket handshake ends with (e.g. "Unexpected server response: 404"). */
function refusal(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => {
      socket.close();
      reject(new Error(`${url} accepted the upgrade`));
    });
    socket.once('error', (error) => resolve(error.message));
  });
}

async function closed(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return;
  await new Promise((resolve) => socket.once('close', resolve));
}

describe('module mounts: upgrade(req, socket, head) (issue 4)', () => {
  let server: RunningEngine;
  let ws: string;

  beforeEach(async () => {
    server = await startEngine(
      {
        mounts: [
          { prefix: '/live', module: 'live.js' },
          { prefix: '/plain', module: 'plain.js' },
          { prefix: '/esm', module: 'esm/app.mjs' },
          { prefix: '/throws', module: 'throws.js', name: 'thrower' },
          { prefix: '/rejects', module: 'rejects.js', name: 'rejecter' },
        ],
      },
      {
        'live.js': echoModule('v1'),
        'plain.js': `module.exports = (req, res) => res.end('plain');`,
        // In its own folder: where a Node cannot report an ES module's imports, any module file
        // beside it counts as one.
        'esm/app.mjs': `
          import ws from ${JSON.stringify(pathToFileURL(require.resolve('ws')).href)};
          const wss = new ws.WebSocketServer({ noServer: true });
          wss.on('connection', (socket, req) => socket.send(JSON.stringify({ url: req.url, baseUrl: req.baseUrl })));
          export default (req, res) => res.end('esm');
          export function upgrade(req, socket, head) { wss.handleUpgrade(req, socket, head, (s) => wss.emit('connection', s, req)); }
        `,
        'throws.js': `module.exports = { fetch: () => new Response('x'), upgrade() { throw new Error('upgrade exploded'); } };`,
        'rejects.js': `const h = (req, res) => res.end(); h.upgrade = async () => { throw new Error('upgrade rejected'); }; module.exports = h;`,
      },
    );
    ws = `ws://127.0.0.1:${server.port}`;
  });

  afterEach(() => server.stop());

  it('hands the upgrade to the module with the prefix stripped, and the socket echoes', async () => {
    const { socket, first, next } = await open(`${ws}/live/chat?room=1`);
    try {
      assert.deepEqual(first, { version: 'v1', url: '/chat?room=1', baseUrl: '/live', originalUrl: '/live/chat?room=1' });
      socket.send('hello');
      assert.equal(await next(), 'v1 echo hello');
    } finally {
      socket.close();
    }
    const exact = await open(`${ws}/live`);
    exact.socket.close();
    assert.equal(exact.first.url, '/');
  });

  it('takes upgrade from an ES module beside its default export', async () => {
    const { socket, first } = await open(`${ws}/esm/x`);
    socket.close();
    assert.deepEqual(first, { url: '/x', baseUrl: '/esm' });
  });

  it('a module without upgrade still gets 404 on upgrade, and serves HTTP', async () => {
    assert.match(await refusal(`${ws}/plain`), /Unexpected server response: 404/);
    assert.equal((await fetch(`${server.origin}/plain`)).status, 200);
  });

  it('a throwing or rejecting upgrade destroys the socket and is logged with the mount name', async () => {
    assert.match(await refusal(`${ws}/throws`), /socket hang up|ECONNRESET|closed before/);
    assert.match(await refusal(`${ws}/rejects`), /socket hang up|ECONNRESET|closed before/);
    assert.ok(server.logs.some((line) => /^error thrower upgrade failed upgrade exploded/.test(line)), server.logs.join('\n'));
    assert.ok(server.logs.some((line) => /^error rejecter upgrade failed upgrade rejected/.test(line)), server.logs.join('\n'));
    const { socket, first } = await open(`${ws}/live`);
    socket.close();
    assert.equal(first.version, 'v1', 'other mounts keep serving upgrades');
  });

  it('after a hot reload the new version takes upgrades, the old one’s sockets close; a module that gains upgrade takes them', async () => {
    const before = await open(`${ws}/live`);
    const live = path.join(server.dir, 'live.js');
    fs.writeFileSync(live, echoModule('v2'));
    assert.deepEqual(await server.engine.fileChanged(live), ['/live']);
    await closed(before.socket); // the old version's connections go with it: clients reconnect to the new code
    assert.ok(!server.logs.some((line) => /did not finish/.test(line)), 'the old ws server closed at once');
    const after = await open(`${ws}/live/again`);
    try {
      assert.equal(after.first.version, 'v2');
      after.socket.send('hi');
      assert.equal(await after.next(), 'v2 echo hi');
    } finally {
      before.socket.close();
      after.socket.close();
    }

    const plain = path.join(server.dir, 'plain.js');
    fs.writeFileSync(plain, echoModule('gained'));
    assert.deepEqual(await server.engine.fileChanged(plain), ['/plain']);
    const gained = await open(`${ws}/plain`);
    gained.socket.close();
    assert.equal(gained.first.version, 'gained');
  });

  it('removing the mount closes its ws server and its open WebSockets at once', async () => {
    const { socket } = await open(`${ws}/live`);
    server.writeConfig({ mounts: [{ prefix: '/plain', module: 'plain.js' }] });
    assert.equal((await server.engine.reload()).ok, true);
    await closed(socket);
    assert.ok(!server.logs.some((line) => /did not finish/.test(line)), server.logs.join('\n'));
  });

  it('stop() closes the module’s ws server (close(callback)) and the open WebSockets', async () => {
    const { socket } = await open(`${ws}/live`);
    await server.engine.stop();
    await closed(socket);
  });
});
