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
    it('https:// and other schemes in the target are 400', async () => {
      assert.equal(statusOf(await rawHttp(server.port, `GET https://example.com/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`)), 400);
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
    });
    it('page bodies escape what the request put in them', async () => {
      const page = await request({ port: server.port, path: '/<script>alert(1)</script>', headers: { Accept: 'text/html', Host: 'localhost' } });
      assert.equal(page.status, 404);
      assert.doesNotMatch(page.body, /<script>/);
    });
  });
});
