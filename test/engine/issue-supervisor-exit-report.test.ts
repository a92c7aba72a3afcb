/**
 * Regression: on a normal stop the supervisor could exit before reporting the command's exit (it
 * saw the group gone in /proc before Node delivered the child's 'exit' event), so the engine was
 * told "the supervisor exited unexpectedly" instead of how the command ended.
 */
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { SupervisedProcess } from '../../src/engine/kinds/command/process';

describe('regression: the supervisor reports the exit of a stopped command', () => {
  for (let attempt = 1; attempt <= 5; attempt++) {
    it(`a command stopped with SIGTERM is reported as ended by SIGTERM (run ${attempt})`, async () => {
      let spawned!: () => void;
      const started = new Promise<void>((resolve) => (spawned = resolve));
      const supervised = new SupervisedProcess({
        command: 'exec sleep 30',
        cwd: os.tmpdir(),
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        onOutput: () => undefined,
        onSpawned: () => spawned(),
      });
      await started;
      await supervised.stop(5000);
      assert.deepEqual(await supervised.exited, { code: null, signal: 'SIGTERM' });
    });
  }
});
