/**
 * Regression: a header named in `Connection` removed the request's framing. With
 * `Connection: keep-alive, Content-Length` on a GET with a body, the proxy dropped `Content-Length`
 * as hop-by-hop yet still sent the body, so a keep-alive upstream read the body as a second
 * request: one that bypassed the X-Forwarded-* cleaning (`X-Forwarded-For: 6.6.6.6` arrived).
 * The upstream request's framing now comes from what the server parsed, never from the headers
 * the client named. The forwarder is tested without the dispatcher in front, which may refuse such
 * requests on its own; the proxy must be safe by itself.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { closeServer, listen, rawExchange, serveForwarder, type ServedForwarder } from './proxy-harness';

interface Received {
  readonly url: string;
  readonly forwardedFor: string | undefined;
  readonly body: string;
}

describe('issue: a header named in Connection removed the framing of a proxied request', () => {
  let upstream: http.Server;
  let received: Received[];
  let proxy: ServedForwarder;
  beforeEach(async () => {
    received = [];
    upstream = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ url: req.url ?? '', forwardedFor: req.headers['x-forwarded-for'] as string | undefined, body: Buffer.concat(chunks).toString() });
        res.end(`seen ${req.url}`);
      });
    });
    const port = await listen(upstream);
    proxy = await serveForwarder('/api', { target: `http://127.0.0.1:${port}` });
  });
  afterEach(async () => {
    await proxy.close();
    await closeServer(upstream);
  });

  const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n';

  /** After `text`, a plain request on another connection: once it is seen, the upstream has read everything before it. */
  async function sendThenSentinel(text: string): Promise<string> {
    const raw = await rawExchange(proxy.port, text);
    const sentinel = await rawExchange(proxy.port, 'GET /api/sentinel HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(sentinel, /seen \/sentinel/);
    return raw;
  }

  it('Connection naming Content-Length: the body stays the body, one request upstream', async () => {
    const raw = await sendThenSentinel(
      `GET /api/x HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Content-Length\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}` +
        'GET /api/last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    assert.match(raw, /seen \/x/);
    assert.deepEqual(
      received.map((r) => r.url),
      ['/x', '/last', '/sentinel'],
    );
    assert.equal(received[0].body, smuggled);
    assert.ok(received.every((r) => r.forwardedFor === '127.0.0.1'), JSON.stringify(received));
  });

  it('Connection naming Transfer-Encoding: a chunked body stays chunked, one request upstream', async () => {
    const chunked = `${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`;
    await sendThenSentinel(`POST /api/x HTTP/1.1\r\nHost: x\r\nConnection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`.replace('Connection: Transfer-Encoding', 'Connection: close, Transfer-Encoding'));
    assert.deepEqual(
      received.map((r) => r.url),
      ['/x', '/sentinel'],
    );
    assert.equal(received[0].body, smuggled);
  });

  it('a response whose Connection names Content-Length is still framed for the client', async () => {
    await proxy.close();
    await closeServer(upstream);
    upstream = http.createServer((_req, res) => {
      res.writeHead(200, { Connection: 'keep-alive, Content-Length', 'Content-Length': '5' });
      res.end('hello');
    });
    const port = await listen(upstream);
    proxy = await serveForwarder('/api', { target: `http://127.0.0.1:${port}` });
    const raw = await rawExchange(proxy.port, 'GET /api/a HTTP/1.1\r\nHost: x\r\n\r\nGET /api/b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const answers = raw.match(/HTTP\/1\.1 200/g) ?? [];
    assert.equal(answers.length, 2, raw);
    assert.equal(raw.split('hello').length - 1, 2, raw);
  });
});
