/**
 * The page a navigation gets (with the live reload script) and the one fetch() and XHR get (the
 * app's bytes) share a URL, so a browser cache must be able to tell them apart. They used to share
 * the ETag and say nothing of varying: after a navigation, `fetch(url, { cache: 'no-cache' })`
 * revalidated with the injected copy's tag, got a 304, and read the injected page.
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { launchChromium } from './fixtures/chromium';
import { waitForLivePages } from './fixtures/live/browser';
import { request, startEngine, type RunningEngine } from './helpers';

const PAGE = '<!DOCTYPE html>\n<html>\n<head>\n<title>t</title>\n</head>\n<body><h1>page</h1></body>\n</html>\n';
const NAVIGATION = { 'Sec-Fetch-Dest': 'document', Accept: 'text/html' };
const FETCH = { 'Sec-Fetch-Dest': 'empty', Accept: '*/*' };

describe('the injected page and the fetched page in a browser cache', function () {
  this.timeout(60_000);
  let upstream: http.Server;
  const upstreamSaw: (string | undefined)[] = [];
  let running: RunningEngine;
  before(async () => {
    // A hand-written app that compares If-None-Match as a plain string: its own tag must come back as it was.
    upstream = http.createServer((req, res) => {
      upstreamSaw.push(req.headers['if-none-match']);
      const tag = '"v1"';
      if (req.headers['if-none-match'] === tag) {
        res.writeHead(304, { ETag: tag });
        res.end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/html', ETag: tag, 'Cache-Control': 'no-cache', 'Content-Length': Buffer.byteLength(PAGE) });
      res.end(PAGE);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    running = await startEngine(
      { mounts: [{ prefix: '/site', static: 'site' }, { prefix: '/up', proxy: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` }] },
      { 'site/index.html': PAGE },
      { liveReload: true },
    );
  });
  after(async () => {
    await running?.stop();
    await new Promise((resolve) => upstream.close(resolve));
  });

  describe('in Chromium', () => {
    let browser: Browser;
    before(async () => {
      browser = await launchChromium();
    });
    after(async () => {
      await browser?.close();
    });

    for (const path of ['/site/', '/up/']) {
      it(`fetch() and XHR of a page just navigated to (${path}) read the app's bytes, and a reload still gets the script`, async () => {
        const context = await browser.newContext();
        try {
          const page = await context.newPage();
          await page.goto(`${running.origin}${path}`);
          await waitForLivePages(running, path.slice(0, -1), 1);
          const read = await page.evaluate(`Promise.all([
            fetch(location.href, { cache: 'no-cache' }).then((r) => r.text()),
            fetch(location.href).then((r) => r.text()),
            new Promise((resolve) => { const x = new XMLHttpRequest(); x.open('GET', location.href); x.onload = () => resolve(x.responseText); x.send(); }),
          ])`);
          assert.deepEqual(read, [PAGE, PAGE, PAGE]);
          // The fetched copy is now in the cache: the next navigation must not take it for its own.
          await page.reload();
          assert.equal(await page.locator('script[src="/__mounts/live.js"]').count(), 1);
          await waitForLivePages(running, path.slice(0, -1), 1);
        } finally {
          await context.close();
        }
      });
    }
  });

  describe('over HTTP', () => {
    for (const path of ['/site/', '/up/']) {
      it(`${path}: both copies vary by the navigation headers and each revalidates against its own tag`, async () => {
        const navigated = await request({ port: running.port, path, headers: NAVIGATION });
        const fetched = await request({ port: running.port, path, headers: FETCH });
        assert.equal(fetched.body, PAGE);
        assert.notEqual(navigated.body, PAGE);
        for (const answer of [navigated, fetched]) assert.match(String(answer.headers.vary), /\bSec-Fetch-Dest\b/);
        const injectedTag = String(navigated.headers.etag);
        const ownTag = String(fetched.headers.etag);
        assert.notEqual(injectedTag, ownTag);

        const status = async (headers: Record<string, string>, tag: string) => {
          const answer = await request({ port: running.port, path, headers: { ...headers, 'If-None-Match': tag } });
          return [answer.status, answer.headers.etag, answer.body === PAGE ? 'own' : answer.body === '' ? 'none' : 'injected'];
        };
        assert.deepEqual(await status(NAVIGATION, injectedTag), [304, injectedTag, 'none']);
        assert.deepEqual(await status(NAVIGATION, ownTag), [200, injectedTag, 'injected']);
        assert.deepEqual(await status(FETCH, injectedTag), [200, ownTag, 'own']);
        assert.deepEqual(await status(FETCH, ownTag), [304, ownTag, 'none']);
      });
    }

    it('the app sees its own tag, exactly as it sent it, when a navigation revalidates', async () => {
      const navigated = await request({ port: running.port, path: '/up/', headers: NAVIGATION });
      upstreamSaw.length = 0;
      await request({ port: running.port, path: '/up/', headers: { ...NAVIGATION, 'If-None-Match': String(navigated.headers.etag) } });
      assert.deepEqual(upstreamSaw, ['"v1"']);
    });
  });
});
