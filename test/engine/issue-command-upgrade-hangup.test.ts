/**
 * Regression: an upgrade waiting for an onRequest command to start was held on a paused socket, and
 * a paused socket never reads the client's FIN: a client that hung up went unnoticed until the app
 * was ready, and its upgrade request was then sent to the app for nobody. The waiting socket is read
 * (early bytes kept for the app, bounded) so a hang-up drops it at once.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { NODE, statusOf, waitFor } from './fixtures/command/helpers';
import { startEngine, statusOf as statusLine, type RunningEngine } from './helpers';

/** Listens after 1 s; says on stdout which upgrades reached it and what bytes followed them. */
const SLOW_APP = `
const server = require('node:http').createServer((req, res) => res.end('plain'));
server.on('upgrade', (req, socket, head) => {
  console.log('upgrade ' + req.url);
  socket.write('HTTP/1.1 101 Switching Protocols\\r\\nConnection: Upgrade\\r\\nUpgrade: raw\\r\\n\\r\\n');
  if (head.length) console.log('then ' + head);
  socket.on('data', (data) => console.log('then ' + data));
  socket.on('error', () => {});
});
setTimeout(() => server.listen(Number(process.env.PORT), process.env.HOST), 1000);
`;

function upgradeRequest(path: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: raw\r\n\r\n`;
}

describe('issue: a client hanging up during an onRequest start went unnoticed', function () {
  this.timeout(20_000);
  let running: RunningEngine | undefined;

  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('drops the upgrade of a client that hung up, and still serves one that stays', async () => {
    running = await startEngine({ mounts: [{ prefix: '/ws', command: `${NODE} app.js`, start: 'onRequest' }] }, { 'app.js': SLOW_APP });
    const quitter = net.connect(running.port, '127.0.0.1');
    quitter.write(upgradeRequest('/ws/gone'));
    await waitFor('the start', () => statusOf(running!, '/ws').state === 'starting', 2000);
    quitter.destroy();

    // A client that stays, and sends bytes of its own before the app is ready.
    const stayer = net.connect(running.port, '127.0.0.1');
    let answer = '';
    stayer.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    stayer.write(upgradeRequest('/ws/here'));
    stayer.write('early bytes');
    await waitFor('the answer to the upgrade', () => answer.includes('\r\n\r\n'), 5000);
    assert.equal(statusLine(answer), 101);

    // The bytes sent while the app started were kept for it.
    await waitFor('the early bytes to reach the app', () => running!.logs.includes('info /ws then early bytes'), 2000);
    stayer.destroy();
    const upgrades = running.logs.filter((line) => / upgrade \//.test(line));
    assert.deepEqual(upgrades, ['info /ws upgrade /here']);
  });
});
