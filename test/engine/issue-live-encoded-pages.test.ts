/**
 * Encoded pages with live reload on, in a real Chromium. A page sent as raw deflate (no zlib
 * header, which some servers send and browsers accept) used to be cut before its head, so the
 * browser showed ERR_EMPTY_RESPONSE and the log said only "no answer". Every coding a browser
 * takes now gets the script; a body that does not decode goes out as the app wrote it (the
 * browser then says what it says without Mounts) and the log says why.
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as zlib from 'node:zlib';
import { liveProxyInChromium, waitForLivePages } from './fixtures/live/browser';
import { rawHttp } from './helpers';

const PAGE = '<!DOCTYPE html>\n<html>\n<head>\n<title>t</title>\n</head>\n<body><h1>encoded</h1></body>\n</html>\n';
/** A page whose gzip body breaks only at its end, long after its head. */
const LONG = `<!DOCTYPE html><html><head><title>t</title></head><body>${'x'.repeat(256 * 1024)}</body></html>`;

function corruptTail(gzipped: Buffer): Buffer {
  const copy = Buffer.from(gzipped);
  // The CRC-32 of the trailer: everything decodes, and the check at the end fails.
  copy[copy.length - 8] ^= 0xff;
  return copy;
}

const BODIES: Record<string, readonly [string, Buffer]> = {
  '/gzip': ['gzip', zlib.gzipSync(PAGE)],
  '/deflate': ['deflate', zlib.deflateSync(PAGE)],
  '/raw-deflate': ['deflate', zlib.deflateRawSync(PAGE)],
  '/br': ['br', zlib.brotliCompressSync(PAGE)],
  '/broken': ['gzip', Buffer.from('this is not gzip at all')],
  '/broken-tail': ['gzip', corruptTail(zlib.gzipSync(LONG))],
};

function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
  const [coding, body] = BODIES[req.url!];
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Encoding': coding, 'Content-Length': body.length });
  // In pieces: a first write too short to tell the deflate format from.
  res.write(body.subarray(0, 1));
  res.end(body.subarray(1));
}

describe('encoded pages with live reload on', function () {
  this.timeout(60_000);
  const setup = liveProxyInChromium('/p', serve);

  for (const path of ['/gzip', '/deflate', '/raw-deflate', '/br']) {
    it(`a ${path.slice(1)} page shows, gets the script, and connects`, async () => {
      const page = await setup.browser.newPage();
      await page.goto(`${setup.running.origin}/p${path}`);
      assert.equal(await page.textContent('h1'), 'encoded');
      assert.equal(await page.locator('script[src="/__mounts/live.js"]').count(), 1);
      await waitForLivePages(setup.running, '/p', 1);
      await page.close();
      await waitForLivePages(setup.running, '/p', 0);
    });
  }

  it('a page that does not decode goes out as the app wrote it, and the log says so', async () => {
    const without = await setup.browser.newPage();
    const withMounts = await setup.browser.newPage();
    // What the browser makes of the navigation's answer: its error, as its network stack reports it.
    const failure = async (page: typeof without, url: string) => {
      const failed = new Promise<string>((resolve) => page.on('requestfailed', (request) => resolve(request.failure()?.errorText ?? '')));
      const finished = new Promise<string>((resolve) => page.on('requestfinished', () => resolve('loaded')));
      void page.goto(url, { waitUntil: 'commit' }).catch(() => {});
      return Promise.race([failed, finished]);
    };
    const expected = await failure(without, `${setup.running.origin}/off/broken`);
    assert.equal(expected, 'net::ERR_CONTENT_DECODING_FAILED');
    assert.equal(await failure(withMounts, `${setup.running.origin}/p/broken`), expected);
    const raw = await rawHttp(setup.running.port, 'GET /p/broken HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nSec-Fetch-Dest: document\r\n\r\n');
    assert.ok(raw.endsWith('\r\n\r\nthis is not gzip at all'), raw);
    assert.match(raw, /\r\nContent-Encoding: gzip\r\n/i);
    const line = setup.running.logs.find((entry) => entry.includes('/p/broken') && entry.startsWith('warn'));
    assert.match(line ?? setup.running.logs.join('\n'), /live reload: GET \/p\/broken: the gzip page does not decode \(.+\): sent as the app wrote it, without the live reload script/);
  });

  it('a page that stops decoding after its head is cut short, and the log says so', async () => {
    const raw = await rawHttp(setup.running.port, 'GET /p/broken-tail HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nSec-Fetch-Dest: document\r\n\r\n');
    assert.match(raw, /^HTTP\/1\.1 200 /);
    assert.ok(!raw.endsWith('0\r\n\r\n'), 'the chunked body never ends');
    const line = setup.running.logs.find((entry) => entry.includes('/p/broken-tail') && entry.startsWith('warn'));
    assert.match(line ?? setup.running.logs.join('\n'), /the gzip page stopped decoding \(.+\) after its head was sent: the answer is cut short/);
  });
});
