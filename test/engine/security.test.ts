/** Security defaults, each attacked: Host allowlist (DNS rebinding), no open proxy, safe engine pages. */
import assert from 'node:assert/strict';
import { get, rawHttp, request, startEngine, statusOf, type RunningEngine } from './helpers';

describe('security defaults', () => {
  let server: RunningEngine;
  before(async () => {
    server = await startEngine(
      { allowedHosts: ['app.test'], mounts: [{ prefix: '/a', module: 'a.js' }, { prefix: '/', host: 'bound.test', module: 'a.js' }] },
      { 'a.js': `module.exports = (req, res) => res.end('ok');` },
    );
  });
  after(() => server.stop());

  const status = async (host: string | undefined, path = '/a') => {
    if (host === undefined) return statusOf(await rawHttp(server.port, `GET ${path} HTTP/1.0\r\n\r\n`));
    return (await request({ port: server.port, path, headers: { Host: host } })).status;
  };

  describe('Host allowlist against DNS rebinding', () => {
    for (const host of ['localhost', 'LOCALHOST', 'localhost:8080', '127.0.0.1', '127.0.0.1:1', '[::1]', '[::1]:8080', 'x.localhost', 'a.b.localhost:3000', 'app.test', 'App.Test:99', 'bound.test', 'localhost.']) {
      it(`allows ${host}`, async () => assert.equal(await status(host), 200));
    }
    for (const host of ['evil.com', 'attacker.example:80', 'localhost.evil.com', 'evil.com.localhost.com', '127.0.0.2', '0.0.0.0', '192.168.1.10', 'app.test.evil.com', 'localhost:abc', '[::1', 'local host', 'xlocalhost']) {
      it(`refuses Host "${host}" with 403`, async () => {
        const response = await request({ port: server.port, path: '/a', headers: { Host: host } });
        assert.equal(response.status, 403);
        assert.equal(response.headers['x-content-type-options'], 'nosniff');
      });
    }
    it('refuses an empty Host header with 403', async () => {
      assert.equal(statusOf(await rawHttp(server.port, `GET /a HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n`)), 403);
    });
    it('an HTTP/1.0 request without Host (a local tool) is served', async () => {
      assert.equal(await status(undefined), 200);
    });
    it('the 403 says how to allow the host', async () => {
      const response = await request({ port: server.port, path: '/a', headers: { Host: 'evil.com' } });
      assert.match(response.body, /allowedHosts/);
    });
  });

  describe('no open proxy', () => {
    it('absolute-form targets naming other hosts are refused even with an allowed Host header', async () => {
      for (const target of ['http://example.com/a', 'http://127.0.0.2/a', 'http://localhost.evil.com/a']) {
        assert.equal(statusOf(await rawHttp(server.port, `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`)), 403, target);
      }
    });
    it('https:// targets pass the same Host check (403 for other hosts); other schemes and * are 400', async () => {
      for (const target of ['https://example.com/', 'HTTPS://127.0.0.2/a']) {
        assert.equal(statusOf(await rawHttp(server.port, `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`)), 403, target);
      }
      assert.equal(statusOf(await rawHttp(server.port, `GET https://localhost:${server.port}/a HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`)), 200);
      assert.equal(statusOf(await rawHttp(server.port, `GET ftp://example.com/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`)), 400);
      assert.equal(statusOf(await rawHttp(server.port, `GET * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`)), 400);
    });
    it('CONNECT tunnels are refused', async () => {
      assert.equal(statusOf(await rawHttp(server.port, `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n`, 500)), 405);
    });
  });

  describe('engine pages', () => {
    it('404 lists the mounts, as HTML for browsers and text otherwise', async () => {
      const html = await get(`${server.origin}/nothing`, { headers: { Accept: 'text/html,*/*' } });
      assert.equal(html.status, 404);
      assert.equal(html.headers['content-type'], 'text/html; charset=utf-8');
      assert.match(html.body, /<a href="\/a\/">\/a<\/a>/);
      const text = await get(`${server.origin}/nothing`);
      assert.equal(text.headers['content-type'], 'text/plain; charset=utf-8');
      assert.match(text.body, /\/a\//);
    });
    it('every engine page carries nosniff and a default-src none CSP', async () => {
      const pages = [
        await get(`${server.origin}/nothing`, { headers: { Accept: 'text/html' } }),
        await request({ port: server.port, path: '/a', headers: { Host: 'evil.com' } }),
        await request({ port: server.port, path: '/a/%2e%2e/x' }),
      ];
      for (const page of pages) {
        assert.equal(page.headers['x-content-type-options'], 'nosniff');
        assert.match(String(page.headers['content-security-policy']), /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'$/);
      }
      // CONNECT and refused upgrades are answered on the raw socket, with the same headers.
      for (const raw of [
        await rawHttp(server.port, `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n`, 500),
        await rawHttp(server.port, `GET /nothing HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`, 500),
      ]) {
        assert.match(raw, /\r\nX-Content-Type-Options: nosniff\r\n/i, raw);
        assert.match(raw, /\r\nContent-Security-Policy: default-src 'none'/i, raw);
      }
    });
    it('page bodies escape what the request put in them', async () => {
      const page = await request({ port: server.port, path: '/<script>alert(1)</script>', headers: { Accept: 'text/html', Host: 'localhost' } });
      assert.equal(page.status, 404);
      assert.doesNotMatch(page.body, /<script>/);
    });
  });
});

/** Attacks that held when tried; kept so they keep holding. */
describe('security defaults, attacked further', () => {
  describe('Host forms', () => {
    let server: RunningEngine;
    before(async () => {
      server = await startEngine({ mounts: [{ prefix: '/a', module: 'a.js' }] }, { 'a.js': `module.exports = (req, res) => res.end('ok');` });
    });
    after(() => server.stop());
    // Other spellings of loopback are refused rather than normalized: browsers send them only when
    // the user typed them, and a DNS-rebinding page cannot choose its Host.
    for (const host of ['[::ffff:127.0.0.1]', '[0:0:0:0:0:0:0:1]', '[::1]x', '127.1', '2130706433', '0x7f000001', 'user@localhost', 'evil.com\\@localhost', 'localhost:', 'localhost..']) {
      it(`refuses Host "${host}"`, async () => {
        assert.equal(statusOf(await rawHttp(server.port, `GET /a HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)), 403);
      });
    }
    it('allows trailing-dot and upper-case spellings of allowed names', async () => {
      for (const host of ['LOCALHOST.', 'x.LocalHost.', '127.0.0.1.']) {
        assert.equal(statusOf(await rawHttp(server.port, `GET /a HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)), 200, host);
      }
    });
    it("keeps Node's slowloris and size limits in place", () => {
      const http = server.engine.httpServer!;
      assert.ok(http.headersTimeout > 0 && http.headersTimeout <= 60_000, `headersTimeout ${http.headersTimeout}`);
      assert.ok(http.requestTimeout > 0 && http.requestTimeout <= 300_000, `requestTimeout ${http.requestTimeout}`);
      // null is Node's default of 2000 headers; the 16 KiB header size limit is proven by issue-client-error-headers.
      assert.ok(http.maxHeadersCount === null || http.maxHeadersCount <= 2000);
    });
  });

  describe('bound to 0.0.0.0', () => {
    it('still refuses Hosts that are not listed', async () => {
      const server = await startEngine({ host: '0.0.0.0', mounts: [{ prefix: '/a', module: 'a.js' }] }, { 'a.js': `module.exports = (req, res) => res.end('ok');` });
      try {
        for (const host of ['evil.com', '0.0.0.0', '192.168.1.10', '10.0.0.2']) {
          assert.equal((await request({ port: server.port, path: '/a', headers: { Host: host } })).status, 403, host);
        }
        assert.equal((await request({ port: server.port, path: '/a', headers: { Host: 'localhost' } })).status, 200);
      } finally {
        await server.stop();
      }
    });
  });

  describe('WebSocket Origin', () => {
    let server: RunningEngine;
    let upstream: import('node:http').Server;
    before(async () => {
      const http = await import('node:http');
      upstream = http.createServer();
      upstream.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'));
      await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
      const port = (upstream.address() as { port: number }).port;
      server = await startEngine(
        { allowedHosts: ['app.test'], mounts: [{ prefix: '/ws', proxy: `http://127.0.0.1:${port}` }, { prefix: '/m', module: 'm.js' }, { prefix: '/s', static: 'pub' }] },
        { 'm.js': `module.exports = (req, res) => res.end('m');`, 'pub/a.txt': 'a' },
      );
    });
    after(async () => {
      await server.stop();
      await new Promise((resolve) => upstream.close(resolve));
    });
    const upgrade = async (path: string, origin?: string) =>
      statusOf(
        await rawHttp(
          server.port,
          `GET ${path} HTTP/1.1\r\nHost: localhost:${server.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${origin === undefined ? '' : `Origin: ${origin}\r\n`}\r\n`,
          500,
        ),
      );
    it('refuses null, foreign ports, look-alike names, other schemes and userinfo tricks', async () => {
      const p = server.port;
      for (const origin of ['null', `http://localhost:${p + 1}`, 'http://localhost', `http://localhost.evil.com:${p}`, `http://localhostevil.com:${p}`, 'file://', 'chrome-extension://abc', `http://localhost:${p}@evil.com`, `http://evil.com#@localhost:${p}`, `http://[::ffff:7f00:1]:${p}`, `http://localhost:${p}, http://evil.com`]) {
        assert.equal(await upgrade('/ws/x', origin), 403, origin);
      }
    });
    it('refuses when a second Origin header is foreign, in either order', async () => {
      const p = server.port;
      for (const pair of [[`http://localhost:${p}`, 'http://evil.com'], ['http://evil.com', `http://localhost:${p}`]]) {
        const raw = await rawHttp(p, `GET /ws/x HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nOrigin: ${pair[0]}\r\nOrigin: ${pair[1]}\r\n\r\n`, 500);
        assert.equal(statusOf(raw), 403, pair.join(' + '));
      }
    });
    it('accepts our own origins, whatever their spelling', async () => {
      const p = server.port;
      for (const origin of [`http://localhost:${p}`, `HTTP://LOCALHOST:${p}`, `http://127.0.0.1:${p}`, `http://[::1]:${p}`, `http://app.test:${p}`, `http://x.localhost:${p}`, `https://localhost:${p}`]) {
        assert.equal(await upgrade('/ws/x', origin), 101, origin);
      }
    });
    it('module mounts without an upgrade handler and static mounts answer 404 and close', async () => {
      assert.equal(await upgrade('/m'), 404);
      assert.equal(await upgrade('/s/a.txt'), 404);
      assert.equal(await upgrade('/nothing'), 404);
    });
  });

  describe('static traversal, beyond static.test.ts', () => {
    let server: RunningEngine;
    let outside: string;
    before(async () => {
      const fs = await import('node:fs');
      const path = await import('node:path');
      const os = await import('node:os');
      outside = fs.mkdtempSync(path.join(os.tmpdir(), 'mounts-outside-'));
      fs.writeFileSync(path.join(outside, 'secret.txt'), 'TOP SECRET');
      server = await startEngine(
        { mounts: [{ prefix: '/', static: 'pub', spa: true }, { prefix: '/docs', static: 'pub', listing: true }] },
        { 'pub/index.html': 'INDEX', 'pub/.env': 'TOP SECRET', 'pub/sub/a.txt': 'A', 'pub/evil.com/x.txt': 'x', 'pub/.git/config': 'TOP SECRET' },
      );
      const pub = path.join(server.dir, 'pub');
      fs.symlinkSync(outside, path.join(pub, 'out'));
      fs.symlinkSync('loop2', path.join(pub, 'loop1'));
      fs.symlinkSync('loop1', path.join(pub, 'loop2'));
      fs.symlinkSync('.git', path.join(pub, 'gitlink'));
      fs.symlinkSync('.env', path.join(pub, 'envlink.html'));
      fs.symlinkSync('/', path.join(pub, 'rootlink'));
    });
    after(async () => {
      await server.stop();
      (await import('node:fs')).rmSync(outside, { recursive: true, force: true });
    });
    // The one right answer to each: 400 for a path that is not valid UTF-8; 404 for what resolves
    // outside the folder, to a dotfile or through a link to one, and for anything with a file
    // extension that is not there; the SPA's index.html (200) for any other navigation, which is
    // what an SPA mount is for (the literal names "%2e%2e" or "a.txt%00" exist nowhere).
    const attempts: [string, number][] = [
      ['/%c0%ae%c0%ae/secret.txt', 400], ['/%e0%80%ae/x', 400], ['/%252e%252e/%252e%252e/etc/passwd', 200], ['/sub/a.txt%2500', 200],
      ['/out/secret.txt', 404], ['/out/', 200], ['/docs/out/', 404], ['/loop1', 200], ['/loop1/', 200], ['/gitlink/config', 404],
      ['/docs/gitlink/', 404], ['/envlink.html', 404], ['/envlink.html/', 200], ['/rootlink/etc/passwd', 404], ['/docs/rootlink/', 404],
      ['/sub%2f..%2f.env', 404], ['/sub/a.txt/.env', 404], [`/${'a/'.repeat(2000)}`, 200], [`/${'a'.repeat(5000)}`, 200],
    ];
    for (const [target, status] of attempts) {
      it(`${target.slice(0, 40)} stays inside: ${status} (browser navigation on an SPA mount)`, async () => {
        const reply = await request({ port: server.port, path: target, headers: { Accept: 'text/html' } });
        assert.ok(!reply.body.includes('TOP SECRET'), `${target} leaked a file from outside: ${reply.body.slice(0, 80)}`);
        assert.equal(reply.status, status, `${target} answered ${reply.status}: ${reply.body.slice(0, 80)}`);
        if (status === 200) assert.equal(reply.body, 'INDEX');
      });
    }
    it('folder redirects never leave the origin', async () => {
      for (const [target, location] of [['/docs//evil.com', '/docs//evil.com/'], ['//evil.com', '/evil.com/'], ['///evil.com', '/evil.com/']]) {
        assert.equal((await request({ port: server.port, path: target })).headers.location, location, target);
      }
      for (const line of ['/\\evil.com', '/\\\\evil.com', '/%5Cevil.com', '/%2F%2Fevil.com', '/docs/\\evil.com', '/%09/evil.com']) {
        const raw = await rawHttp(server.port, `GET ${line} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
        assert.doesNotMatch(raw, /\r\nLocation:/i, line);
      }
      const absolute = await rawHttp(server.port, `GET http://localhost//evil.com HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
      assert.match(absolute, /\r\nLocation: \/evil\.com\/\r\n/i);
    });
  });
});
