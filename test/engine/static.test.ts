/**
 * Static mounts (issue 2, rule 6, and the static part of the security defaults), over real HTTP:
 * through the engine for what users see, and straight against the app (a bare node:http server
 * that sets url/baseUrl/originalUrl like the engine, with none of its checks) to show the app is
 * safe on its own and to look inside its cache.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { createStaticApp, createStaticAppWith, type StaticApp, type StaticAppOptions } from '../../src/engine/kinds/static/app';
import { parseRange } from '../../src/engine/kinds/static/conditional';
import { silentLogger } from '../../src/engine/logger';
import { parseConfig } from '../../src/engine/config';
import { buildRoutingTable, Dispatcher } from '../../src/engine/dispatch';
import { closeServer, listen } from '../../src/engine/listener';
import type { StaticMountSpec } from '../../src/engine/spec';
import { WatchService } from '../../src/engine/watch/watching';
import { makeWorkspace, rawHttp, recordingLogger, startEngine, statusOf, type RunningEngine } from './helpers';

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly text: string;
}

/** One request with the raw path as given (no normalization, no redirects). */
function call(port: number, target: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: target, method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const SECRET = 'TOP-SECRET-outside-the-root';
const BIG = randomBytes(1024 * 1024 + 123);

const FILES: Record<string, string> = {
  'secret.txt': SECRET,
  'public/index.html': '<!DOCTYPE html><title>home</title>',
  'public/app.js': 'console.log("app");',
  'public/style.css': 'body{color:red}',
  'public/data.json': '{"a":1}',
  'public/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
  'public/mod.wasm': '\0asm\x01\0\0\0',
  'public/noext': 'plain bytes',
  'public/range.txt': '0123456789',
  'public/empty.txt': '',
  'public/docs/index.html': 'docs home',
  'public/docs/guide.txt': 'the guide',
  'public/evil.com/index.html': 'not evil',
  'public/noindex/file.txt': 'file',
  'public/.env': SECRET,
  'public/.git/config': SECRET,
  'public/nested/.hidden/x.txt': SECRET,
  'spa/index.html': '<!DOCTYPE html><title>spa shell</title>',
  'spa/assets/app.js': 'spa asset',
  'spa/.env': SECRET,
  'listed/a.txt': 'a',
  'listed/.hidden': SECRET,
  'listed/sub/b.txt': 'b',
  'listed/<b>x</b>/c.txt': 'c',
  'listed/withindex/index.html': 'listed index',
  'root/index.html': 'root index',
  'root/evil.com/index.html': 'folder named evil.com',
};

describe('static app', () => {
  describe('through the engine', () => {
    let server: RunningEngine;
    let port: number;
    before(async () => {
      server = await startEngine(
        {
          mounts: [
            { prefix: '/site', static: 'public' },
            { prefix: '/spa', static: 'spa', spa: true },
            { prefix: '/list', static: 'listed', listing: true },
            { prefix: '/', static: 'root' },
          ],
        },
        FILES,
      );
      port = server.port;
      const pub = path.join(server.dir, 'public');
      fs.writeFileSync(path.join(pub, 'big.bin'), BIG);
      fs.symlinkSync('../secret.txt', path.join(pub, 'escape.txt'));
      fs.symlinkSync('..', path.join(pub, 'escape-dir'));
      fs.symlinkSync('range.txt', path.join(pub, 'inside-link.txt'));
      fs.symlinkSync('.git/config', path.join(pub, 'link-to-dot'));
      fs.symlinkSync('..', path.join(server.dir, 'listed', 'escape-dir'));
    });
    after(() => server.stop());

    describe('content', () => {
      const types: Record<string, string> = {
        'index.html': 'text/html; charset=utf-8',
        'app.js': 'text/javascript; charset=utf-8',
        'style.css': 'text/css; charset=utf-8',
        'data.json': 'application/json; charset=utf-8',
        'logo.svg': 'image/svg+xml',
        'mod.wasm': 'application/wasm',
        noext: 'application/octet-stream',
        'big.bin': 'application/octet-stream',
      };
      for (const [name, type] of Object.entries(types)) {
        it(`serves ${name} as ${type}`, async () => {
          const reply = await call(port, `/site/${name}`);
          assert.equal(reply.status, 200);
          assert.equal(reply.headers['content-type'], type);
          const expected = name === 'big.bin' ? BIG : Buffer.from(FILES[`public/${name}`], 'latin1');
          assert.ok(reply.body.equals(expected));
          assert.equal(reply.headers['content-length'], String(expected.length));
        });
      }

      it('sends validators and Accept-Ranges, identical from disk and from the cache', async () => {
        const first = await call(port, '/site/app.js');
        const second = await call(port, '/site/app.js');
        for (const reply of [first, second]) {
          assert.match(reply.headers.etag ?? '', /^"[^"]+"$/);
          assert.ok(!Number.isNaN(Date.parse(reply.headers['last-modified'] ?? '')));
          assert.equal(reply.headers['accept-ranges'], 'bytes');
          assert.equal(reply.text, 'console.log("app");');
        }
        assert.equal(second.headers.etag, first.headers.etag);
        assert.equal(second.headers['last-modified'], first.headers['last-modified']);
      });

      it('serves an empty file', async () => {
        const reply = await call(port, '/site/empty.txt');
        assert.equal(reply.status, 200);
        assert.equal(reply.headers['content-length'], '0');
        assert.equal(reply.body.length, 0);
      });

      it('serves percent-encoded names', async () => {
        assert.equal((await call(port, '/site/%61pp.js')).text, 'console.log("app");');
      });

      it('follows a symlink that stays inside the folder', async () => {
        assert.equal((await call(port, '/site/inside-link.txt')).text, '0123456789');
      });

      for (const name of ['app.js', 'big.bin']) {
        it(`HEAD ${name} sends the headers and no body`, async () => {
          const get = await call(port, `/site/${name}`);
          const head = await call(port, `/site/${name}`, { method: 'HEAD' });
          assert.equal(head.status, 200);
          assert.equal(head.headers['content-length'], get.headers['content-length']);
          assert.equal(head.headers.etag, get.headers.etag);
          assert.equal(head.headers['content-type'], get.headers['content-type']);
          // node:http's client never reads a HEAD body: check the wire.
          const raw = await rawHttp(port, `HEAD /site/${name} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
          assert.equal(statusOf(raw), 200);
          assert.ok(raw.endsWith('\r\n\r\n'), 'nothing after the headers');
        });
      }
    });

    describe('conditional requests', () => {
      for (const name of ['app.js', 'big.bin']) {
        describe(name, () => {
          let etag: string;
          let lastModified: string;
          before(async () => {
            const reply = await call(port, `/site/${name}`);
            etag = reply.headers.etag!;
            lastModified = reply.headers['last-modified']!;
          });
          const get = (headers: Record<string, string>) => call(port, `/site/${name}`, { headers });

          it('304 for a matching If-None-Match, with the validators and no body', async () => {
            const reply = await get({ 'If-None-Match': etag });
            assert.equal(reply.status, 304);
            assert.equal(reply.headers.etag, etag);
            assert.equal(reply.headers['last-modified'], lastModified);
            assert.equal(reply.body.length, 0);
          });
          it('304 for a list, a weak form or *', async () => {
            assert.equal((await get({ 'If-None-Match': `"nope", ${etag}` })).status, 304);
            assert.equal((await get({ 'If-None-Match': `W/${etag}` })).status, 304);
            assert.equal((await get({ 'If-None-Match': '*' })).status, 304);
          });
          it('200 for another tag, even with a fresh If-Modified-Since (If-None-Match wins)', async () => {
            assert.equal((await get({ 'If-None-Match': '"other"', 'If-Modified-Since': lastModified })).status, 200);
          });
          it('304 via If-Modified-Since at or after Last-Modified, 200 before', async () => {
            assert.equal((await get({ 'If-Modified-Since': lastModified })).status, 304);
            assert.equal((await get({ 'If-Modified-Since': new Date(Date.parse(lastModified) + 60_000).toUTCString() })).status, 304);
            assert.equal((await get({ 'If-Modified-Since': new Date(Date.parse(lastModified) - 1000).toUTCString() })).status, 200);
            assert.equal((await get({ 'If-Modified-Since': 'not a date' })).status, 200);
          });
          it('Cache-Control: no-cache (a reload) always gets the body', async () => {
            assert.equal((await get({ 'If-None-Match': etag, 'Cache-Control': 'no-cache' })).status, 200);
          });
          it('412 when If-Match or If-Unmodified-Since fail', async () => {
            assert.equal((await get({ 'If-Match': '"other"' })).status, 412);
            assert.equal((await get({ 'If-Match': etag })).status, 200);
            assert.equal((await get({ 'If-Unmodified-Since': new Date(Date.parse(lastModified) - 1000).toUTCString() })).status, 412);
          });
        });
      }
    });

    describe('ranges', () => {
      const range = (value: string, extra: Record<string, string> = {}, name = 'range.txt') =>
        call(port, `/site/${name}`, { headers: { Range: value, ...extra } });

      const partial: [string, string, string][] = [
        ['bytes=0-3', '0123', 'bytes 0-3/10'],
        ['bytes=7-', '789', 'bytes 7-9/10'],
        ['bytes=-3', '789', 'bytes 7-9/10'],
        ['bytes=5-100', '56789', 'bytes 5-9/10'],
        ['bytes=-100', '0123456789', 'bytes 0-9/10'],
        ['bytes=9-9', '9', 'bytes 9-9/10'],
        ['bytes=0-1,2-3', '0123', 'bytes 0-3/10'],
        ['bytes=2-5, 0-3', '012345', 'bytes 0-5/10'],
        ['bytes=0-1,20-30', '01', 'bytes 0-1/10'],
      ];
      for (const [value, body, contentRange] of partial) {
        it(`206 for ${value}`, async () => {
          const reply = await range(value);
          assert.equal(reply.status, 206);
          assert.equal(reply.text, body);
          assert.equal(reply.headers['content-range'], contentRange);
          assert.equal(reply.headers['content-length'], String(body.length));
        });
      }
      for (const value of ['bytes=10-', 'bytes=20-30', 'bytes=-0', 'bytes=']) {
        it(`416 for ${value}, with Content-Range bytes */10`, async () => {
          const reply = await range(value);
          assert.equal(reply.status, 416);
          assert.equal(reply.headers['content-range'], 'bytes */10');
          assert.equal(reply.headers['x-content-type-options'], 'nosniff');
        });
      }
      for (const value of ['bytes=abc', 'items=0-1', 'bytes=3-1', 'bytes=0-1,5-6', '0-1', 'bytes=1-2-3']) {
        it(`the whole file for ${JSON.stringify(value)} (ignored)`, async () => {
          const reply = await range(value);
          assert.equal(reply.status, 200);
          assert.equal(reply.text, '0123456789');
        });
      }
      it('416 for any range of an empty file', async () => {
        assert.equal((await range('bytes=0-', {}, 'empty.txt')).status, 416);
      });
      it('If-Range with the current tag or a later date applies the range, anything else gets the whole file', async () => {
        const { headers } = await call(port, '/site/range.txt');
        assert.equal((await range('bytes=0-1', { 'If-Range': headers.etag! })).status, 206);
        assert.equal((await range('bytes=0-1', { 'If-Range': headers['last-modified']! })).status, 206);
        const stale = await range('bytes=0-1', { 'If-Range': '"stale"' });
        assert.equal(stale.status, 200);
        assert.equal(stale.text, '0123456789');
        const old = new Date(Date.parse(headers['last-modified']!) - 1000).toUTCString();
        assert.equal((await range('bytes=0-1', { 'If-Range': old })).status, 200);
      });
      it('slices a large (streamed) file', async () => {
        const middle = await range('bytes=1048570-1048579', {}, 'big.bin');
        assert.equal(middle.status, 206);
        assert.ok(middle.body.equals(BIG.subarray(1048570, 1048580)));
        assert.equal(middle.headers['content-range'], `bytes 1048570-1048579/${BIG.length}`);
        const tail = await range('bytes=-5', {}, 'big.bin');
        assert.ok(tail.body.equals(BIG.subarray(BIG.length - 5)));
        assert.equal((await range(`bytes=${BIG.length}-`, {}, 'big.bin')).status, 416);
      });
      it('HEAD with a range sends 206 headers and no body', async () => {
        const reply = await call(port, '/site/range.txt', { method: 'HEAD', headers: { Range: 'bytes=0-3' } });
        assert.equal(reply.status, 206);
        assert.equal(reply.headers['content-length'], '4');
      });
    });

    describe('folders', () => {
      it('serves index.html for a folder URL', async () => {
        assert.equal((await call(port, '/site/docs/')).text, 'docs home');
        assert.equal((await call(port, '/site/')).text, FILES['public/index.html']);
        assert.equal((await call(port, '/')).text, 'root index');
      });
      it('redirects a folder without trailing slash (301, original URL, query kept)', async () => {
        const reply = await call(port, '/site/docs?a=1&b=2');
        assert.equal(reply.status, 301);
        assert.equal(reply.headers.location, '/site/docs/?a=1&b=2');
        assert.match(String(reply.headers['content-security-policy']), /^default-src 'none'/);
        assert.equal(reply.headers['x-content-type-options'], 'nosniff');
      });
      it('redirects the bare mount path to the mount with a slash', async () => {
        assert.equal((await call(port, '/site')).headers.location, '/site/');
        assert.equal((await call(port, '/site?x=1')).headers.location, '/site/?x=1');
      });
      it('never redirects to //host', async () => {
        for (const target of ['//evil.com', '///evil.com', '//evil.com?x=1']) {
          const reply = await call(port, target);
          assert.equal(reply.status, 301, target);
          assert.match(String(reply.headers.location), /^\/evil\.com\/(\?x=1)?$/, target);
        }
      });
      it('escapes the redirect body and encodes the Location', async () => {
        const reply = await call(port, '/site/docs?q="<script>alert(1)</script>');
        assert.equal(reply.status, 301);
        assert.ok(!reply.text.includes('<script>'));
        assert.match(reply.text, /&#60;script&#62;|%3Cscript%3E/);
        assert.ok(!/[<>"]/.test(String(reply.headers.location)));
      });
      it('a file requested as a folder is 404', async () => {
        assert.equal((await call(port, '/site/app.js/')).status, 404);
      });
      it('a folder without index.html is 404 when listing is off', async () => {
        assert.equal((await call(port, '/site/noindex/')).status, 404);
      });
    });

    describe('dotfiles', () => {
      for (const target of ['/site/.env', '/site/.git/config', '/site/nested/.hidden/x.txt', '/site/%2eenv', '/site/.git/', '/site/link-to-dot']) {
        it(`404 for ${target}`, async () => {
          const reply = await call(port, target, { headers: { Accept: 'text/html' } });
          assert.equal(reply.status, 404);
          assert.ok(!reply.text.includes(SECRET));
        });
      }
      it('404 even on an SPA mount for a browser navigation', async () => {
        const reply = await call(port, '/spa/.env', { headers: { Accept: 'text/html' } });
        assert.equal(reply.status, 404);
      });
    });

    describe('methods', () => {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
        it(`405 for ${method} with Allow: GET, HEAD and safe headers`, async () => {
          const reply = await call(port, '/site/app.js', { method });
          assert.equal(reply.status, 405);
          assert.equal(reply.headers.allow, 'GET, HEAD');
          assert.equal(reply.headers['x-content-type-options'], 'nosniff');
          assert.match(String(reply.headers['content-security-policy']), /default-src 'none'/);
        });
      }
    });

    describe('no path leaves the folder', () => {
      const attempts = [
        '/site/%2e%2e/secret.txt',
        '/site/%2E%2E/secret.txt',
        '/site/..%2fsecret.txt',
        '/site/..%2Fsecret.txt',
        '/site/%2e%2e%2fsecret.txt',
        '/site/%5c..%5csecret.txt',
        '/site/..%5csecret.txt',
        '/site/docs/..%2f..%2fsecret.txt',
        '/site/escape.txt',
        '/site/escape-dir/secret.txt',
        '/site/escape-dir/',
        '/site/escape-dir',
        '/list/escape-dir/',
        '/site/%00',
      ];
      for (const target of attempts) {
        it(`refuses ${target}`, async () => {
          const reply = await call(port, target, { headers: { Accept: 'text/html' } });
          assert.ok([400, 403, 404].includes(reply.status), `${target}: ${reply.status}`);
          assert.ok(!reply.text.includes(SECRET));
        });
      }
      it('a literal ../ in the raw request line', async () => {
        const raw = await rawHttp(port, 'GET /site/../secret.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
        assert.ok([400, 404].includes(statusOf(raw)));
        assert.ok(!raw.includes(SECRET));
      });
      it('logs the escaping symlink for the user', async () => {
        await call(port, '/site/escape.txt');
        assert.ok(server.logs.some((line) => line.includes('symlink leads outside')));
      });
    });

    describe('spa', () => {
      it('serves index.html to a browser navigation that matches no file', async () => {
        for (const target of ['/spa/some/route', '/spa/missing.js', '/spa/deep/a/b/c?x=1']) {
          const reply = await call(port, target, { headers: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
          assert.equal(reply.status, 200, target);
          assert.equal(reply.text, FILES['spa/index.html']);
          assert.equal(reply.headers['content-type'], 'text/html; charset=utf-8');
        }
      });
      it('404 for asset requests: */*, no Accept, text/html;q=0, text/*', async () => {
        for (const accept of ['*/*', undefined, 'text/html;q=0', 'text/*', 'application/json']) {
          const reply = await call(port, '/spa/some/route', { headers: accept === undefined ? {} : { Accept: accept } });
          assert.equal(reply.status, 404, String(accept));
        }
      });
      it('existing files are served as they are', async () => {
        const reply = await call(port, '/spa/assets/app.js', { headers: { Accept: 'text/html' } });
        assert.equal(reply.text, 'spa asset');
      });
      it('HEAD falls back too, without a body; POST does not', async () => {
        const head = await call(port, '/spa/route', { method: 'HEAD', headers: { Accept: 'text/html' } });
        assert.equal(head.status, 200);
        assert.equal(head.body.length, 0);
        assert.equal((await call(port, '/spa/route', { method: 'POST', headers: { Accept: 'text/html' } })).status, 405);
      });
      it('conditional requests apply to the fallback', async () => {
        const first = await call(port, '/spa/route', { headers: { Accept: 'text/html' } });
        const again = await call(port, '/spa/other', { headers: { Accept: 'text/html', 'If-None-Match': first.headers.etag! } });
        assert.equal(again.status, 304);
      });
    });

    describe('listing', () => {
      it('lists a folder without index.html, without dotfiles', async () => {
        const reply = await call(port, '/list/', { headers: { Accept: 'text/html' } });
        assert.equal(reply.status, 200);
        assert.match(reply.text, /a\.txt/);
        assert.match(reply.text, /sub/);
        assert.ok(!reply.text.includes('.hidden'));
      });
      it('escapes names in the listing', async () => {
        const reply = await call(port, '/list/', { headers: { Accept: 'text/html' } });
        assert.ok(!reply.text.includes('<b>x</b>'));
      });
      it('lists subfolders and serves index.html where there is one', async () => {
        assert.match((await call(port, '/list/sub/', { headers: { Accept: 'text/html' } })).text, /b\.txt/);
        assert.equal((await call(port, '/list/withindex/')).text, 'listed index');
      });
      it('links folders first, with a parent link below the mount root only, under a strict CSP', async () => {
        const root = await call(port, '/list/', { headers: { Accept: 'text/html' } });
        assert.ok(!root.text.includes('href="../"'));
        assert.ok(root.text.indexOf('href="sub/"') < root.text.indexOf('href="a.txt"'));
        assert.match(String(root.headers['content-security-policy']), /^default-src 'none'; style-src 'sha256-/);
        assert.equal(root.headers['x-content-type-options'], 'nosniff');
        const sub = await call(port, '/list/sub/', { headers: { Accept: 'text/html' } });
        assert.ok(sub.text.includes('href="../"'));
      });
      it('is plain text for non-browsers, and HEAD has no body', async () => {
        const text = await call(port, '/list/sub/');
        assert.equal(text.headers['content-type'], 'text/plain; charset=utf-8');
        assert.equal(text.text, 'Index of /list/sub/\n../\nb.txt\n');
        const head = await call(port, '/list/sub/', { method: 'HEAD' });
        assert.equal(head.status, 200);
        assert.equal(head.body.length, 0);
      });
      it('still redirects a folder without its slash, and 404s a missing folder', async () => {
        assert.equal((await call(port, '/list/sub')).headers.location, '/list/sub/');
        assert.equal((await call(port, '/list/nope/')).status, 404);
      });
    });

    describe('freshness', () => {
      const file = (name: string) => path.join(server.dir, 'public', name);

      it('a changed file (same size) is served with its new bytes and a new ETag', async () => {
        fs.writeFileSync(file('fresh.txt'), 'aaaa');
        const first = await call(port, '/site/fresh.txt');
        assert.equal(first.text, 'aaaa');
        assert.equal((await call(port, '/site/fresh.txt')).text, 'aaaa'); // now cached
        await fs.promises.writeFile(file('fresh.txt'), 'bbbb');
        const second = await call(port, '/site/fresh.txt');
        assert.equal(second.text, 'bbbb');
        assert.notEqual(second.headers.etag, first.headers.etag);
        // The old tag no longer validates.
        assert.equal((await call(port, '/site/fresh.txt', { headers: { 'If-None-Match': first.headers.etag! } })).status, 200);
      });
      it('a deleted file is 404, an added one 200', async () => {
        fs.writeFileSync(file('gone.txt'), 'here');
        assert.equal((await call(port, '/site/gone.txt')).status, 200);
        await fs.promises.unlink(file('gone.txt'));
        assert.equal((await call(port, '/site/gone.txt')).status, 404);
        await fs.promises.writeFile(file('gone.txt'), 'back');
        assert.equal((await call(port, '/site/gone.txt')).text, 'back');
      });
      it('a file replaced by a rename (atomic save), then written in place, is fresh each time', async () => {
        fs.writeFileSync(file('atomic.txt'), 'v1');
        assert.equal((await call(port, '/site/atomic.txt')).text, 'v1');
        await fs.promises.writeFile(file('atomic.tmp'), 'v2');
        await fs.promises.rename(file('atomic.tmp'), file('atomic.txt'));
        assert.equal((await call(port, '/site/atomic.txt')).text, 'v2');
        await fs.promises.writeFile(file('atomic.txt'), 'v3');
        assert.equal((await call(port, '/site/atomic.txt')).text, 'v3');
        await fs.promises.appendFile(file('atomic.txt'), '+');
        assert.equal((await call(port, '/site/atomic.txt')).text, 'v3+');
      });
      it('a folder renamed away and re-created is fresh', async () => {
        fs.mkdirSync(file('dir'), { recursive: true });
        fs.writeFileSync(file('dir/x.txt'), 'old');
        assert.equal((await call(port, '/site/dir/x.txt')).text, 'old');
        await fs.promises.rename(file('dir'), file('dir-old'));
        assert.equal((await call(port, '/site/dir/x.txt')).status, 404);
        await fs.promises.mkdir(file('dir'));
        await fs.promises.writeFile(file('dir/x.txt'), 'new');
        assert.equal((await call(port, '/site/dir/x.txt')).text, 'new');
        await fs.promises.writeFile(file('dir/x.txt'), 'newer');
        assert.equal((await call(port, '/site/dir/x.txt')).text, 'newer');
      });
      it('a symlink retargeted, and the file behind a symlink changed, are fresh', async () => {
        fs.writeFileSync(file('target-a.txt'), 'A');
        fs.writeFileSync(file('target-b.txt'), 'B');
        fs.symlinkSync('target-a.txt', file('pointer.txt'));
        assert.equal((await call(port, '/site/pointer.txt')).text, 'A');
        await fs.promises.writeFile(file('target-a.txt'), 'A2');
        assert.equal((await call(port, '/site/pointer.txt')).text, 'A2');
        await fs.promises.unlink(file('pointer.txt'));
        await fs.promises.symlink('target-b.txt', file('pointer.txt'));
        assert.equal((await call(port, '/site/pointer.txt')).text, 'B');
        await fs.promises.unlink(file('pointer.txt'));
        await fs.promises.symlink('../secret.txt', file('pointer.txt'));
        assert.equal((await call(port, '/site/pointer.txt')).status, 404);
      });
      it('a file behind a symlinked folder is fresh', async () => {
        fs.mkdirSync(file('real-dir'));
        fs.writeFileSync(file('real-dir/f.txt'), 'one');
        fs.symlinkSync('real-dir', file('linked-dir'));
        assert.equal((await call(port, '/site/linked-dir/f.txt')).text, 'one');
        await fs.promises.writeFile(file('real-dir/f.txt'), 'two');
        assert.equal((await call(port, '/site/linked-dir/f.txt')).text, 'two');
      });
      it('a streamed file (over 1 MiB) changed in place, same size, gets its new bytes and ETag', async () => {
        const big = Buffer.alloc(1536 * 1024, 1);
        fs.writeFileSync(file('large.bin'), big);
        const first = await call(port, '/site/large.bin');
        assert.ok(first.body.equals(big));
        big.fill(2);
        await fs.promises.writeFile(file('large.bin'), big);
        const second = await call(port, '/site/large.bin');
        assert.ok(second.body.equals(big));
        assert.notEqual(second.headers.etag, first.headers.etag);
      });
      it('a file growing from cached to streamed, and back, is served whole', async () => {
        fs.writeFileSync(file('grow.bin'), 'small');
        assert.equal((await call(port, '/site/grow.bin')).text, 'small');
        const large = Buffer.alloc(1200 * 1024, 7);
        await fs.promises.writeFile(file('grow.bin'), large);
        assert.ok((await call(port, '/site/grow.bin')).body.equals(large));
        await fs.promises.writeFile(file('grow.bin'), 'tiny');
        assert.equal((await call(port, '/site/grow.bin')).text, 'tiny');
      });
      it('an index.html added to a folder replaces the listing', async () => {
        fs.mkdirSync(path.join(server.dir, 'listed', 'later'));
        assert.match((await call(port, '/list/later/', { headers: { Accept: 'text/html' } })).text, /later/);
        await fs.promises.writeFile(path.join(server.dir, 'listed', 'later', 'index.html'), 'now an index');
        assert.equal((await call(port, '/list/later/')).text, 'now an index');
      });
    });
  });

  describe('the app on its own', () => {
    interface Harness {
      readonly app: StaticApp;
      readonly port: number;
      readonly logs: string[];
      close(): Promise<void>;
    }

    /**
     * The app with its cache sizes tuned, behind the engine's real dispatcher and listener (one
     * mount at `prefix`, '' for the catch-all), so routing and the URL rewrite are the engine's own.
     */
    async function mountApp(root: string, options: StaticAppOptions = {}, spec: Partial<StaticMountSpec> = {}, prefix = '/s'): Promise<Harness> {
      const logs: string[] = [];
      const logger = recordingLogger(logs);
      const mountSpec = staticSpec(root, { ...spec, prefix: prefix === '' ? '/' : prefix });
      const app = await createStaticAppWith(mountSpec, logger, options);
      const config = parseConfig(JSON.stringify({ port: 0, mounts: [] }), path.join(root, 'mounts.json')).config!;
      const dispatcher = new Dispatcher({ logger, accessLog: () => false });
      dispatcher.swap(buildRoutingTable({ ...config, mounts: [mountSpec] }, [{ spec: mountSpec, app, baseUrl: prefix, requests: 0, inflight: 0 }]));
      const server = await listen(dispatcher, '127.0.0.1', 0, logger, config.connections);
      return {
        app,
        port: (server.address() as AddressInfo).port,
        logs,
        close: async () => {
          await app.close();
          await closeServer(server, 0);
        },
      };
    }

    let dir: string;
    beforeEach(() => {
      dir = makeWorkspace({ 'secret.txt': SECRET, 'www/a.txt': 'a', 'www/sub/b.txt': 'b', 'www/.env': SECRET });
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('refuses traversal with no engine in front', async () => {
      const h = await mountApp(path.join(dir, 'www'));
      try {
        fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(dir, 'www', 'abs-escape.txt'));
        for (const target of [
          '/s/../secret.txt',
          '/s/%2e%2e/secret.txt',
          '/s/%2e%2e%2fsecret.txt',
          '/s/..%2fsecret.txt',
          '/s/sub/..%2f..%2fsecret.txt',
          '/s/%5c..%5csecret.txt',
          '/s/./../secret.txt',
          '/s/.env',
          '/s/%2eenv',
          '/s/abs-escape.txt',
          '/s/a.txt%00.html',
          '/s/%ff',
        ]) {
          const reply = await call(h.port, target);
          assert.ok([400, 404].includes(reply.status), `${target}: ${reply.status}`);
          assert.ok(!reply.text.includes(SECRET), target);
        }
      } finally {
        await h.close();
      }
    });

    it('keeps small files in memory and streams large ones', async () => {
      fs.writeFileSync(path.join(dir, 'www', 'large.bin'), Buffer.alloc(100, 1));
      const h = await mountApp(path.join(dir, 'www'), { maxCachedFileBytes: 10 });
      try {
        assert.equal((await call(h.port, '/s/a.txt')).text, 'a');
        assert.equal((await call(h.port, '/s/large.bin')).body.length, 100);
        assert.equal(h.app.stats.entries, 2); // one body, one headers-only
        assert.equal((await call(h.port, '/s/large.bin', { headers: { Range: 'bytes=98-' } })).body.length, 2);
      } finally {
        await h.close();
      }
    });

    it('a cached file that changes is never served stale', async () => {
      const h = await mountApp(path.join(dir, 'www'));
      try {
        const file = path.join(dir, 'www', 'sub', 'b.txt');
        const first = await call(h.port, '/s/sub/b.txt');
        assert.equal(h.app.stats.entries, 1, 'served from memory from now on');
        await fs.promises.writeFile(file, 'c'); // same size
        const second = await call(h.port, '/s/sub/b.txt');
        assert.equal(second.text, 'c');
        assert.notEqual(second.headers.etag, first.headers.etag);
        await fs.promises.unlink(file);
        assert.equal((await call(h.port, '/s/sub/b.txt')).status, 404);
        await fs.promises.writeFile(file, 'd');
        assert.equal((await call(h.port, '/s/sub/b.txt')).text, 'd');
        await fs.promises.rm(path.join(dir, 'www', 'sub'), { recursive: true });
        assert.equal((await call(h.port, '/s/sub/b.txt')).status, 404);
      } finally {
        await h.close();
      }
    });

    it('bounds the cache', async () => {
      for (let i = 0; i < 30; i++) fs.writeFileSync(path.join(dir, 'www', `f${i}.txt`), 'x'.repeat(500));
      const h = await mountApp(path.join(dir, 'www'), { maxCacheBytes: 4096 });
      try {
        for (let i = 0; i < 30; i++) assert.equal((await call(h.port, `/s/f${i}.txt`)).text.length, 500);
        assert.ok(h.app.stats.entries <= 4, `${h.app.stats.entries} entries`);
        assert.ok(h.app.stats.entries >= 1);
      } finally {
        await h.close();
      }
    });

    it('close() closes the watches and empties the cache', async () => {
      const h = await mountApp(path.join(dir, 'www'));
      await call(h.port, '/s/sub/b.txt');
      assert.equal(h.app.stats.entries, 1);
      assert.equal(h.app.stats.watchedFolders, 2);
      await h.close();
      assert.equal(h.app.stats.entries, 0);
      assert.equal(h.app.stats.watchedFolders, 0);
    });

    it('without file watching, serves from disk every time and says so once', async () => {
      // The module object itself: the namespace import above only has getters.
      const nodeFs = require('node:fs') as { watch: unknown };
      const original = nodeFs.watch;
      nodeFs.watch = () => {
        throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' });
      };
      let h: Harness | undefined;
      try {
        h = await mountApp(path.join(dir, 'www'));
        assert.equal((await call(h.port, '/s/a.txt')).text, 'a');
        await fs.promises.writeFile(path.join(dir, 'www', 'a.txt'), 'b');
        assert.equal((await call(h.port, '/s/a.txt')).text, 'b');
        assert.equal((await call(h.port, '/s/sub/b.txt')).text, 'b');
        assert.equal(h.app.stats.entries, 0);
        assert.equal(h.logs.filter((line) => line.includes('cannot watch')).length, 1);
      } finally {
        nodeFs.watch = original;
        await h?.close();
      }
    });

    it('a FIFO in the folder is 404 and blocks nothing', async () => {
      try {
        execFileSync('mkfifo', [path.join(dir, 'www', 'pipe')]);
      } catch (error) {
        throw new Error(`this test needs mkfifo (coreutils) to make a FIFO: ${(error as Error).message}`);
      }
      const h = await mountApp(path.join(dir, 'www'));
      try {
        const replies = await Promise.all([1, 2, 3, 4, 5].map(() => call(h.port, '/s/pipe')));
        for (const reply of replies) assert.equal(reply.status, 404);
        assert.equal((await call(h.port, '/s/a.txt')).text, 'a');
      } finally {
        await h.close();
      }
    });

    it('on the catch-all prefix, the root folder is served without a redirect', async () => {
      const h = await mountApp(path.join(dir, 'www'), {}, {}, '');
      try {
        fs.writeFileSync(path.join(dir, 'www', 'index.html'), 'home');
        assert.equal((await call(h.port, '/')).text, 'home');
      } finally {
        await h.close();
      }
    });

    // The engine puts the mount and its place in mounts.json in front (cli.test.ts checks the whole line).
    it('a missing or non-folder root rejects the factory, naming the folder', async () => {
      const missing = path.join(dir, 'nope');
      await assert.rejects(createStaticApp(staticSpec(missing, { name: 'docs' }), { config: undefined!, liveFilesFolders: [], logger: silentLogger, watching: new WatchService() }), (error: Error) => {
        assert.equal(error.message, `folder ${missing} does not exist`);
        return true;
      });
      const file = path.join(dir, 'secret.txt');
      await assert.rejects(createStaticApp(staticSpec(file, { name: 'docs' }), { config: undefined!, liveFilesFolders: [], logger: silentLogger, watching: new WatchService() }), (error: Error) => {
        assert.equal(error.message, `${file} is not a folder`);
        return true;
      });
    });
  });

  describe('parseRange', () => {
    it('follows RFC 9110 for the edge cases', () => {
      assert.deepEqual(parseRange(10, 'bytes=0-0'), { start: 0, end: 0 });
      assert.deepEqual(parseRange(10, 'BYTES = 1-2'), { start: 1, end: 2 });
      assert.deepEqual(parseRange(10, 'bytes=0-1,,2-3'), { start: 0, end: 3 });
      assert.deepEqual(parseRange(10, 'bytes=0-99999999999999999999999'), { start: 0, end: 9 });
      assert.equal(parseRange(10, 'bytes=99999999999999999999999-'), 'unsatisfiable');
      assert.equal(parseRange(10, `bytes=${Array.from({ length: 100 }, (_, i) => `${i}-${i}`).join(',')}`), 'ignore');
      assert.equal(parseRange(0, 'bytes=-5'), 'unsatisfiable');
      assert.equal(parseRange(10, 'bytes=-'), 'ignore');
      assert.equal(parseRange(10, 'bytes=+1-2'), 'ignore');
    });
  });
});

function staticSpec(root: string, spec: Partial<StaticMountSpec> = {}): StaticMountSpec {
  return {
    kind: 'static',
    index: 0,
    prefix: '/s',
    name: 'files',
    root,
    spa: false,
    listing: false,
    liveReload: true,
    range: { offset: 0, length: 0, line: 1, column: 1 },
    ...spec,
  };
}
