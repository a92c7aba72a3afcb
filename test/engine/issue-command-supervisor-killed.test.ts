/**
 * Regression: a supervisor that died abruptly (SIGKILL, the OOM killer) left its command's process
 * group running forever, since only the supervisor takes the group down; the engine merely recorded
 * the exit, and engine.stop() resolved while the group was alive. The engine must kill the group
 * itself and count the run as gone only once the group is.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { alive, commandApp, groupMembers, SERVER, statusOf, waitFor } from './fixtures/command/helpers';
import { get, startEngine, taggedProcesses, type RunningEngine } from './helpers';

describe('issue: a SIGKILLed supervisor orphaned its command', function () {
  this.timeout(30_000);
  let running: RunningEngine | undefined;
  let tag: string;

  beforeEach(() => (tag = randomUUID()));
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    // Whatever happened, leave nothing behind for the next test.
    for (const pid of taggedProcesses(tag)) process.kill(pid, 'SIGKILL');
  });

  /** A command with a grandchild, ready; its pids and its supervisor's. */
  async function startTagged() {
    running = await startEngine({ mounts: [{ prefix: '/g', command: `GRANDCHILD=1 ${SERVER}`, env: { MOUNTS_TEST_TAG: tag } }] });
    const pids: number[] = JSON.parse((await get(`${running.origin}/g/pids`)).body);
    const shell = statusOf(running, '/g').pid!;
    const supervisor = commandApp(running, '/g').process!.supervisorPid!;
    assert.deepEqual(taggedProcesses(tag).sort(), [shell, ...pids].sort());
    return { shell, pids, supervisor };
  }

  it('engine.stop() right after the SIGKILL resolves only once every process of the command is gone', async () => {
    const { supervisor } = await startTagged();
    process.kill(supervisor, 'SIGKILL');
    await running!.stop();
    running = undefined;
    assert.ok(!alive(supervisor));
    assert.deepEqual(taggedProcesses(tag), []);
  });

  it('the orphaned group is killed at once, and the restart starts after it is gone', async () => {
    const { shell, supervisor } = await startTagged();
    const reasons: string[] = [];
    commandApp(running!, '/g').onDidChangeStatus((status) => reasons.push(status.reason ?? ''));
    process.kill(supervisor, 'SIGKILL');
    await waitFor('the orphaned group to be gone', () => groupMembers(shell).length === 0, 2000);
    // The supervisor's death is a failure of the run: restarted like a crash.
    await waitFor(`the back-off (${reasons})`, () => reasons.includes('exited (the supervisor exited unexpectedly); restarting in 0.25 s'), 2000);
    const restarted = await waitFor('ready again', () => statusOf(running!, '/g').state === 'ready' && statusOf(running!, '/g'), 5000);
    assert.notEqual(restarted.pid, shell);
    assert.equal((await get(`${running!.origin}/g/`)).status, 200);
    await running!.stop();
    running = undefined;
    assert.deepEqual(taggedProcesses(tag), []);
  });
});
