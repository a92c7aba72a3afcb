/**
 * An app that sends two Content-Security-Policy headers (`res.setHeader(name, [a, b])`) keeps both on
 * a page that gets the live reload script. The second used to replace the first, so the page ran
 * under fewer rules with Mounts than without.
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import { startEngine, type RunningEngine } from './helpers';

const PAGE = '<!DOCTYPE html>\n<html>\n<head>\n<title>t</title>\n</head>\n<body>hello</body>\n</html>\n';
const FIRST = "default-src 'self'; img-src https://images.example";
const SECOND = "script-src 'self' https://cdn.example; connect-src https://api.example";

function csp(port: number, headers: Record<string, string>): Promise<string[]> {
  return new Promise((resolve, reject) => {
    http
      .get({ port, host: '127.0.0.1', path: '/app/', headers, agent: false }, (res) => {
        res.resume();
        const values: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) if (res.rawHeaders[i].toLowerCase() === 'content-security-policy') values.push(res.rawHeaders[i + 1]);
        res.on('end', () => resolve(values));
      })
      .on('error', reject);
  });
}

describe('two Content-Security-Policy headers on an injected page', () => {
  let running: RunningEngine;
  before(async () => {
    const app = `module.exports = (req, res) => {
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Security-Policy', ${JSON.stringify([FIRST, SECOND])});
  res.end(${JSON.stringify(PAGE)});
};
`;
    running = await startEngine({ mounts: [{ prefix: '/app', module: 'app.js' }] }, { 'app.js': app }, { liveReload: true });
  });
  after(async () => {
    await running?.stop();
  });

  it('a fetch() gets both as the app sent them', async () => {
    assert.deepEqual(await csp(running.port, { 'Sec-Fetch-Dest': 'empty' }), [FIRST, SECOND]);
  });

  it('a navigation gets both, in order, each patched only where it needs to be', async () => {
    const values = await csp(running.port, { 'Sec-Fetch-Dest': 'document', Accept: 'text/html' });
    assert.equal(values.length, 2, values.join(' | '));
    // The first allows the script from 'self' and its socket already.
    assert.equal(values[0], FIRST);
    // The second blocks the socket: its connect-src keeps its source and gains one for the socket.
    const connect = /connect-src ([^;]*)/.exec(values[1])?.[1].split(' ') ?? [];
    assert.equal(connect[0], 'https://api.example');
    assert.ok(connect.length > 1, values[1]);
    assert.match(values[1], /^script-src 'self' https:\/\/cdn\.example;/);
  });
});
