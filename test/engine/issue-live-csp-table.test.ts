/**
 * The Content-Security-Policy patch in a real Chromium, for a table of policies that real pages
 * send: with live reload on, the script runs (its socket connects), and the page's own inline,
 * nonced, hashed, external, dynamically inserted and attribute scripts, and its own fetch(), are
 * allowed or blocked exactly as without Mounts. The patch used to add `'self'` to 7 of these,
 * which let the page's own scripts run under Mounts that production blocks.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { Page } from 'playwright-core';
import { liveProxyInChromium, waitForLivePages } from './fixtures/live/browser';
import { request } from './helpers';

const MARK = (what: string) => `(window.ran = window.ran || []).push('${what}');`;
const INLINE = MARK('inline');
const INLINE_HASH = `'sha256-${createHash('sha256').update(INLINE).digest('base64')}'`;

const PAGE = `<!DOCTYPE html>
<html>
<head>
<title>csp</title>
<script>${INLINE}</script>
<script nonce="pagenonce">${MARK('inline-nonce')} var s = document.createElement('script'); s.src = 'dynamic.js'; document.head.appendChild(s);</script>
<script src="own.js"></script>
<script src="own-nonce.js" nonce="pagenonce"></script>
</head>
<body onload="${MARK('attribute')}"><h1>csp</h1></body>
</html>
`;

const XHTML = `<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>x</title></head><body><h1>xhtml</h1></body></html>
`;

const POLICIES: readonly (string | readonly string[])[] = [
  "default-src 'self'",
  "default-src 'none'",
  "default-src 'none'; script-src 'self'",
  "script-src 'none'",
  "script-src 'unsafe-inline'",
  "script-src 'self' 'unsafe-inline'",
  'script-src https:',
  "script-src https: 'unsafe-inline'",
  "script-src 'nonce-pagenonce'",
  "script-src 'nonce-pagenonce' 'strict-dynamic'",
  "object-src 'none'; script-src 'nonce-pagenonce' 'unsafe-inline' 'strict-dynamic' https: http:; base-uri 'none'",
  `script-src ${INLINE_HASH}`,
  "script-src 'self'; connect-src 'none'",
  "default-src 'self'; connect-src https://api.example.com",
  "script-src-elem 'none'; script-src 'self'",
  "script-src-elem 'self' 'unsafe-inline'; script-src 'none'",
  "default-src https: 'unsafe-inline'",
  "default-src * 'unsafe-inline' 'unsafe-eval'",
  "script-src 'self' https://cdn.example.com; object-src 'none'; base-uri 'self'",
  "script-src 'self', script-src 'unsafe-inline'",
  ["script-src 'self' 'unsafe-inline'", "connect-src 'none'"],
  "script-src 'strict-dynamic'",
  "script-src 'unsafe-inline' 'nonce-pagenonce'",
  "default-src 'none'; script-src 'unsafe-inline'; connect-src 'self'",
  "script-src 'self' 'unsafe-inline'; script-src-attr 'none'",
  "default-src 'self'; require-trusted-types-for 'script'",
];

function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.url === '/cached/') {
    // Helmet's way: the policy goes on every answer, a 304 included.
    res.setHeader('Content-Security-Policy', "script-src 'none'; connect-src 'none'");
    res.setHeader('ETag', '"c1"');
    if (req.headers['if-none-match'] === '"c1"') res.statusCode = 304;
    else res.setHeader('Content-Type', 'text/html');
    res.end(res.statusCode === 304 ? undefined : PAGE);
    return;
  }
  if (req.url === '/xhtml') {
    res.setHeader('Content-Type', 'application/xhtml+xml');
    res.setHeader('Content-Security-Policy', "script-src 'none'");
    res.end(XHTML);
    return;
  }
  const [, index, file] = /^\/(\d+)\/(.*)$/.exec(req.url!) ?? [];
  if (file === '') {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Security-Policy', POLICIES[Number(index)] as string | string[]);
    res.end(PAGE);
  } else if (file.endsWith('.js')) {
    res.setHeader('Content-Type', 'text/javascript');
    res.end(MARK(file.slice(0, -3)));
  } else {
    res.setHeader('Content-Type', 'text/plain');
    res.end('data');
  }
}

describe('live reload under 26 Content-Security-Policies in Chromium', function () {
  this.timeout(60_000);
  const setup = liveProxyInChromium('/on', serve);

  /** What the page's own scripts did, and whether its own fetch() was let through. */
  async function outcome(page: Page): Promise<{ ran: string[]; fetch: string }> {
    // evaluate is not subject to the page's policy, but the fetch() it starts is.
    const ran = ((await page.evaluate('window.ran || []')) as string[]).sort();
    const fetch = (await page.evaluate("fetch('data.txt').then(() => 'allowed', () => 'blocked')")) as string;
    return { ran, fetch };
  }

  const seen = new Set<string>();
  POLICIES.forEach((policy, index) => {
    it(`${JSON.stringify(policy)}`, async () => {
      const without = await setup.browser.newPage();
      await without.goto(`${setup.running.origin}/off/${index}/`);
      const expected = await outcome(without);
      seen.add(JSON.stringify(expected));

      const live = await setup.browser.newPage();
      await live.goto(`${setup.running.origin}/on/${index}/`);
      await waitForLivePages(setup.running, '/on', 1);
      assert.deepEqual(await outcome(live), expected);
      await live.close();
      await waitForLivePages(setup.running, '/on', 0);
    });
  });

  it('an XHTML page that gets the script inline still parses, and the script connects', async () => {
    const page = await setup.browser.newPage();
    await page.goto(`${setup.running.origin}/on/xhtml`);
    assert.equal(await page.textContent('h1'), 'xhtml');
    await waitForLivePages(setup.running, '/on', 1);
    await page.close();
    await waitForLivePages(setup.running, '/on', 0);
  });

  it("a 304 to a navigation carries the policy its page was sent with (the browser keeps the page and takes the 304's policy)", async () => {
    const navigation = { 'Sec-Fetch-Dest': 'document', Accept: 'text/html' };
    const page = await request({ port: setup.running.port, path: '/on/cached/', headers: navigation });
    assert.ok(page.body.includes('<script data-mount="/on">'), 'the script went in inline');
    const again = await request({ port: setup.running.port, path: '/on/cached/', headers: { ...navigation, 'If-None-Match': String(page.headers.etag) } });
    assert.equal(again.status, 304);
    assert.equal(again.headers['content-security-policy'], page.headers['content-security-policy']);
    assert.notEqual(page.headers['content-security-policy'], "script-src 'none'; connect-src 'none'");
  });

  it('the table tells the policies apart (its pages are not all allowed or all blocked alike)', () => {
    assert.ok(seen.size >= 6, [...seen].join('\n'));
  });
});
