/**
 * `mounts serve | head -1` and log collectors that die: the CLI's stdout (and stderr) pipe closes
 * under it. The server must keep answering, sleep while idle, stop on SIGTERM with exit 0, and never
 * report the broken pipe as an app's uncaught exception.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { CLI, servingPort, waitFor } from './cliProcess';
import { get, isListening, makeWorkspace } from './helpers';

describe('the CLI with its output pipe closed', function () {
  this.timeout(30_000);
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  /** Starts `mounts serve` with stdout on a pipe (stderr too with `merged`, as `2>&1 | head -1`); resolves with its port. */
  async function serve(merged: boolean): Promise<{ port: number; stderr: () => string; exited: Promise<number | null> }> {
    const dir = makeWorkspace({ 'mounts.json': JSON.stringify({ port: 0, mounts: [{ prefix: '/', static: 'site' }] }), 'site/index.html': 'home' });
    const args = [CLI, 'serve', dir];
    // exec: the shell becomes the CLI, so the pid signalled and watched is the server's own.
    child = merged
      ? spawn('sh', ['-c', 'exec "$@" 2>&1', 'sh', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    await waitFor('the URL', () => servingPort(stdout) > 0);
    // The reading end goes, as when `head -1` exits: the server's next write meets a broken pipe.
    const closed = new Promise((resolve) => child!.stdout!.once('close', resolve));
    child.stdout!.destroy();
    await closed;
    return { port: servingPort(stdout), stderr: () => stderr, exited };
  }

  /** The state letter of a process (R running, S sleeping, ...) from /proc/<pid>/stat. */
  function stateOf(pid: number): string {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  }

  async function answersThenSleepsThenStops(port: number, exited: Promise<number | null>): Promise<void> {
    // Each request writes an access log line into the closed pipe.
    for (let i = 0; i < 3; i++) assert.equal((await get(`http://127.0.0.1:${port}/`)).body, 'home');
    // A process that spins on the broken pipe is always running (R); an idle server waits in epoll (S).
    await waitFor('the idle server to sleep instead of spinning', () => stateOf(child!.pid!) === 'S');
    child!.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(await isListening(port), false);
  }

  it('keeps serving, sleeps when idle and stops on SIGTERM once stdout and stderr are closed (2>&1 | head -1)', async () => {
    const { port, exited } = await serve(true);
    await answersThenSleepsThenStops(port, exited);
  });

  it('drops log lines for a closed stdout quietly, not as an uncaught exception in an app', async () => {
    const { port, stderr, exited } = await serve(false);
    await answersThenSleepsThenStops(port, exited);
    assert.doesNotMatch(stderr(), /uncaught|EPIPE/);
  });
});
