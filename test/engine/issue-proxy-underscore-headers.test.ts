/**
 * Regression: the proxy replaced the client's `X-Forwarded-Prefix` (and the other headers it owns)
 * but passed `X_Forwarded_Prefix` through. CGI-style servers (WSGI's wsgiref, PHP, Rack) map both
 * spellings to `HTTP_X_FORWARDED_PREFIX` and join them, so a client chose the prefix a WSGI app
 * builds its links and redirects from (`examples/wsgi/prefix.py`): `//evil.com/?` made them point
 * to another site. Header names that spell a proxy-owned header with underscores are now dropped,
 * as nginx (`underscores_in_headers off`) and gunicorn (`header_map = drop`) do.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as path from 'node:path';
import { rawHttp, startEngine, statusOf, type RunningEngine } from './helpers';

const SPOOFED = 'X_Forwarded_Prefix: //evil.com/?\r\nX_FORWARDED_HOST: evil.com\r\nx_forwarded_for: 6.6.6.6\r\nX-Real_IP: 6.6.6.6\r\nX_Forwarded_Proto: https\r\n';

describe('issue: proxy-owned headers spelled with underscores reached the upstream', () => {
  describe('with a node:http upstream', () => {
    let upstream: http.Server;
    let server: RunningEngine;
    before(async () => {
      upstream = http.createServer((req, res) => res.end(JSON.stringify(req.rawHeaders)));
      await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
      const port = (upstream.address() as { port: number }).port;
      server = await startEngine({ mounts: [{ prefix: '/api', proxy: `http://127.0.0.1:${port}` }] });
    });
    after(async () => {
      await server.stop();
      await new Promise((resolve) => upstream.close(resolve));
    });

    it('drops them, keeps only the fresh values and other underscore headers', async () => {
      const raw = await rawHttp(server.port, `GET /api/x HTTP/1.1\r\nHost: localhost\r\n${SPOOFED}My_Header: kept\r\nConnection: close\r\n\r\n`);
      assert.equal(statusOf(raw), 200, raw);
      const headers = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as string[];
      const names = headers.filter((_, i) => i % 2 === 0);
      assert.deepEqual(names.filter((name) => /forwarded|real/i.test(name)), ['X-Forwarded-For', 'X-Forwarded-Host', 'X-Forwarded-Proto', 'X-Forwarded-Prefix']);
      assert.ok(!headers.includes('evil.com') && !headers.includes('6.6.6.6') && !headers.includes('https'), JSON.stringify(headers));
      assert.equal(headers[headers.indexOf('My_Header') + 1], 'kept');
    });
  });

  describe('with the WSGI prefix middleware of examples/wsgi under wsgiref', () => {
    let server: RunningEngine;
    before(async () => {
      const examples = path.resolve(__dirname, '../../../examples/wsgi');
      const app = [
        'import sys',
        `sys.path.insert(0, ${JSON.stringify(examples)})`,
        'from prefix import serve',
        'def app(environ, start_response):',
        "    start_response('302 Found', [('Location', environ['SCRIPT_NAME'] + '/next')])",
        "    return [environ.get('HTTP_X_FORWARDED_PREFIX', '').encode()]",
        'serve(app)',
      ].join('\n');
      server = await startEngine({ mounts: [{ prefix: '/py', command: 'python3 app.py', stripPrefix: false }] }, { 'app.py': app });
    });
    after(() => server.stop());

    it('the app sees only the mount prefix and redirects inside it', async () => {
      const raw = await rawHttp(server.port, `GET /py/x HTTP/1.1\r\nHost: localhost\r\n${SPOOFED}Connection: close\r\n\r\n`, 5000);
      assert.equal(statusOf(raw), 302, raw);
      assert.match(raw, /\r\nLocation: \/py\/next\r\n/i);
      assert.ok(raw.endsWith('\r\n\r\n/py'), raw);
    });
  });
});
