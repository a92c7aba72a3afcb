/** WebSocket upgrades to command mounts, through the engine, to a real `ws` server in a child process. */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import WebSocket from 'ws';
import { get, rawHttp, startEngine, statusOf as statusLine, type RunningEngine } from './helpers';
import { alive, FIXTURES, NODE, statusOf, waitFor } from './fixtures/command/helpers';

const ECHO = `${NODE} ${JSON.stringify(path.join(FIXTURES, 'echo-ws.js'))}`;

/** Opens a WebSocket and collects its messages. */
function connect(url: string, options: WebSocket.ClientOptions = {}): Promise<{ socket: WebSocket; messages: WebSocket.RawData[]; next(): Promise<WebSocket.RawData> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options);
    const messages: WebSocket.RawData[] = [];
    const waiters: ((data: WebSocket.RawData) => void)[] = [];
    socket.on('message', (data) => {
      const waiter = waiters.shift();
      if (waiter) waiter(data);
      else messages.push(data);
    });
    socket.once('open', () =>
      resolve({
        socket,
        messages,
        next: () => (messages.length ? Promise.resolve(messages.shift()!) : new Promise((done) => waiters.push(done))),
      }),
    );
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
  });
}

describe('WebSockets to command mounts', function () {
  this.timeout(30_000);
  let running: RunningEngine | undefined;

  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('relays text, a 256 KiB binary frame, 100 ordered messages and a clean close', async () => {
    running = await startEngine({ mounts: [{ prefix: '/ws', command: ECHO }] });
    const ws = await connect(`ws://127.0.0.1:${running.port}/ws/chat?room=1`);
    assert.deepEqual(JSON.parse(String(await ws.next())), { hello: '/chat?room=1', prefix: '/ws' });

    ws.socket.send('text message');
    assert.equal(String(await ws.next()), 'text message');

    const binary = Buffer.alloc(256 * 1024);
    for (let i = 0; i < binary.length; i++) binary[i] = (i * 7) & 0xff;
    ws.socket.send(binary);
    assert.ok(Buffer.from((await ws.next()) as Buffer).equals(binary));

    for (let i = 0; i < 100; i++) ws.socket.send(`#${i}`);
    for (let i = 0; i < 100; i++) assert.equal(String(await ws.next()), `#${i}`);

    const closed = new Promise<number>((resolve) => ws.socket.once('close', (code) => resolve(code)));
    ws.socket.close(1000, 'done');
    assert.equal(await closed, 1000);
  });

  it('an upgrade as the first request starts an onRequest command and waits until it listens', async () => {
    running = await startEngine({
      mounts: [
        { prefix: '/ws', command: ECHO, start: 'onRequest', idleTimeout: 0.3 },
        { prefix: '/sentinel', command: ECHO, start: 'onRequest', idleTimeout: 0.3 },
      ],
    });
    assert.equal(statusOf(running, '/ws').state, 'idle');
    const ws = await connect(`ws://127.0.0.1:${running.port}/ws/`);
    assert.deepEqual(JSON.parse(String(await ws.next())), { hello: '/', prefix: '/ws' });
    // An open WebSocket is activity: the command is not idle while it lasts. The sentinel's idle
    // timer, as long, starts after any the socket's command could have started, and equal timers
    // fire in order: once the sentinel is idle, /ws would be too if the socket did not count.
    assert.equal((await get(`${running.origin}/sentinel/`)).status, 200);
    await waitFor('the sentinel command to go idle', () => statusOf(running!, '/sentinel').state === 'idle', 5000);
    assert.equal(statusOf(running, '/ws').state, 'ready');
    ws.socket.send('still here');
    assert.equal(String(await ws.next()), 'still here');
    const pid = statusOf(running, '/ws').pid!;
    ws.socket.close();
    await waitFor('idle after the socket closed', () => statusOf(running!, '/ws').state === 'idle', 3000);
    await waitFor('the process to be gone', () => !alive(pid), 3000);
  });

  it('answers an upgrade to a command in error with 503 and the reason, and closes the socket', async () => {
    running = await startEngine({ mounts: [{ prefix: '/ws', command: 'echo broken; exit 9' }] });
    await waitFor('error', () => statusOf(running!, '/ws').state === 'error', 5000);
    const raw = await rawHttp(
      running.port,
      'GET /ws/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    assert.equal(statusLine(raw), 503);
    assert.match(raw, /exit code 9/);
    assert.match(raw, /broken/);
  });

  it('refuses an upgrade from a foreign Origin before it reaches the command', async () => {
    running = await startEngine({ mounts: [{ prefix: '/ws', command: ECHO }] });
    await assert.rejects(connect(`ws://127.0.0.1:${running.port}/ws/`, { origin: 'http://evil.example' }), /403/);
    const ws = await connect(`ws://127.0.0.1:${running.port}/ws/`, { origin: `http://localhost:${running.port}` });
    ws.socket.close();
  });

  it('stop() closes open WebSockets and stops the command', async () => {
    running = await startEngine({ mounts: [{ prefix: '/ws', command: ECHO }] }, {}, { stopGracePeriod: 10_000 });
    const ws = await connect(`ws://127.0.0.1:${running.port}/ws/`);
    await ws.next();
    const pid = statusOf(running, '/ws').pid!;
    const closed = new Promise<void>((resolve) => ws.socket.once('close', () => resolve()));
    const started = Date.now();
    await running.stop();
    running = undefined;
    await closed;
    // Half the grace: an open WebSocket has no request to finish and must not hold the stop.
    assert.ok(Date.now() - started < 5000, `stopped in ${Date.now() - started} ms (grace 10 s)`);
    assert.ok(!alive(pid));
  });
});
