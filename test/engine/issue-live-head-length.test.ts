/**
 * HEAD of a page that gets the live reload script answers with the head GET would get for the same
 * request headers (RFC 9110 §9.3.2): the same Content-Length, ETag, Vary and policies. It used to be
 * left as the app wrote it, so it told the length of the page without the script.
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { rawHttp, startEngine, statusOf, type RunningEngine } from './helpers';

const PAGE = '<!DOCTYPE html>\n<html>\n<head>\n<title>t</title>\n</head>\n<body>hello</body>\n</html>\n';
const DOCUMENT = 'Sec-Fetch-Dest: document\r\nAccept: text/html,application/xhtml+xml,*/*;q=0.8\r\n';

/** The head of a raw answer as sorted lines, without the fields that may differ between two answers. */
function headOf(raw: string, omit: readonly string[]): string[] {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n')).split('\r\n');
  return [head[0], ...head.slice(1).filter((line) => !omit.includes(line.slice(0, line.indexOf(':')).toLowerCase())).sort()];
}

describe('HEAD of an injected page', () => {
  let upstream: http.Server;
  let running: RunningEngine;
  before(async () => {
    upstream = http.createServer((req, res) => {
      const gzip = req.url === '/gzip';
      const body = gzip ? zlib.gzipSync(PAGE) : Buffer.from(PAGE);
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Length': body.length,
        ETag: '"up"',
        'Content-Security-Policy': "script-src 'self'; connect-src 'none'",
        ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    // Express's way: res.send sets Content-Length from the body, and ends a HEAD without it.
    const app = `module.exports = (req, res) => {
  const body = ${JSON.stringify(PAGE)};
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(req.method === 'HEAD' ? undefined : body);
};
`;
    // node:http's way: the same end(body) for both, and Node drops the HEAD's body.
    const plain = `module.exports = (req, res) => {
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(${JSON.stringify(PAGE)});
};
`;
    running = await startEngine(
      {
        mounts: [
          { prefix: '/static', static: 'site' },
          { prefix: '/module', module: 'app.js' },
          { prefix: '/plain', module: 'plain.js' },
          { prefix: '/proxy', proxy: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` },
        ],
      },
      { 'site/index.html': PAGE, 'app.js': app, 'plain.js': plain },
      { liveReload: true },
    );
  });
  after(async () => {
    await running?.stop();
    await new Promise((resolve) => upstream.close(resolve));
  });

  const cases: readonly (readonly [string, string, readonly string[]])[] = [
    ['a static file', '/static/', ['date']],
    ['a module app', '/module/', ['date']],
    ['a module app that ends a HEAD with its body', '/plain/', ['date']],
    ['a proxied page', '/proxy/plain', ['date']],
    // Node sends no Transfer-Encoding on a HEAD: the decoded GET is chunked, the HEAD has no length either way.
    ['a proxied gzip page', '/proxy/gzip', ['date', 'transfer-encoding']],
  ];
  for (const [what, url, omit] of cases) {
    it(`of ${what} has the head of its GET`, async () => {
      const ask = (method: string) => rawHttp(running.port, `${method} ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${DOCUMENT}\r\n`);
      const [get, head] = [await ask('GET'), await ask('HEAD')];
      assert.equal(statusOf(get), 200, get);
      assert.ok(get.includes('/__mounts/live.js'), 'the GET is injected');
      assert.deepEqual(headOf(head, omit), headOf(get, omit));
      assert.equal(head.slice(head.indexOf('\r\n\r\n') + 4), '', 'and the HEAD has no body');
    });
  }
});
