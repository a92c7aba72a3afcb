/**
 * A real Vite 7 dev server as a command mount at /app (base '/app/', stripPrefix false), from
 * examples/vite: the page loads through the mount and the HMR WebSocket connects through it, checked
 * with a plain WebSocket client and in Chromium.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import WebSocket from 'ws';
import { Engine } from '../../src/engine/index';
import { get, makeWorkspace, recordingLogger } from './helpers';
import { REPO, waitFor } from './fixtures/command/helpers';
import { CHROMIUM, launchChromium } from './fixtures/chromium';

describe('a Vite dev server as a command mount', function () {
  this.timeout(60_000);
  let dir: string;
  let engine: Engine;
  let origin: string;
  const logs: string[] = [];

  before(async () => {
    // The example workspace as it is, with the repository's node_modules so that `npx vite` finds Vite.
    dir = makeWorkspace();
    fs.cpSync(path.join(REPO, 'examples/vite'), dir, { recursive: true });
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
    engine = new Engine({ configFile: path.join(dir, 'mounts.json'), port: 0, logger: recordingLogger(logs), stopGracePeriod: 300 });
    await engine.start();
    origin = `http://127.0.0.1:${engine.port}`;
  });

  after(async () => {
    await engine?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page and its modules through /app', async () => {
    const page = await get(`${origin}/app/`);
    assert.equal(page.status, 200, logs.join('\n'));
    assert.match(page.body, /<script type="module" src="\/app\/@vite\/client"><\/script>/);
    const main = await get(`${origin}/app/src/main.js`);
    assert.equal(main.status, 200);
    assert.match(main.headers['content-type'] ?? '', /javascript/);
    assert.match(main.body, /import "\/app\/src\/style\.css"/);
    const status = engine.mounts()[0].status;
    assert.equal(status.state, 'ready');
    assert.ok(status.pid && status.port);
  });

  it('connects the HMR WebSocket through the mount and pushes an update when a file changes', async () => {
    const client = await get(`${origin}/app/@vite/client`);
    const token = /const wsToken = "([^"]+)"/.exec(client.body)?.[1];
    assert.ok(token, 'the client carries its WebSocket token');
    await get(`${origin}/app/src/style.css`); // In the module graph, so a change is pushed.
    const socket = new WebSocket(`ws://127.0.0.1:${engine.port}/app/?token=${token}`, 'vite-hmr', { origin });
    const messages: { type: string; updates?: { path: string }[] }[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    try {
      await waitFor('connected', () => messages.some((message) => message.type === 'connected'), 5000);
      fs.writeFileSync(path.join(dir, 'src/style.css'), 'h1 {\n  color: rgb(255, 0, 0);\n}\n');
      const update = await waitFor('an HMR update', () => messages.find((message) => message.type === 'update'), 10_000);
      // Vite names modules by their path below its base.
      assert.ok(update.updates?.some((entry) => entry.path === '/src/style.css'), JSON.stringify(update));
    } finally {
      socket.close();
    }
  });

  it('updates the page in Chromium over HMR without a reload', async function () {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: this test needs Debian's chromium (apt-get install chromium)`);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const sockets: string[] = [];
      // The live reload socket is the engine's, not Vite's: it is counted apart.
      page.on('websocket', (ws) => {
        if (!ws.url().includes('/__mounts/live')) sockets.push(ws.url());
      });
      await page.goto(`${origin}/app/`);
      // Page code as strings: this project's TypeScript has no DOM types.
      await page.waitForFunction(`document.querySelector('#message')?.textContent === 'Hello from Vite, served at /app/'`);
      assert.equal(sockets.length, 1);
      assert.match(sockets[0], new RegExp(`^ws://127\\.0\\.0\\.1:${engine.port}/app/\\?token=`), 'HMR connects through the mount, not to Vite directly');
      await page.evaluate('window.marker = 42');

      fs.writeFileSync(path.join(dir, 'src/message.js'), "export const message = 'Edited while running';\n");
      await page.waitForFunction(`document.querySelector('#message')?.textContent === 'Edited while running'`, undefined, { timeout: 10_000 });
      fs.writeFileSync(path.join(dir, 'src/style.css'), 'h1 {\n  color: rgb(0, 128, 0);\n}\n');
      await page.waitForFunction(`getComputedStyle(document.querySelector('h1')).color === 'rgb(0, 128, 0)'`, undefined, { timeout: 10_000 });
      assert.equal(await page.evaluate('window.marker'), 42, 'no full reload');
      assert.equal(sockets.length, 1, 'one HMR connection, never re-established');
    } finally {
      await browser.close();
    }
  });
});
