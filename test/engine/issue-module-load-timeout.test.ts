/**
 * Regression: a module whose top-level await never settles blocked engine.start() forever, and
 * stop() queued behind it too.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { Engine } from '../../src/engine/index';
import { makeWorkspace, recordingLogger } from './helpers';

describe('issue: a module load that never settles fails after the load timeout', () => {
  it('start() rejects naming the mount and the file, and stop() then resolves', async () => {
    const dir = makeWorkspace({
      'mounts.json': JSON.stringify({ port: 0, mounts: [{ prefix: '/stuck', module: 'stuck.mjs' }] }),
      'stuck.mjs': `await new Promise(() => {});\nexport default (req, res) => res.end('never');\n`,
    });
    const logs: string[] = [];
    const engine = new Engine({ configFile: path.join(dir, 'mounts.json'), logger: recordingLogger(logs), stopGracePeriod: 500, moduleTimeouts: { loadMs: 300 } });
    await assert.rejects(engine.start(), (error: Error) => {
      assert.match(error.message, /mounts\.json:1:\d+: mounts\[0\]\.module "\/stuck": module .*stuck\.mjs did not finish loading within 0\.3 s: a top-level await that never settles\?/);
      return true;
    });
    await engine.stop();
    assert.equal(engine.state, 'stopped');
  });
});
