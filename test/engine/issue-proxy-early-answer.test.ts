/**
 * Regression: an upstream that answers before it has read the request body (413 Payload Too Large,
 * then closes, as servers with a body limit do) reached the client as 502: the proxy treated the
 * failed body upload as an unreachable upstream and dropped the answer it had already received.
 * The upstream's answer now reaches the client, and the rest of the client's body is discarded.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { Readable } from 'node:stream';
import { closeServer, listen, serveForwarder, type ServedForwarder } from './proxy-harness';

describe('issue: an upstream that answered early (413, then closed) reached the client as 502', () => {
  let upstream: http.Server;
  let proxy: ServedForwarder;
  before(async () => {
    upstream = http.createServer((req, res) => {
      // Answers at once without reading the body, and closes: what a body limit does.
      res.writeHead(413, { 'Content-Type': 'text/plain', Connection: 'close' });
      res.end('too large');
      req.socket.destroySoon();
    });
    const port = await listen(upstream);
    proxy = await serveForwarder('/api', { target: `http://127.0.0.1:${port}` });
  });
  after(async () => {
    await proxy.close();
    await closeServer(upstream);
  });

  for (const framing of ['length', 'chunked'] as const) {
    it(`a large ${framing} upload gets the upstream's 413`, async () => {
      const size = 16 * 1024 * 1024;
      const block = Buffer.alloc(64 * 1024, 97);
      let sent = 0;
      const body = new Readable({
        read() {
          if (sent >= size) this.push(null);
          else {
            sent += block.length;
            this.push(block);
          }
        },
      });
      const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const headers: http.OutgoingHttpHeaders = framing === 'length' ? { 'Content-Length': String(size) } : {};
        const req = http.request(`${proxy.origin}/api/upload`, { method: 'POST', headers, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
          res.on('error', reject);
        });
        // The proxy may close the client connection before it has sent the whole body.
        req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
        body.pipe(req);
      });
      assert.equal(reply.status, 413, reply.body);
      assert.equal(reply.body, 'too large');
    });
  }
});
