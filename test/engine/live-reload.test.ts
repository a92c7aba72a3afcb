/**
 * The live loop in a real Chromium: for every mount kind, an edit of what serves a page reloads it
 * exactly once; stylesheets swap without a navigation; mounts, opt-outs and restarts are respected.
 * "Exactly once" is asserted after a sentinel (see fixtures/live/browser.ts), never after a sleep.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { Browser } from 'playwright-core';
import { launchChromium } from './fixtures/chromium';
import { assertReloadedOnce, openPage, passSentinel, SENTINEL_FILES, SENTINEL_LINK, SENTINEL_MOUNT, waitForLivePages } from './fixtures/live/browser';
import { waitFor } from '../waitFor';
import { startEngine, type RunningEngine } from './helpers';

const page = (title: string, extraHead = '') =>
  `<!DOCTYPE html>\n<html>\n<head>\n<title>${title}</title>\n${SENTINEL_LINK}\n${extraHead}</head>\n<body><h1>${title}</h1></body>\n</html>\n`;

describe('live reload in Chromium', function () {
  this.timeout(60_000);
  let browser: Browser;
  const running: RunningEngine[] = [];
  const upstreams: http.Server[] = [];

  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    for (const context of browser.contexts()) await context.close();
    await Promise.all(running.splice(0).map((r) => r.stop()));
    await Promise.all(upstreams.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  async function serve(config: object, files: Record<string, string>): Promise<RunningEngine> {
    const r = await startEngine(config, { ...SENTINEL_FILES, ...files }, { liveReload: true });
    running.push(r);
    return r;
  }

  async function upstream(handler: http.RequestListener): Promise<number> {
    const server = http.createServer(handler);
    upstreams.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  it('a static page reloads exactly once when its file is saved', async () => {
    const r = await serve({ mounts: [{ prefix: '/site', static: 'site' }, SENTINEL_MOUNT] }, { 'site/index.html': page('before') });
    const watched = await openPage(browser, `${r.origin}/site/`);
    await waitForLivePages(r, '/site', 1);
    fs.writeFileSync(path.join(r.dir, 'site/index.html'), page('after'));
    await assertReloadedOnce(r, watched, '/site', 'after', 'the reload after the save');
  });

  it('a burst of 50 saves in a static folder reloads its page once', async () => {
    const r = await serve({ mounts: [{ prefix: '/site', static: 'site' }, SENTINEL_MOUNT] }, { 'site/index.html': page('before') });
    const watched = await openPage(browser, `${r.origin}/site/`);
    await waitForLivePages(r, '/site', 1);
    for (let i = 0; i < 49; i++) fs.writeFileSync(path.join(r.dir, `site/chunk-${i}.js`), `export const n = ${i};\n`);
    fs.writeFileSync(path.join(r.dir, 'site/index.html'), page('built'));
    await watched.waitForNavigations(2, 'the reload after the build');
    await waitForLivePages(r, '/site', 1);
    await passSentinel(r, [watched.page]);
    assert.equal(watched.navigations(), 2, 'fifty files, one reload');
    assert.equal(await watched.page.textContent('h1'), 'built');
  });

  it('a stylesheet save swaps the stylesheet with no navigation', async () => {
    const r = await serve(
      { mounts: [{ prefix: '/site', static: 'site' }, SENTINEL_MOUNT] },
      { 'site/index.html': page('styled', '<link rel="stylesheet" href="style.css">'), 'site/style.css': 'h1 { color: rgb(255, 0, 0); }\n' },
    );
    const watched = await openPage(browser, `${r.origin}/site/`);
    await waitForLivePages(r, '/site', 1);
    await watched.page.evaluate('window.marker = 42');
    fs.writeFileSync(path.join(r.dir, 'site/style.css'), 'h1 { color: rgb(0, 128, 0); }\n');
    await watched.page.waitForFunction(`getComputedStyle(document.querySelector('h1')).color === 'rgb(0, 128, 0)'`, undefined, { timeout: 15_000 });
    // The old sheet goes once the new one has loaded: one link to style.css is left.
    await watched.page.waitForFunction(`document.querySelectorAll('link[href*="style.css"]').length === 1`, undefined, { timeout: 15_000 });
    await passSentinel(r, [watched.page]);
    assert.equal(watched.navigations(), 1, 'no navigation');
    assert.equal(await watched.page.evaluate('window.marker'), 42, 'the same document');
  });

  it("a module app's page reloads exactly once after its hot reload", async () => {
    const app = (title: string) => `module.exports = (req, res) => { res.setHeader('Content-Type', 'text/html; charset=utf-8'); res.end(${JSON.stringify(page(title))}); };\n`;
    const r = await serve({ mounts: [{ prefix: '/app', module: 'app.js' }, SENTINEL_MOUNT] }, { 'app.js': app('v1') });
    const watched = await openPage(browser, `${r.origin}/app/`);
    await waitForLivePages(r, '/app', 1);
    fs.writeFileSync(path.join(r.dir, 'app.js'), app('v2'));
    // What the editor's file watcher and the CLI's --watch do on a save.
    assert.deepEqual(await r.engine.fileChanged(path.join(r.dir, 'app.js')), ['/app']);
    await assertReloadedOnce(r, watched, '/app', 'v2', 'the reload after the hot reload');
  });

  it('a proxied gzip page gets the script, and reloads exactly once when its mount changes in mounts.json', async () => {
    const gzipped = (title: string): http.RequestListener => (_req, res) => {
      const body = zlib.gzipSync(page(title));
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Encoding': 'gzip', 'Content-Length': body.length });
      res.end(body);
    };
    const first = await upstream(gzipped('first upstream'));
    const second = await upstream(gzipped('second upstream'));
    const config = (port: number) => ({ mounts: [{ prefix: '/p', proxy: `http://127.0.0.1:${port}` }, SENTINEL_MOUNT] });
    const r = await serve(config(first), {});
    const watched = await openPage(browser, `${r.origin}/p/`);
    assert.equal(await watched.page.textContent('h1'), 'first upstream');
    await waitForLivePages(r, '/p', 1);
    r.writeConfig(config(second));
    assert.equal((await r.engine.reload()).ok, true);
    await assertReloadedOnce(r, watched, '/p', 'second upstream', 'the reload after the mounts.json edit');
  });

  it("a command app's page reloads exactly once when it is ready again after a restart", async () => {
    const server = `const fs = require('fs');
require('http').createServer((req, res) => {
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(fs.readFileSync(__dirname + '/page.html'));
}).listen(Number(process.env.PORT), '127.0.0.1');
`;
    const r = await serve(
      { mounts: [{ prefix: '/cmd', command: `"${process.execPath}" server.js` }, SENTINEL_MOUNT] },
      { 'server.js': server, 'page.html': page('run 1') },
    );
    const watched = await openPage(browser, `${r.origin}/cmd/`);
    assert.equal(await watched.page.textContent('h1'), 'run 1');
    await waitForLivePages(r, '/cmd', 1);
    fs.writeFileSync(path.join(r.dir, 'page.html'), page('run 2'));
    await r.engine.reloadApp('/cmd');
    await assertReloadedOnce(r, watched, '/cmd', 'run 2', 'the reload after the restart');
  });

  it("a page of mount A does not reload when mount B changes", async () => {
    const r = await serve(
      { mounts: [{ prefix: '/a', static: 'a' }, { prefix: '/b', static: 'b' }, SENTINEL_MOUNT] },
      { 'a/index.html': page('A'), 'b/index.html': page('B') },
    );
    const pageA = await openPage(browser, `${r.origin}/a/`);
    const pageB = await openPage(browser, `${r.origin}/b/`);
    await waitForLivePages(r, '/a', 1);
    await waitForLivePages(r, '/b', 1);
    fs.writeFileSync(path.join(r.dir, 'b/index.html'), page('B2'));
    await pageB.waitForNavigations(2, "B's reload");
    await waitForLivePages(r, '/b', 1);
    await passSentinel(r, [pageA.page, pageB.page]);
    assert.equal(pageA.navigations(), 1, 'A never reloaded');
    assert.equal(pageB.navigations(), 2);
  });

  it('a page with the opt-out meta tag is left alone', async () => {
    const optOut = page('mine', '<meta name="mounts-live-reload" content="off">');
    const r = await serve(
      { mounts: [{ prefix: '/site', static: 'site' }, SENTINEL_MOUNT] },
      { 'site/off.html': optOut, 'site/index.html': page('live') },
    );
    const off = await openPage(browser, `${r.origin}/site/off.html`);
    assert.equal(await off.page.locator('script[src="/__mounts/live.js"]').count(), 1, 'the script is there, and stands down');
    const live = await openPage(browser, `${r.origin}/site/`);
    await waitForLivePages(r, '/site', 1);
    fs.writeFileSync(path.join(r.dir, 'site/index.html'), page('live 2'));
    fs.writeFileSync(path.join(r.dir, 'site/off.html'), optOut.replace('<h1>mine', '<h1>mine 2'));
    await live.waitForNavigations(2, 'the live page reload');
    await waitForLivePages(r, '/site', 1);
    await passSentinel(r, [live.page]);
    assert.equal(off.navigations(), 1, 'the opted-out page never reloaded');
    assert.equal(r.engine.livePages('/site'), 1, 'and never connected');
  });

  it('stopping and starting the server reloads the page once it answers again', async () => {
    const r = await serve({ mounts: [{ prefix: '/site', static: 'site' }, SENTINEL_MOUNT] }, { 'site/index.html': page('up') });
    const watched = await openPage(browser, `${r.origin}/site/`);
    await waitForLivePages(r, '/site', 1);
    r.engine.setPortOverride(r.port);
    await r.engine.stop();
    fs.writeFileSync(path.join(r.dir, 'site/index.html'), page('up again'));
    await r.engine.start();
    await assertReloadedOnce(r, watched, '/site', 'up again', 'the reload once the server is back');
  });

  it('a page with CSP default-src \'self\' and one with a nonce policy both reload', async () => {
    const policies: Record<string, string> = {
      '/self': "default-src 'self'",
      '/nonce': "script-src 'nonce-pagenonce' 'strict-dynamic'; style-src 'self'; img-src https://images.example; object-src 'none'",
    };
    const app = (version: string) => `const policies = ${JSON.stringify(policies)};
module.exports = (req, res) => {
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Security-Policy', policies[req.baseUrl]);
  res.end(${JSON.stringify(page('csp'))}.replace('<h1>csp', '<h1>${version}').replace('</body>', '<script nonce="pagenonce">window.pageScriptRan = true;</script></body>'));
};
`;
    const r = await serve(
      { mounts: [{ prefix: '/self', module: 'app.js' }, { prefix: '/nonce', module: 'app.js' }, SENTINEL_MOUNT] },
      { 'app.js': app('v1') },
    );
    const pages = [await openPage(browser, `${r.origin}/self/`), await openPage(browser, `${r.origin}/nonce/`)];
    await waitForLivePages(r, '/self', 1);
    await waitForLivePages(r, '/nonce', 1);
    assert.equal(await pages[1].page.evaluate('window.pageScriptRan'), true, "the page's own nonce still works");
    fs.writeFileSync(path.join(r.dir, 'app.js'), app('v2'));
    assert.deepEqual((await r.engine.fileChanged(path.join(r.dir, 'app.js'))).sort(), ['/nonce', '/self']);
    for (const watched of pages) {
      await watched.waitForNavigations(2, 'the reload');
      assert.equal(await watched.page.textContent('h1'), 'v2');
    }
    await waitForLivePages(r, '/self', 1);
    await waitForLivePages(r, '/nonce', 1);
    await passSentinel(r, pages.map((watched) => watched.page));
    assert.deepEqual(pages.map((watched) => watched.navigations()), [2, 2]);
  });

  it('a page is parsed to DOMContentLoaded while its live script is held back, then connects (HTML and XHTML)', async () => {
    const parsed = '<script>window.parsedPastTheTag = true;</script>';
    const xhtml = `<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">\n<head>\n<title>x</title>\n${parsed}\n</head>\n<body><h1>x</h1></body>\n</html>\n`;
    const r = await serve({ mounts: [{ prefix: '/site', static: 'site' }, SENTINEL_MOUNT] }, { 'site/index.html': page('held', parsed), 'site/page.xhtml': xhtml });
    for (const [file, connected] of [['', 1], ['page.xhtml', 2]] as const) {
      const tab = await browser.newPage();
      let requested = false;
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      await tab.route('**/__mounts/live.js', async (route) => {
        requested = true;
        await released;
        await route.continue();
      });
      // A script that stopped the parser would hold DOMContentLoaded back until it is released.
      await tab.goto(`${r.origin}/site/${file}`, { waitUntil: 'domcontentloaded', timeout: 15_000 });
      assert.equal(await tab.evaluate('window.parsedPastTheTag === true && document.readyState !== "loading"'), true, `${file || 'index.html'}: parsed past the tag`);
      assert.equal(await tab.locator('script[src="/__mounts/live.js"]').count(), 1, `${file || 'index.html'} has the tag`);
      assert.equal(r.engine.livePages('/site'), connected - 1, 'the held script has not run');
      await waitFor('the live script requested', () => requested, 15_000);
      release();
      await waitForLivePages(r, '/site', connected);
    }
  });

  it('a fetch() of an HTML fragment gets its bytes unchanged', async () => {
    const fragment = '<li>one</li>\n<li>two</li>\n';
    const r = await serve({ mounts: [{ prefix: '/site', static: 'site' }, SENTINEL_MOUNT] }, { 'site/index.html': page('host'), 'site/frag.html': fragment });
    const watched = await openPage(browser, `${r.origin}/site/`);
    const fetched = await watched.page.evaluate(`Promise.all([
      fetch('/site/frag.html').then((r) => r.text()),
      fetch('/site/frag.html', { headers: { Accept: 'text/html' } }).then((r) => r.text()),
      new Promise((resolve) => { const x = new XMLHttpRequest(); x.open('GET', '/site/frag.html'); x.onload = () => resolve(x.responseText); x.send(); }),
    ])`);
    assert.deepEqual(fetched, [fragment, fragment, fragment]);
  });
});
