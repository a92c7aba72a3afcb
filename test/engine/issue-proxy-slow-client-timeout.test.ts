/**
 * A client that stopped reading for longer than the mount's `timeout` had its answer cut, and the
 * log blamed the upstream ("sent nothing for N s"): the proxy pauses its upstream socket for the
 * client's back-pressure, and the paused socket's inactivity timer fired. A video element stops
 * reading for minutes once its buffer is full. The timeout measures the upstream's silence only.
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { UpstreamClient } from '../../src/engine/kinds/proxy/upstream';
import { createNodeClient } from '../../src/engine/kinds/proxy/nodeClient';
import { closeServer, listen, serveForwarder, type ServedForwarder } from './proxy-harness';

const TIMEOUT_SECONDS = 0.3;
const BODY = Buffer.alloc(8 * 1024 * 1024, 'x');

const clients: [string, () => UpstreamClient | undefined][] = [
  ['lean client', () => undefined],
  ['node:http client', () => createNodeClient({ timeoutMs: TIMEOUT_SECONDS * 1000 })],
];

for (const [clientName, makeClient] of clients) {
  describe(`a client that stops reading for longer than the timeout keeps its answer (${clientName})`, () => {
    let upstream: http.Server;
    let proxy: ServedForwarder;

    before(async () => {
      // '/big' is more than the socket buffers hold; '/silent' never answers.
      upstream = http.createServer((req, res) => {
        if (req.url === '/big') res.writeHead(200, { 'content-length': BODY.length }).end(BODY);
      });
      proxy = await serveForwarder('/', { target: `http://127.0.0.1:${await listen(upstream)}`, timeoutSeconds: TIMEOUT_SECONDS }, makeClient());
    });

    after(async () => {
      await proxy.close();
      await closeServer(upstream);
    });

    async function timeOutOnce(): Promise<void> {
      const status = await new Promise<number | undefined>((resolve) => {
        http.get(`${proxy.origin}/silent`, { agent: false }, (silent) => {
          silent.resume();
          silent.on('end', () => resolve(silent.statusCode));
        });
      });
      assert.equal(status, 504);
    }

    async function timeOutTwice(): Promise<void> {
      await timeOutOnce();
      await timeOutOnce();
    }

    it('is relayed in full after the pause', async () => {
      const outcome = await new Promise<string>((resolve) => {
        http.get(`${proxy.origin}/big`, { agent: false }, (res) => {
          let received = 0;
          res.on('data', (chunk: Buffer) => (received += chunk.length));
          res.once('data', () => {
            res.pause();
            // The signal that a full timeout has passed since the proxy stopped reading the paused
            // answer: two requests to an upstream that never answers, on the same proxy, timing out
            // one after the other (during the first, the buffers on the way fill up).
            timeOutTwice().then(
              () => res.resume(),
              (error: Error) => resolve(`the signal failed: ${error.message}`),
            );
          });
          res.on('end', () => resolve(`complete: ${received} bytes`));
          res.on('aborted', () => resolve(`cut after ${received} bytes`));
        });
      });
      assert.equal(outcome, `complete: ${BODY.length} bytes`);
    });
  });
}
