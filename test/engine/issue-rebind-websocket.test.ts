/**
 * Regression: a reload that rebinds (a new port or host) while a WebSocket is open hung. node:http
 * no longer tracks upgraded sockets, yet server.close() waits for them: the old listener never
 * closed, and on the same-port path the reload (and every lifecycle call queued behind it) waited
 * forever.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { freePort, get, startEngine } from './helpers';

/** A module app that accepts any upgrade and then just holds the socket open. */
const HOLDING_APP = `
module.exports = (req, res) => res.end('http');
module.exports.upgrade = (req, socket) => {
  socket.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: holding\\r\\nConnection: Upgrade\\r\\n\\r\\n');
};`;

function openUpgrade(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`GET /ws/ HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: holding\r\n\r\n`);
    });
    socket.once('data', (chunk) => (String(chunk).startsWith('HTTP/1.1 101') ? resolve(socket) : reject(new Error(String(chunk)))));
    socket.once('error', reject);
  });
}

const within = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms))]);

describe('regression: rebinding with an open WebSocket', () => {
  it('a new port: the reload settles, the old listener closes, the socket ends after the grace', async () => {
    const server = await startEngine({ mounts: [{ prefix: '/ws', module: 'ws.js' }] }, { 'ws.js': HOLDING_APP }, { stopGracePeriod: 300 });
    const socket = await openUpgrade(server.port);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    try {
      const newPort = await freePort();
      server.writeConfig({ port: newPort, mounts: [{ prefix: '/ws', module: 'ws.js' }] });
      assert.equal((await within(server.engine.reload(), 5000, 'reload')).ok, true);
      assert.equal((await get(`http://127.0.0.1:${newPort}/ws/`)).body, 'http');
      await within(closed, 5000, 'the old WebSocket closing');
    } finally {
      socket.destroy();
      await within(server.stop(), 5000, 'stop');
    }
  });

  it('the same port on another host name: the reload settles and stop() still works', async () => {
    const port = await freePort();
    const server = await startEngine({ port, mounts: [{ prefix: '/ws', module: 'ws.js' }] }, { 'ws.js': HOLDING_APP }, { stopGracePeriod: 300 });
    const socket = await openUpgrade(port);
    try {
      server.writeConfig({ host: 'localhost', port, mounts: [{ prefix: '/ws', module: 'ws.js' }] });
      await within(server.engine.reload(), 5000, 'reload');
      assert.equal(server.engine.state, 'started');
      assert.equal((await get(`http://127.0.0.1:${port}/ws/`)).body, 'http');
    } finally {
      socket.destroy();
      await within(server.stop(), 5000, 'stop');
    }
  });
});
