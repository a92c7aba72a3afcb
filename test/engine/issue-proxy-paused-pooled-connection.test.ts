/**
 * An answer larger than the socket buffers, written by the upstream in several chunked writes, makes
 * the proxy pause its upstream socket for back-pressure. When the last bytes of that answer arrive
 * in the same read that paused it, the connection went back to the pool still paused: the next
 * request sent on it was never read, and the client got no byte until the 60 s timeout. Next.js
 * chunks did exactly this on most page loads.
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import { closeServer, listen, serveForwarder, type ServedForwarder } from './proxy-harness';

const SIZE = 150_234;
const PIECES = 6;

/**
 * Answers `/c/N` with N bytes of a known pattern in PIECES chunked writes, one per tick as a
 * streaming renderer makes them; the last tick writes a large piece and ends with a small one, so
 * the final read holds two body pieces and the end of the answer.
 */
function chunkedUpstream(): http.Server {
  return http.createServer((req, res) => {
    const size = Number(/^\/c\/(\d+)$/.exec(req.url ?? '')?.[1] ?? 0);
    const body = patterned(size);
    res.writeHead(200, { 'content-type': 'application/javascript' });
    const piece = Math.ceil((size - 100) / PIECES);
    let at = 0;
    const next = (): void => {
      if (at + piece < size - 100) {
        res.write(body.subarray(at, (at += piece)));
        setImmediate(next);
        return;
      }
      res.write(body.subarray(at, size - 100));
      res.end(body.subarray(size - 100));
    };
    next();
  });
}

function patterned(size: number): Buffer {
  const body = Buffer.alloc(size);
  for (let i = 0; i < size; i++) body[i] = (i * 31 + (i >> 8)) & 0xff;
  return body;
}

/** One GET on a new client connection (as curl makes), failing if nothing arrives within `ms`. */
function fetchOnce(origin: string, path: string, ms: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${origin}${path}`, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
        else resolve(Buffer.concat(chunks));
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`no complete answer within ${ms} ms`)), ms);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

describe('a proxied answer that paused the upstream socket leaves its pooled connection readable', () => {
  let upstream: http.Server;
  let served: ServedForwarder;

  before(async () => {
    upstream = chunkedUpstream();
    const port = await listen(upstream);
    served = await serveForwarder('/', { target: `http://127.0.0.1:${port}` });
  });

  after(async () => {
    await served.close();
    await closeServer(upstream);
  });

  it('answers 200 of 200 sequential requests for a 150 KB chunked answer on one pooled connection', async () => {
    const expected = patterned(SIZE);
    const failures: string[] = [];
    // Stops at the third failure: each stalled request costs its 3 s.
    for (let i = 0; i < 200 && failures.length < 3; i++) {
      try {
        const body = await fetchOnce(served.origin, `/c/${SIZE}`, 3000);
        if (!body.equals(expected)) failures.push(`request ${i}: ${body.length} bytes, not the ${SIZE} sent`);
      } catch (error) {
        failures.push(`request ${i}: ${(error as Error).message}`);
      }
    }
    assert.deepEqual(failures, []);
  });
});
