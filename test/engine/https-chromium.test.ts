/**
 * `"https": true` in a real Chromium that trusts the local CA only because `mounts trust` put it in
 * the NSS database of a temporary HOME (no --ignore-certificate-errors): every mount kind loads
 * with no certificate error, a page's WebSocket and live reload run over wss://, and the same
 * Chromium with a HOME that does not trust the CA refuses the page.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from './fixtures/chromium';
import { waitFor } from './fixtures/command/helpers';
import { openPage, waitForLivePages } from './fixtures/live/browser';
import { runMounts, trustSandbox, type TrustSandbox } from './fixtures/trustRoot';
import { makeWorkspace, startEngine, type RunningEngine } from './helpers';

const WS = JSON.stringify(require.resolve('ws'));

/** A module app: a page whose script opens a WebSocket back to the same mount and shows the echo. */
const SOCKET_PAGE_MODULE = `
const { WebSocketServer } = require(${WS});
const wss = new WebSocketServer({ noServer: true });
wss.on('connection', (ws) => ws.on('message', (data) => ws.send('echo ' + data)));
const page = '<!DOCTYPE html><title>ws</title><h1>waiting</h1><script>' +
  'var s = new WebSocket((location.protocol === "https:" ? "wss:" : "ws:") + "//" + location.host + "/ws/socket");' +
  's.onopen = function () { s.send(location.protocol); };' +
  's.onmessage = function (e) { document.querySelector("h1").textContent = e.data; };' +
  '</script>';
const handler = (req, res) => { res.setHeader('Content-Type', 'text/html'); res.end(page); };
handler.upgrade = (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
handler.close = (callback) => wss.close(callback);
module.exports = handler;
`;

const html = (title: string) => `<!DOCTYPE html>\n<html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>\n`;

describe('https in Chromium, trusting the CA through its NSS database', function () {
  this.timeout(90_000);
  let sandbox: TrustSandbox;
  let browser: Browser;
  let upstream: http.Server;
  const running: RunningEngine[] = [];

  before(async () => {
    sandbox = trustSandbox();
    const trusted = runMounts(sandbox, ['trust']);
    assert.equal(trusted.status, 0, trusted.stdout + trusted.stderr);
    browser = await launchChromium({ env: { ...process.env, HOME: sandbox.home } });
    upstream = http.createServer((req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end(html(`proxy ${req.headers['x-forwarded-proto']}`));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => upstream?.close(resolve));
  });
  afterEach(async () => {
    for (const context of browser.contexts()) await context.close();
    await Promise.all(running.splice(0).map((r) => r.stop()));
  });

  async function serve(config: object, files: Record<string, string>, liveReload = false): Promise<{ r: RunningEngine; origin: string }> {
    const r = await startEngine({ https: true, ...config }, files, { dataDir: sandbox.dataDir, liveReload });
    running.push(r);
    return { r, origin: `https://localhost:${r.port}` };
  }

  it('loads a static, module, proxy, command and Python page and a WebSocket with no certificate error', async () => {
    const { origin } = await serve(
      {
        mounts: [
          { prefix: '/static', static: 'site' },
          { prefix: '/module', module: 'page.js' },
          { prefix: '/proxy', proxy: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` },
          { prefix: '/command', command: `${JSON.stringify(process.execPath)} server.js` },
          { prefix: '/python', wsgi: 'pyapp:app', python: '/usr/bin/python3' },
          { prefix: '/ws', module: 'socket.js' },
        ],
      },
      {
        'site/index.html': html('static'),
        'page.js': `module.exports = (req, res) => { res.setHeader('Content-Type', 'text/html'); res.end(${JSON.stringify(html('module'))}); };`,
        'server.js': `require('http').createServer((req, res) => { res.setHeader('Content-Type', 'text/html'); res.end(${JSON.stringify(html('command'))}); }).listen(process.env.PORT, '127.0.0.1');`,
        'pyapp.py': `def app(environ, start_response):\n    start_response('200 OK', [('Content-Type', 'text/html')])\n    return [${JSON.stringify(html('python'))}.encode()]\n`,
        'socket.js': SOCKET_PAGE_MODULE,
      },
    );
    const page = await browser.newPage();
    for (const [prefix, title] of [
      ['/static/', 'static'],
      ['/module/', 'module'],
      ['/proxy/', 'proxy https'],
      ['/command/', 'command'],
      ['/python/', 'python'],
    ]) {
      const response = await page.goto(`${origin}${prefix}`);
      assert.equal(response?.status(), 200, prefix);
      assert.equal(await page.textContent('h1'), title, prefix);
      const security = await response!.securityDetails();
      assert.ok(security?.issuer?.startsWith('Mounts local CA'), `${prefix}: issued by ${security?.issuer}`);
    }
    await page.goto(`${origin}/ws/`);
    await waitFor('the echo over wss://', async () => (await page.textContent('h1')) === 'echo https:', 15_000);
  });

  it('reloads a page over wss:// when its file is saved', async () => {
    const { r, origin } = await serve({ mounts: [{ prefix: '/site', static: 'site' }] }, { 'site/index.html': html('before') }, true);
    const watched = await openPage(browser, `${origin}/site/`);
    await waitForLivePages(r, '/site', 1);
    fs.writeFileSync(path.join(r.dir, 'site/index.html'), html('after'));
    await watched.waitForNavigations(2, 'the reload after the save');
    assert.equal(await watched.page.textContent('h1'), 'after');
    assert.equal(watched.page.url(), `${origin}/site/`);
  });

  it('a Chromium whose HOME does not trust the CA refuses the page', async () => {
    const { origin } = await serve({ mounts: [{ prefix: '/site', static: 'site' }] }, { 'site/index.html': html('x') });
    const untrusting = await launchChromium({ env: { ...process.env, HOME: makeWorkspace() } });
    try {
      const page = await untrusting.newPage();
      await assert.rejects(page.goto(`${origin}/site/`), /ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await untrusting.close();
    }
  });
});
