/** Dispatch rules 1-5 and 8-11 of the engine issue, over real HTTP to a real engine. */
import assert from 'node:assert/strict';
import { rawHttp, request, startEngine, statusOf, type RunningEngine } from './helpers';

/** A module app that reports what it saw: the Express mount conventions. */
const ECHO_APP = `module.exports = (req, res) => {
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({ app: process.env.APP_NAME || require('path').basename(__filename, '.js'), url: req.url, baseUrl: req.baseUrl, originalUrl: req.originalUrl }));
};`;

const echo = (name: string) => ({ [`apps/${name}.js`]: ECHO_APP });

async function seen(server: RunningEngine, path: string, headers: Record<string, string> = {}) {
  const response = await request({ port: server.port, path, headers });
  return { status: response.status, ...(response.status === 200 ? JSON.parse(response.body) : {}) };
}

describe('dispatch', () => {
  describe('rule 1: prefixes are normalized at load', () => {
    let server: RunningEngine;
    before(async () => {
      server = await startEngine(
        { mounts: [{ prefix: '/blog/', module: 'apps/blog.js' }, { prefix: '/', host: 'docs.localhost', module: 'apps/docs.js' }] },
        { ...echo('blog'), ...echo('docs') },
      );
    });
    after(() => server.stop());

    it('"/blog/" in mounts.json serves /blog, /blog/ and /blog/x with baseUrl /blog', async () => {
      for (const path of ['/blog', '/blog/', '/blog/x']) {
        const answer = await seen(server, path);
        assert.equal(answer.app, 'blog', path);
        assert.equal(answer.baseUrl, '/blog', path);
      }
    });
    it('the 404 page links a host-bound mount on its own host', async () => {
      const page = await request({ port: server.port, path: '/nothing', headers: { Accept: 'text/html' } });
      assert.equal(page.status, 404);
      assert.match(page.body, /<a href="\/blog\/">/);
      assert.match(page.body, new RegExp(`<a href="http://docs\\.localhost:${server.port}/">`));
    });
  });

  describe('rule 2: a prefix matches on a segment boundary only', () => {
    let server: RunningEngine;
    before(async () => {
      server = await startEngine({ mounts: [{ prefix: '/blog', module: 'apps/blog.js' }] }, echo('blog'));
    });
    after(() => server.stop());

    for (const path of ['/blog', '/blog/', '/blog/x', '/blog?q=1', '/blog/x/y?z=1']) {
      it(`${path} goes to /blog`, async () => {
        assert.equal((await seen(server, path)).app, 'blog');
      });
    }
    for (const path of ['/blogger', '/blog.json', '/Blog', '/BLOG/x', '/', '/x/blog']) {
      it(`${path} does not`, async () => {
        assert.equal((await seen(server, path)).status, 404);
      });
    }
  });

  describe('rule 3: the longest matching prefix wins, whatever the order', () => {
    for (const order of ['short first', 'long first']) {
      it(order, async () => {
        const mounts = [
          { prefix: '/a', module: 'apps/a.js' },
          { prefix: '/a/b', module: 'apps/ab.js' },
          { prefix: '/', module: 'apps/root.js' },
        ];
        const server = await startEngine({ mounts: order === 'short first' ? mounts : mounts.reverse() }, { ...echo('a'), ...echo('ab'), ...echo('root') });
        try {
          assert.equal((await seen(server, '/a/b/c')).app, 'ab');
          assert.equal((await seen(server, '/a/b')).app, 'ab');
          assert.equal((await seen(server, '/a/bc')).app, 'a');
          assert.equal((await seen(server, '/a')).app, 'a');
          assert.equal((await seen(server, '/ab')).app, 'root');
          assert.equal((await seen(server, '/')).app, 'root');
        } finally {
          await server.stop();
        }
      });
    }

    it('routes among 10 000 mounts by walking up the path', async function () {
      // Loading 10 000 module mounts takes seconds on a busy machine; this is not a timing test.
      this.timeout(90_000);
      const mounts = Array.from({ length: 10_000 }, (_, i) => ({ prefix: `/m${i}`, module: 'apps/blog.js' }));
      mounts.push({ prefix: '/m42/deep', module: 'apps/deep.js' });
      const server = await startEngine({ mounts }, { ...echo('blog'), ...echo('deep') });
      try {
        assert.deepEqual(await seen(server, '/m9999/x'), { status: 200, app: 'blog', url: '/x', baseUrl: '/m9999', originalUrl: '/m9999/x' });
        assert.equal((await seen(server, '/m42/deep/er')).app, 'deep');
        assert.equal((await seen(server, '/m10000')).status, 404);
      } finally {
        await server.stop();
      }
    });
  });

  describe('rule 5: Express mount conventions', () => {
    let server: RunningEngine;
    before(async () => {
      server = await startEngine(
        { mounts: [{ prefix: '/blog', module: 'apps/blog.js' }, { prefix: '/', module: 'apps/root.js' }] },
        { ...echo('blog'), ...echo('root') },
      );
    });
    after(() => server.stop());

    const cases: [string, string, string, string][] = [
      ['/blog', '/', '/blog', '/blog'],
      ['/blog/', '/', '/blog', '/blog/'],
      ['/blog?q=1', '/?q=1', '/blog', '/blog?q=1'],
      ['/blog/x/y?z=%20', '/x/y?z=%20', '/blog', '/blog/x/y?z=%20'],
      ['/blog//x', '//x', '/blog', '/blog//x'],
      ['/blog/a%2Fb', '/a%2Fb', '/blog', '/blog/a%2Fb'],
      ['/', '/', '', '/'],
      ['/other/x?y', '/other/x?y', '', '/other/x?y'],
    ];
    for (const [path, url, baseUrl, originalUrl] of cases) {
      it(`${path} -> url ${url}, baseUrl "${baseUrl}"`, async () => {
        const result = await seen(server, path);
        assert.deepEqual({ url: result.url, baseUrl: result.baseUrl, originalUrl: result.originalUrl }, { url, baseUrl, originalUrl });
      });
    }
  });

  describe('host-specific mounts (paste URLMap)', () => {
    let server: RunningEngine;
    before(async () => {
      server = await startEngine(
        {
          allowedHosts: ['app.test'],
          mounts: [
            { prefix: '/blog', module: 'apps/blog.js' },
            { prefix: '/', host: 'docs.localhost', module: 'apps/docs.js' },
            { prefix: '/api', host: 'app.test', module: 'apps/api.js' },
            { prefix: '/', module: 'apps/root.js' },
          ],
        },
        { ...echo('blog'), ...echo('docs'), ...echo('api'), ...echo('root') },
      );
    });
    after(() => server.stop());

    it('a host-specific catch-all is tried before a longer host-less prefix', async () => {
      assert.equal((await seen(server, '/blog/x', { Host: 'docs.localhost' })).app, 'docs');
      assert.equal((await seen(server, '/blog/x', { Host: `docs.localhost:${server.port}` })).app, 'docs');
      assert.equal((await seen(server, '/blog/x', { Host: 'DOCS.localhost' })).app, 'docs');
    });
    it('other hosts fall back to host-less mounts', async () => {
      assert.equal((await seen(server, '/blog/x', { Host: 'localhost' })).app, 'blog');
      assert.equal((await seen(server, '/x', { Host: 'other.localhost' })).app, 'root');
      assert.equal((await seen(server, '/api/x', { Host: 'app.test' })).app, 'api');
      assert.equal((await seen(server, '/apiary', { Host: 'app.test' })).app, 'root');
      assert.equal((await seen(server, '/api/x', { Host: 'localhost' })).app, 'root');
    });
  });

  describe('rule 4: targets refused before matching', () => {
    let server: RunningEngine;
    before(async () => {
      server = await startEngine({ mounts: [{ prefix: '/', module: 'apps/root.js' }] }, echo('root'));
    });
    after(() => server.stop());

    const bad = ['/a/%00', '/%00x', '/a%zz', '/a/%E0%A4%A', '/%', '/a/./b', '/a/../b', '/..', '/.', '/a/%2e%2e/b', '/a/%2E%2E', '/a/.%2e/b', '/a/%2e/b', '/a/..?x', '/a/b/..', '/./a', '/a/.', '/a/../', '/a/.?x', '/a//../b'];
    for (const path of bad) {
      it(`400 for ${path}`, async () => {
        const raw = await rawHttp(server.port, `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
        assert.equal(statusOf(raw), 400, raw);
      });
    }
    it('400 for a raw NUL byte in the path', async () => {
      const raw = await rawHttp(server.port, Buffer.from(`GET /a\0b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`, 'latin1'));
      assert.equal(statusOf(raw), 400);
    });
    it('dots inside a segment are fine', async () => {
      assert.equal((await seen(server, '/a/.well-known/x..y/...')).url, '/a/.well-known/x..y/...');
      assert.equal((await seen(server, '/.a/..b/...c/x.')).url, '/.a/..b/...c/x.');
    });
    it('%2F is kept as is and does not separate segments', async () => {
      assert.equal((await seen(server, '/a%2F..%2Fb')).url, '/a%2F..%2Fb');
    });
    it('an absolute-form target for an allowed host is served', async () => {
      const raw = await rawHttp(server.port, `GET http://localhost:${server.port}/x?y=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
      assert.equal(statusOf(raw), 200);
      assert.match(raw, /"originalUrl":"\/x\?y=1"/);
    });
    it('an absolute-form target for another host is 403, whatever the Host header says', async () => {
      for (const target of ['http://example.com/', 'http://example.com:80/x', 'http://169.254.169.254/latest/meta-data']) {
        const raw = await rawHttp(server.port, `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
        assert.equal(statusOf(raw), 403, target);
      }
    });
    it('CONNECT is 405 whatever its Host', async () => {
      for (const host of ['localhost', 'example.com:443']) {
        const raw = await rawHttp(server.port, `CONNECT ${host} HTTP/1.1\r\nHost: ${host}\r\n\r\n`, 500);
        assert.equal(statusOf(raw), 405, raw);
      }
    });
  });
});

describe('non-ASCII prefixes', () => {
  it('match the percent-encoded request path', async () => {
    const server = await startEngine({ mounts: [{ prefix: '/café', module: 'apps/cafe.js' }] }, echo('cafe'));
    try {
      const result = await seen(server, '/caf%C3%A9/menu');
      assert.deepEqual({ app: result.app, url: result.url, baseUrl: result.baseUrl }, { app: 'cafe', url: '/menu', baseUrl: '/caf%C3%A9' });
    } finally {
      await server.stop();
    }
  });
});
