/**
 * Regression: mounts.json accepts host names with '_' (container and compose service names, and
 * the schema says so), but the Host check refused them, so `allowedHosts: ["my_app.test"]` and a
 * mount bound to that host answered 403 to every request.
 */
import assert from 'node:assert/strict';
import { rawHttp, startEngine, statusOf, type RunningEngine } from './helpers';

describe('issue: host names with an underscore were refused over HTTP', () => {
  let server: RunningEngine;
  before(async () => {
    server = await startEngine(
      {
        allowedHosts: ['my_app.test'],
        mounts: [
          { prefix: '/', module: 'any.js' },
          { prefix: '/', host: 'api_v2.test', module: 'bound.js' },
        ],
      },
      {
        'any.js': `module.exports = (req, res) => res.end('any');`,
        'bound.js': `module.exports = (req, res) => res.end('bound');`,
      },
    );
  });
  after(() => server.stop());

  const answer = (host: string) => rawHttp(server.port, `GET /x HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);

  it('serves an allowed host with an underscore, with or without the port', async () => {
    for (const host of ['my_app.test', `my_app.test:${server.port}`, 'MY_APP.test']) {
      const raw = await answer(host);
      assert.equal(statusOf(raw), 200, `${host}: ${raw}`);
      assert.match(raw, /\r\n\r\nany$/);
    }
  });

  it('routes to the mount bound to a host with an underscore', async () => {
    const raw = await answer(`api_v2.test:${server.port}`);
    assert.equal(statusOf(raw), 200, raw);
    assert.match(raw, /\r\n\r\nbound$/);
  });

  it('still refuses an unlisted host with an underscore', async () => {
    assert.equal(statusOf(await answer('other_app.test')), 403);
  });
});
