/**
 * Regression: a process that a command or Python mount started in a session of its own (setsid)
 * outlived Stop, the mount's removal and the engine's stop: only the command's process group was
 * signalled, and setsid leaves the group. Everything the mount started must be gone.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { signalGroup } from '../../src/engine/kinds/command/group';
import { descendantTree, statOf } from '../../src/engine/kinds/command/tree';
import { alive, commandApp, SERVER, statusOf, waitFor } from './fixtures/command/helpers';
import { PYTHON } from './fixtures/python/helpers';
import { get, startEngine, taggedProcesses, taggedRuns } from './helpers';

/** The tagged `sleep` in a session other than `of`'s: the process that setsid took out of the group. */
async function escapedSleep(tag: string, of: number): Promise<number> {
  return waitFor(
    'the setsid child',
    () => taggedProcesses(tag).find((pid) => statOf(pid)?.name === 'sleep' && statOf(pid)?.session !== statOf(of)?.session),
    10_000,
  );
}

/** The folder of the cgroup the command runs in, when Mounts could make it one (this machine allows it). */
function ownCgroup(pid: number): string | undefined {
  const relative = /^0::(\/.*mounts-command-.*)$/m.exec(fs.readFileSync(`/proc/${pid}/cgroup`, 'latin1'))?.[1];
  const mount = fs
    .readFileSync('/proc/self/mountinfo', 'latin1')
    .split('\n')
    .map((line) => line.split(' '))
    .find((fields) => fields[fields.indexOf('-') + 1] === 'cgroup2' && fields[3] === '/');
  return relative && mount ? `${mount[4]}${relative}` : undefined;
}

describe('issue: a process started in its own session (setsid) outlived its mount', function () {
  this.timeout(60_000);
  const run = taggedRuns();

  async function startCommand(command: string): Promise<{ shell: number; sleeper: number }> {
    run.running = await startEngine({ mounts: [{ prefix: '/c', command, env: { MOUNTS_TEST_TAG: run.tag } }] });
    assert.equal((await get(`${run.running.origin}/c/pids`)).status, 200);
    const shell = statusOf(run.running, '/c').pid!;
    return { shell, sleeper: await escapedSleep(run.tag, shell) };
  }

  it('engine stop ends a setsid child of a command', async () => {
    await startCommand(`setsid sleep 1000 & exec ${SERVER}`);
    await run.running!.engine.stop();
    assert.deepEqual(taggedProcesses(run.tag), []);
  });

  it('removing the mount ends a setsid child of its command', async () => {
    await startCommand(`setsid sleep 1000 & exec ${SERVER}`);
    run.running!.writeConfig({ mounts: [] });
    const result = await run.running!.engine.reload();
    assert.equal(result.outcome, 'applied');
    assert.deepEqual(taggedProcesses(run.tag), []);
  });

  it('a restart (reload of the app) ends the setsid child of the run it replaces', async () => {
    const { sleeper } = await startCommand(`setsid sleep 1000 & exec ${SERVER}`);
    await run.running!.engine.reloadApp(run.running!.engine.mounts()[0].id);
    assert.ok(!alive(sleeper), 'the first run\'s setsid sleep is still running');
  });

  it('with a cgroup: a daemon whose parent exited (double fork, adopted by init) ends too', async function () {
    const { shell, sleeper } = await startCommand(`(setsid sleep 1000 &); exec ${SERVER}`);
    const cgroup = ownCgroup(shell);
    if (cgroup === undefined) this.skip(); // Only a cgroup finds it: see tree.ts.
    assert.notEqual(statOf(sleeper)!.ppid, shell, 'the sleep was adopted, not a child of the command');
    await run.running!.engine.stop();
    assert.deepEqual(taggedProcesses(run.tag), []);
    assert.equal(fs.existsSync(cgroup), false, `${cgroup} is left behind`);
  });

  it('with a cgroup: the engine ends the setsid child itself when the supervisor was SIGKILLed', async function () {
    const { shell } = await startCommand(`setsid sleep 1000 & exec ${SERVER}`);
    const cgroup = ownCgroup(shell);
    if (cgroup === undefined) this.skip();
    process.kill(commandApp(run.running!, '/c').process!.supervisorPid!, 'SIGKILL');
    await run.running!.engine.stop();
    assert.deepEqual(taggedProcesses(run.tag), []);
    assert.equal(fs.existsSync(cgroup), false, `${cgroup} is left behind`);
  });

  it('engine stop ends a process a Python app started with start_new_session', async () => {
    const app = [
      'import subprocess',
      "subprocess.Popen(['sleep', '1000'], start_new_session=True)",
      'def app(environ, start_response):',
      "    start_response('200 OK', [('Content-Type', 'text/plain')])",
      "    return [b'up']",
    ].join('\n');
    run.running = await startEngine({ mounts: [{ prefix: '/py', wsgi: 'app:app', python: PYTHON, env: { MOUNTS_TEST_TAG: run.tag } }] }, { 'app.py': app });
    assert.equal((await get(`${run.running.origin}/py/`)).body, 'up');
    await escapedSleep(run.tag, statusOf(run.running, '/py').pid!);
    await run.running.engine.stop();
    assert.deepEqual(taggedProcesses(run.tag), []);
  });

  it('without a cgroup, the descendants found by parent pid include a setsid child', async () => {
    const child = spawn('sh', ['-c', 'setsid sleep 1000 & exec sleep 1001'], { detached: true, stdio: 'ignore', env: { ...process.env, MOUNTS_TEST_TAG: run.tag } });
    await escapedSleep(run.tag, child.pid!);
    const tree = descendantTree(child.pid!);
    try {
      signalGroup(child.pid!, 'SIGTERM');
      tree.signal('SIGTERM');
      await waitFor('the tree to be gone', () => !tree.alive() && taggedProcesses(run.tag).length === 0, 10_000);
    } finally {
      tree.dispose();
    }
  });
});
