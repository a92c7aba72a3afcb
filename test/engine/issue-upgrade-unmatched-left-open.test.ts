/**
 * Regression (of the tests): "an unmatched upgrade is answered 404 and closed, never left hanging"
 * was checked with `rawHttp`, which resolves on its own timer whether or not the server closed the
 * connection, so a server leaving the socket open passed. These checks use `rawUpgrade`, which
 * fails when the connection stays open.
 */
import assert from 'node:assert/strict';
import { rawUpgrade, startEngine, statusOf, type RunningEngine } from './helpers';

describe('issue: upgrades nobody takes must be closed, not only answered', () => {
  let running: RunningEngine;
  before(async () => {
    running = await startEngine(
      {
        mounts: [
          { prefix: '/m', module: 'm.js' },
          { prefix: '/s', static: 'pub' },
          { prefix: '/bad', command: 'exit 3' },
        ],
      },
      { 'm.js': `module.exports = (req, res) => res.end('m');`, 'pub/a.txt': 'a' },
    );
  });
  after(() => running.stop());

  for (const path of ['/nothing', '/m', '/s/a.txt']) {
    it(`${path}: 404, then the server closes the connection`, async () => {
      assert.equal(statusOf(await rawUpgrade(running.port, path, {}, 2000)), 404);
    });
  }

  it('a command mount in error: 503, then the server closes the connection', async () => {
    assert.equal(statusOf(await rawUpgrade(running.port, '/bad/', {}, 2000)), 503);
  });
});
