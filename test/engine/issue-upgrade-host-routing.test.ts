/**
 * Regression (of the tests): upgrades were routed by Host, but nothing tested it: neither that an
 * upgrade with a foreign Host is refused (DNS rebinding reaches WebSockets too) nor that one for a
 * host-bound mount reaches that mount and not the catch-all.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import WebSocket from 'ws';
import { FIXTURES, NODE } from './fixtures/command/helpers';
import { rawUpgrade, startEngine, statusOf, type RunningEngine } from './helpers';

const ECHO = `${NODE} ${JSON.stringify(path.join(FIXTURES, 'echo-ws.js'))}`;

describe('issue: upgrade routing by Host was untested', function () {
  this.timeout(20_000);
  let running: RunningEngine;
  before(async () => {
    running = await startEngine({
      mounts: [
        { prefix: '/', host: 'api.localhost', command: ECHO },
        { prefix: '/', module: 'catch-all.js' },
      ],
    }, { 'catch-all.js': `module.exports = (req, res) => res.end('catch-all');` });
  });
  after(() => running.stop());

  it('an upgrade with a foreign Host gets 403 and is closed', async () => {
    const reply = await rawUpgrade(running.port, '/', { Host: 'evil.example' });
    assert.equal(statusOf(reply), 403, reply);
  });

  it('an upgrade with a foreign Host gets 403 even on a path a host-bound mount serves', async () => {
    const reply = await rawUpgrade(running.port, '/chat', { Host: `evil.example:${running.port}` });
    assert.equal(statusOf(reply), 403, reply);
  });

  it('an upgrade with Host api.localhost reaches the mount bound to that host', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${running.port}/chat`, { headers: { Host: `api.localhost:${running.port}` } });
    try {
      // The echo server greets with the path it was asked for: the upgrade reached the command.
      const hello = await new Promise<string>((resolve, reject) => {
        socket.once('message', (data) => resolve(String(data)));
        socket.once('error', reject);
      });
      assert.deepEqual(JSON.parse(hello), { hello: '/chat', prefix: '/' });
    } finally {
      socket.terminate();
    }
  });

  it('the same upgrade with Host localhost goes to the catch-all (which takes no upgrades: 404)', async () => {
    assert.equal(statusOf(await rawUpgrade(running.port, '/chat', { Host: `localhost:${running.port}` })), 404);
  });
});
