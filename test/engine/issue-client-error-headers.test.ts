/**
 * Regression: the answers to requests Node cannot parse (the engine's `clientError` handler) and
 * Node's own 400 for an HTTP/1.1 request without Host carried neither `X-Content-Type-Options:
 * nosniff` nor the `default-src 'none'` CSP that every engine page must carry (issue 2, rule 11),
 * and headers over Node's limit got 400 instead of 431 Request Header Fields Too Large.
 */
import assert from 'node:assert/strict';
import { rawHttp, startEngine, statusOf, type RunningEngine } from './helpers';

describe('issue: 400 and 431 answers before routing lacked the safe headers', () => {
  let server: RunningEngine;
  before(async () => {
    server = await startEngine({ mounts: [{ prefix: '/a', module: 'a.js' }] }, { 'a.js': `module.exports = (req, res) => res.end('ok');` });
  });
  after(() => server.stop());

  const cases: [string, string, number][] = [
    ['a malformed request line', 'GARBAGE\r\n\r\n', 400],
    ['a bad header line', 'GET /a HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n', 400],
    ['conflicting Content-Lengths', 'GET /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 400],
    ['20 KiB of headers', `GET /a HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`, 431],
    ['an HTTP/1.1 request without Host', 'GET /a HTTP/1.1\r\nConnection: close\r\n\r\n', 400],
    ['an HTTP/1.1 upgrade without Host', 'GET /a HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n', 400],
  ];
  for (const [name, text, status] of cases) {
    it(`${name}: ${status} with nosniff and CSP default-src 'none'`, async () => {
      const raw = await rawHttp(server.port, text);
      assert.equal(statusOf(raw), status, raw);
      assert.match(raw, /\r\nX-Content-Type-Options: nosniff\r\n/i, raw);
      assert.match(raw, /\r\nContent-Security-Policy: default-src 'none'/i, raw);
      assert.match(raw, /\r\nConnection: close\r\n/i, raw);
    });
  }

  it('an HTTP/1.0 request without Host (a local tool) is still served', async () => {
    assert.equal(statusOf(await rawHttp(server.port, 'GET /a HTTP/1.0\r\n\r\n')), 200);
  });
});
