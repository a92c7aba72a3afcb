/**
 * Regression: a supervisor that died abruptly (SIGKILL, the OOM killer) left its command's process
 * group running forever, since only the supervisor takes the group down; the engine merely recorded
 * the exit, and engine.stop() resolved while the group was alive. The engine must kill the group
 * itself and count the run as gone only once the group is.
 */
import assert from 'node:assert/strict';
import { alive, commandApp, groupMembers, SERVER, statusOf, waitFor } from './fixtures/command/helpers';
import { get, startEngine, taggedProcesses, taggedRuns } from './helpers';

describe('issue: a SIGKILLed supervisor orphaned its command', function () {
  this.timeout(30_000);
  const run = taggedRuns();

  /** A command with a grandchild, ready; its pids and its supervisor's. */
  async function startTagged() {
    run.running = await startEngine({ mounts: [{ prefix: '/g', command: `GRANDCHILD=1 ${SERVER}`, env: { MOUNTS_TEST_TAG: run.tag } }] });
    const pids: number[] = JSON.parse((await get(`${run.running.origin}/g/pids`)).body);
    const shell = statusOf(run.running, '/g').pid!;
    const supervisor = commandApp(run.running, '/g').process!.supervisorPid!;
    assert.deepEqual(taggedProcesses(run.tag).sort(), [shell, ...pids].sort());
    return { shell, pids, supervisor };
  }

  it('engine.stop() right after the SIGKILL resolves only once every process of the command is gone', async () => {
    const { supervisor } = await startTagged();
    process.kill(supervisor, 'SIGKILL');
    await run.running!.stop();
    run.running = undefined;
    assert.ok(!alive(supervisor));
    assert.deepEqual(taggedProcesses(run.tag), []);
  });

  it('the orphaned group is killed at once, and the restart starts after it is gone', async () => {
    const { shell, supervisor } = await startTagged();
    const reasons: string[] = [];
    commandApp(run.running!, '/g').onDidChangeStatus((status) => reasons.push(status.reason ?? ''));
    process.kill(supervisor, 'SIGKILL');
    await waitFor('the orphaned group to be gone', () => groupMembers(shell).length === 0, 2000);
    // The supervisor's death is a failure of the run: restarted like a crash.
    await waitFor(`the back-off (${reasons})`, () => reasons.includes('exited (the supervisor exited unexpectedly); restarting in 0.25 s'), 2000);
    const restarted = await waitFor('ready again', () => statusOf(run.running!, '/g').state === 'ready' && statusOf(run.running!, '/g'), 5000);
    assert.notEqual(restarted.pid, shell);
    assert.equal((await get(`${run.running!.origin}/g/`)).status, 200);
    await run.running!.stop();
    run.running = undefined;
    assert.deepEqual(taggedProcesses(run.tag), []);
  });
});
