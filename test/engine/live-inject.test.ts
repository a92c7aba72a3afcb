/**
 * The live loop over plain HTTP: where the script goes and into which answers (never 304, 206,
 * fragments or other types; a HEAD gets the head of its GET, see issue-live-head-length), encoded
 * and streamed pages, validators, the CSP patch, the reserved namespace and its socket's Origin
 * check, and the switches.
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { formatProblem, parseConfig } from '../../src/engine/config';
import { LIVE_CLIENT_HASH, LIVE_CLIENT_SOURCE } from '../../src/engine/live/client';
import { planPolicies } from '../../src/engine/live/csp';
import { findInsertionPoint } from '../../src/engine/live/htmlHead';
import { scriptTag } from '../../src/engine/live/inject';
import { injectedTag, tagSuffix } from '../../src/engine/live/validators';
import { WebSocket } from 'ws';
import { waitFor } from './fixtures/command/helpers';
import { rawHttp, rawUpgrade, request, startEngine, statusOf, type RunningEngine } from './helpers';

const DOCUMENT = { 'Sec-Fetch-Dest': 'document', Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
const TAG = scriptTag('/site', false);
const PAGE = '<!DOCTYPE html>\n<html lang="en">\n<head>\n<title>t</title>\n</head>\n<body>hello</body>\n</html>\n';

describe('live reload over HTTP', () => {
  describe('where the script goes', () => {
    const at = (html: string, final = true) => findInsertionPoint(Buffer.from(html), final);
    it('right after <head…>', () => {
      const html = '<!DOCTYPE html><!-- <head> in a comment --><html data-x="a>b"><head class="h">';
      assert.equal(at(html), html.length);
      assert.equal(at('\uFEFF<html>\n  <HEAD>'), Buffer.byteLength('\uFEFF<html>\n  <HEAD>'));
    });
    it('else right after <html…>', () => {
      assert.equal(at('<!doctype html><html lang="en"><body>x'), '<!doctype html><html lang="en">'.length);
      assert.equal(at('<html><header>x</header>'), '<html>'.length, '<header> is not <head>');
    });
    it('else where the content starts (after the doctype, which must stay first)', () => {
      assert.equal(at('<!DOCTYPE html>\n<title>t</title>'), '<!DOCTYPE html>\n'.length);
      assert.equal(at('just text'), 0);
      assert.equal(at(''), 0);
    });
    it('waits for more bytes while a tag or comment is cut, and never for UTF-16', () => {
      assert.equal(at('<!DOCTYPE html><html><he', false), 'more');
      assert.equal(at('<!-- long', false), 'more');
      assert.equal(at('<html', false), 'more');
      assert.equal(findInsertionPoint(Buffer.from('\uFEFF<html>', 'utf16le'), false), 'never');
    });
  });

  describe('the Content-Security-Policy patch', () => {
    const HASH = `'${LIVE_CLIENT_HASH}'`;
    const SOCKET = 'ws://*:*/__mounts/live wss://*:*/__mounts/live';
    it("leaves a policy that already allows 'self' scripts and sockets as it is, with the script as <script src>", () => {
      assert.deepEqual(planPolicies(["default-src 'self'"]), { values: ["default-src 'self'"], inline: false });
    });
    it("goes inline where <script src> is blocked, and adds the script's hash and socket as directives of their own", () => {
      const { values, inline } = planPolicies(["default-src 'none'; img-src https://i.example; style-src 'unsafe-inline'"]);
      assert.equal(inline, true);
      assert.equal(values[0], `default-src 'none'; img-src https://i.example; style-src 'unsafe-inline'; script-src ${HASH}; connect-src ${SOCKET}`);
    });
    it("adds nothing to a list whose 'unsafe-inline' is in force (a hash would switch it off), and never 'self'", () => {
      assert.deepEqual(planPolicies(["script-src 'unsafe-inline' https://cdn.example"]), { values: ["script-src 'unsafe-inline' https://cdn.example"], inline: true });
      assert.equal(planPolicies(["script-src https:; connect-src 'none'"]).values[0], `script-src https: ${HASH}; connect-src ${SOCKET}`);
    });
    it("adds the hash to a nonce or 'strict-dynamic' list, and leaves every other directive alone", () => {
      const policy = "script-src 'nonce-abc' 'strict-dynamic' 'unsafe-inline'; object-src 'none'; base-uri 'none'; connect-src https://api.example";
      assert.equal(planPolicies([policy]).values[0], `script-src 'nonce-abc' 'strict-dynamic' 'unsafe-inline' ${HASH}; object-src 'none'; base-uri 'none'; connect-src https://api.example ${SOCKET}`);
    });
    it('plans one form of the script for every policy of a header and of each header', () => {
      const { values, inline } = planPolicies(["default-src 'self', script-src 'unsafe-inline'", "connect-src 'none'"]);
      assert.equal(inline, true);
      assert.deepEqual(values, [`default-src 'self'; script-src 'self' ${HASH}, script-src 'unsafe-inline'`, `connect-src ${SOCKET}`]);
    });
    it('the inline script has no character that would end it early or break an XHTML page', () => {
      assert.doesNotMatch(LIVE_CLIENT_SOURCE, /[<&]/);
    });
  });

  describe('answers of a static mount', () => {
    let on: RunningEngine;
    let off: RunningEngine;
    before(async () => {
      const config = { mounts: [{ prefix: '/site', static: 'site' }, { prefix: '/plain', static: 'site', liveReload: false }] };
      on = await startEngine(config, { 'site/index.html': PAGE, 'site/frag.html': '<li>x</li>', 'site/data.txt': 'text' }, { liveReload: true });
      // The same folder without the feature: what every answer was before it.
      const site = path.join(on.dir, 'site');
      off = await startEngine({ mounts: [{ prefix: '/site', static: site }, { prefix: '/plain', static: site }] }, {}, { liveReload: false });
    });
    after(async () => {
      await on?.stop();
      await off?.stop();
    });

    it("puts one tag after <head> of a document, grows Content-Length, gives it a weak ETag of its own and drops Accept-Ranges", async () => {
      const plain = await request({ port: off.port, path: '/site/', headers: DOCUMENT });
      const live = await request({ port: on.port, path: '/site/', headers: DOCUMENT });
      assert.equal(live.status, 200);
      assert.equal(live.body, PAGE.replace('<head>', `<head>${TAG}`));
      assert.equal(Number(live.headers['content-length']), Buffer.byteLength(PAGE) + TAG.length);
      assert.equal(live.headers.etag, injectedTag(String(plain.headers.etag), tagSuffix('/site')));
      assert.match(String(live.headers.etag), /^W\//);
      assert.match(String(live.headers.vary), /Sec-Fetch-Dest/);
      assert.equal(live.headers['accept-ranges'], undefined);
      assert.equal(live.headers['last-modified'], plain.headers['last-modified']);
    });

    it('takes an Accept naming text/html when Sec-Fetch-Dest is absent', async () => {
      const live = await request({ port: on.port, path: '/site/', headers: { Accept: 'text/html' } });
      assert.ok(live.body.includes(TAG));
    });

    // What is not a navigation gets the page's bytes, and only a Vary more (see issue-live-fetch-cache).
    const bytesKept: readonly (readonly [string, Record<string, string>])[] = [
      ['a fetch() (Sec-Fetch-Dest: empty)', { 'Sec-Fetch-Dest': 'empty', Accept: 'text/html' }],
      ['an htmx request', { Accept: 'text/html', 'HX-Request': 'true' }],
      ['a request without Accept', {}],
    ];
    for (const [what, headers] of bytesKept) {
      it(`leaves ${what} byte for byte as it was, saying that the answer varies`, async () => {
        const fields = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
        const raw = (port: number) => rawHttp(port, `GET /site/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${fields}\r\n`);
        const [live, plain] = await Promise.all([raw(on.port), raw(off.port)]);
        assert.equal(statusOf(live), 200, live);
        assert.match(live, /\r\nVary: Sec-Fetch-Dest, Accept, HX-Request, X-Requested-With\r\n/);
        assert.equal(withoutDate(live).replace(/\r\nVary: [^\r]*/, ''), withoutDate(plain));
      });
    }

    it("answers a navigation's revalidation with a 304 naming the injected copy's tag", async () => {
      // The date is taken when the test runs, after the file was written.
      const fields = `${Object.entries(DOCUMENT).map(([k, v]) => `${k}: ${v}\r\n`).join('')}If-Modified-Since: ${new Date().toUTCString()}\r\n`;
      const raw = (port: number) => rawHttp(port, `GET /site/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${fields}\r\n`);
      const [live, plain] = await Promise.all([raw(on.port), raw(off.port)]);
      assert.equal(statusOf(live), 304, live);
      const tag = /\r\nETag: ([^\r]*)/.exec(plain)![1];
      const expected = withoutDate(plain).replace(tag, injectedTag(tag, tagSuffix('/site'))).replace('\r\nConnection:', '\r\nVary: Sec-Fetch-Dest, Accept, HX-Request, X-Requested-With\r\nConnection:');
      assert.equal(withoutDate(live), expected);
    });

    const unchanged: readonly (readonly [string, string, Record<string, string>, string, number])[] = [
      ['a Range (206)', 'GET', { ...DOCUMENT, Range: 'bytes=0-9' }, '/site/', 206],
      ['a Range past the end (416)', 'GET', { ...DOCUMENT, Range: 'bytes=99999-' }, '/site/', 416],
      ['a non-HTML file', 'GET', DOCUMENT, '/site/data.txt', 200],
      ['a 404 page', 'GET', DOCUMENT, '/site/missing', 404],
      ['a mount with "liveReload": false', 'GET', DOCUMENT, '/plain/', 200],
    ];
    for (const [what, method, headers, url, status] of unchanged) {
      it(`leaves ${what} byte for byte as it was`, async () => {
        const fields = Object.entries(headers).map(([k, v]) => `${k}: ${v === 'now' ? new Date().toUTCString() : v}\r\n`).join('');
        const raw = (port: number) => rawHttp(port, `${method} ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${fields}\r\n`);
        const [live, plain] = await Promise.all([raw(on.port), raw(off.port)]);
        assert.equal(statusOf(live), status, live);
        assert.equal(withoutDate(live), withoutDate(plain));
        assert.ok(!live.includes('/__mounts/live.js'));
      });
    }

    it('serves /__mounts/live.js, with a 304 on its ETag, and 404 for the rest of /__mounts/', async () => {
      const script = await request({ port: on.port, path: '/__mounts/live.js' });
      assert.equal(script.status, 200);
      assert.match(String(script.headers['content-type']), /^text\/javascript/);
      assert.ok(script.body.includes('/__mounts/live?mount='));
      const again = await request({ port: on.port, path: '/__mounts/live.js', headers: { 'If-None-Match': String(script.headers.etag) } });
      assert.equal(again.status, 304);
      assert.equal((await request({ port: on.port, path: '/__mounts/other' })).status, 404);
    });

    it('refuses a foreign Origin on /__mounts/live with 403 and accepts the page\'s own', async () => {
      const key = { 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' };
      assert.equal(statusOf(await rawUpgrade(on.port, '/__mounts/live?mount=%2Fsite', { ...key, Origin: 'http://evil.example' })), 403);
      assert.equal(statusOf(await rawUpgrade(on.port, '/__mounts/live?mount=%2Fsite', { ...key, Origin: `http://127.0.0.1:${on.port}`, Host: 'evil.example' })), 403);
      const page = new WebSocket(`ws://127.0.0.1:${on.port}/__mounts/live?mount=%2Fsite`, { origin: `http://127.0.0.1:${on.port}` });
      await new Promise((resolve, reject) => page.once('open', resolve).once('error', reject));
      await waitFor('the page counted', () => on.engine.livePages('/site') === 1, 5000);
      page.close();
      await waitFor('the page gone', () => on.engine.livePages('/site') === 0, 5000);
    });
  });

  describe('proxied and streamed pages', () => {
    let upstream: http.Server;
    let running: RunningEngine;
    let release: () => void = () => {};
    const BIG = 10 * 1024 * 1024;
    before(async () => {
      upstream = http.createServer((req, res) => {
        const encoding = req.url!.slice(1);
        if (encoding === 'big') {
          // The first MiB, then nothing more until the test has seen the script arrive.
          res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Length': BIG });
          res.write(`<html><head><title>big</title></head><body>${'x'.repeat(1024 * 1024 - 48)}`);
          release = () => res.end(Buffer.alloc(BIG - Buffer.byteLength(`<html><head><title>big</title></head><body>${'x'.repeat(1024 * 1024 - 48)}`), 'y'));
          return;
        }
        const body = Buffer.from(PAGE);
        const encoded = encoding === 'gzip' ? zlib.gzipSync(body) : encoding === 'deflate' ? zlib.deflateSync(body) : encoding === 'br' ? zlib.brotliCompressSync(body) : body;
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Encoding': encoding, ETag: '"strong"', 'Content-Length': encoded.length });
        // In two pieces: the decoder and the head scan must work across chunks.
        res.write(encoded.subarray(0, 7));
        res.end(encoded.subarray(7));
      });
      await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
      running = await startEngine({ mounts: [{ prefix: '/site', proxy: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` }] }, {}, { liveReload: true });
    });
    after(async () => {
      await running.stop();
      await new Promise((resolve) => upstream.close(resolve));
    });

    for (const encoding of ['gzip', 'deflate', 'br']) {
      it(`decodes a ${encoding} page, injects, and sends it unencoded`, async () => {
        const live = await request({ port: running.port, path: `/site/${encoding}`, headers: { ...DOCUMENT, 'Accept-Encoding': 'gzip, deflate, br' } });
        assert.equal(live.status, 200);
        assert.equal(live.headers['content-encoding'], undefined);
        assert.equal(live.headers['content-length'], undefined);
        assert.equal(live.headers.etag, injectedTag('"strong"', tagSuffix('/site')));
        assert.equal(live.body, PAGE.replace('<head>', `<head>${TAG}`));
      });
    }

    it('streams a 10 MB page: the script arrives before the upstream has sent the rest', async () => {
      const received = await new Promise<number>((resolve, reject) => {
        const req = http.get({ port: running.port, path: '/site/big', headers: DOCUMENT, agent: false }, (res) => {
          assert.equal(Number(res.headers['content-length']), BIG + TAG.length);
          let total = 0;
          let first = '';
          res.on('data', (chunk: Buffer) => {
            if (total === 0) {
              first = chunk.toString('latin1', 0, 200);
              assert.ok(first.includes(TAG), first);
              release();
            }
            total += chunk.length;
          });
          res.on('end', () => resolve(total));
          res.on('error', reject);
        });
        req.on('error', reject);
      });
      assert.equal(received, BIG + TAG.length);
    });
  });

  describe('switches', () => {
    it('mounts.json may not use /__mounts: an error at the prefix, with line and column', () => {
      const { problems } = parseConfig('{\n  "mounts": [\n    { "prefix": "/__mounts/x", "static": "." }\n  ]\n}\n', '/w/mounts.json');
      assert.equal(problems.length, 1);
      assert.match(formatProblem(problems[0]), /mounts\.json:3:17: mounts\[0\]\.prefix "\/__mounts\/x" is reserved/);
      assert.equal(parseConfig('{"mounts": [{ "prefix": "/__mountsx", "static": "." }]}', '/w/mounts.json').problems.length, 0);
    });

    it('"liveReload" must be true or false', () => {
      const { problems } = parseConfig('{"mounts": [{ "prefix": "/", "static": ".", "liveReload": "no" }]}', '/w/mounts.json');
      assert.deepEqual(problems.map((problem) => problem.field), ['mounts[0].liveReload']);
    });

    it('the engine switch turns injection off and on at run time', async () => {
      const running = await startEngine({ mounts: [{ prefix: '/site', static: 'site' }] }, { 'site/index.html': PAGE }, { liveReload: false });
      try {
        assert.equal((await request({ port: running.port, path: '/site/', headers: DOCUMENT })).body, PAGE);
        running.engine.setLiveReload(true);
        assert.ok((await request({ port: running.port, path: '/site/', headers: DOCUMENT })).body.includes(TAG));
      } finally {
        await running.stop();
      }
    });
  });
});

function withoutDate(raw: string): string {
  return raw.replace(/\r\nDate: [^\r]*/i, '');
}
