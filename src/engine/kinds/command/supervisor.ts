/**
 * The command supervisor: one small Node process per run of a command mount. The engine forks it
 * detached (its own session, so a Ctrl-C in the CLI's terminal reaches the engine, which then stops
 * commands in order) with an IPC channel, and sends it one `start` message.
 *
 *   engine ──IPC── supervisor ──spawn(shell, detached)── sh -c "command" ── python app.py ...
 *                                                       └── one process group ──────────────┘
 *
 * - The command runs through the platform shell in its own process group. `/bin/sh` (dash) does not
 *   exec the last command of `sh -c`, so killing the shell alone would leave the app running: every
 *   signal goes to the whole group.
 * - Output is read here and relayed over the IPC channel, in order with the `exited` message. While
 *   the channel is backed up, the command's pipes are not read: a command printing faster than the
 *   engine takes it waits on its writes, as on a slow terminal, instead of filling our memory.
 * - When the IPC channel closes, the engine is gone (the kernel closes the channel even when the
 *   engine is SIGKILLed): the group gets SIGTERM, then SIGKILL after a grace period.
 * - When the command exits on its own, what is left of its group (background jobs) is stopped too,
 *   so a restart never finds the old app on its port.
 * - What the command starts in sessions of its own (setsid) leaves the group: on Linux it is found
 *   by a cgroup of the command's own or by parent pids (`command/tree.ts`), and signalled with it.
 * - The supervisor exits only once no process of the group or the tree is alive (`command/group.ts`,
 *   `command/tree.ts`); its exit is the engine's proof.
 *
 * This file is an entry point of its own (esbuild bundles it as dist/supervisor.js; tsc emits it to
 * out/): it imports only `node:*`, `command/group.ts` and types.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as delay } from 'node:timers/promises';
import { groupAlive, signalGroup } from './group';
import type { HostMessage, SupervisorMessage } from './protocol';
import { spawnTracked, type ProcessTree } from './tree';

/** Grace period when the engine vanished: children must not outlive it by more than a moment. */
const ORPHAN_GRACE_MS = 1000;
/** Grace period for what is left of the group after the command exited on its own. */
const LEFTOVER_GRACE_MS = 1000;
/** How long the command's pipes may stay open after it exited (a background job may hold them). */
const OUTPUT_DRAIN_MS = 100;
const WINDOWS = process.platform === 'win32';

let child: ChildProcess | undefined;
/** What the command started outside its group too (setsid), where it can be found (`command/tree.ts`). */
let tree: ProcessTree | undefined;
let terminating: Promise<void> | undefined;
let unsent = 0;
let onAllSent: (() => void) | undefined;
/** Output streams paused until every message sent so far has been written to the channel. */
const pausedUntilSent = new Set<Readable>();

/** False when the channel is backed up: send no more output until it has drained. */
function send(message: SupervisorMessage): boolean {
  if (!process.connected) return true;
  unsent++;
  // The engine may vanish at any time: a failed send is not an error here.
  const more = process.send?.(message, undefined, {}, () => {
    if (--unsent > 0) return;
    resumeOutput();
    onAllSent?.();
  });
  return more !== false;
}

function resumeOutput(): void {
  for (const stream of pausedUntilSent) stream.resume();
  pausedUntilSent.clear();
}

/** Resolves when every message has been written to the channel (or after `ms`). */
function allSent(ms: number): Promise<void> {
  if (unsent === 0 || !process.connected) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    onAllSent = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}


/** After SIGKILL, how long to wait for the kernel before giving up (processes in uninterruptible sleep). */
const AFTER_KILL_MS = 5000;

/** Signals the command's group and every process of its tree. */
function signalAll(pgid: number, signal: NodeJS.Signals): void {
  // The tree first: it looks for descendants before signalling, and once the group's processes
  // die, their children are adopted by init and no longer found below the command.
  tree?.signal(signal);
  signalGroup(pgid, signal);
}

/** Resolves true once nothing of the group or the tree is alive, false if something is after `timeoutMs`. */
async function allGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (groupAlive(pgid) || tree?.alive()) {
    if (Date.now() >= until) return false;
    await delay(20);
  }
  return true;
}

/** Stops the command's whole group and tree: SIGTERM, SIGKILL after `graceMs`; resolves when it is gone. */
function terminate(graceMs: number): Promise<void> {
  terminating ??= (async () => {
    const pid = child?.pid;
    if (pid === undefined) return;
    if (WINDOWS) {
      // No process groups: taskkill ends the tree. /F at once, since console apps ignore the polite form.
      await new Promise<void>((resolve) => {
        const killer = spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true });
        killer.once('exit', () => resolve());
        killer.once('error', () => resolve());
      });
      return;
    }
    signalAll(pid, 'SIGTERM');
    if (!(await allGone(pid, graceMs))) {
      signalAll(pid, 'SIGKILL');
      await allGone(pid, AFTER_KILL_MS);
    }
    tree?.dispose();
  })();
  return terminating;
}

/** Resolves once the command's exit has been reported (or when there is nothing to report). */
let markReported: () => void = () => undefined;
const exitReported = new Promise<void>((resolve) => (markReported = resolve));

/**
 * Ends the supervisor once the group is gone, its exit reported, and the last message handed to
 * the channel. The group can be seen gone (in /proc) before Node delivers the child's 'exit'
 * event: without waiting for the report, the engine would learn of the exit only as ours.
 */
function finish(graceMs: number): void {
  void terminate(graceMs)
    .then(() => Promise.race([exitReported, delay(OUTPUT_DRAIN_MS + 1000)]))
    .then(() => allSent(1000))
    .then(() => process.exit(0));
}

function start(message: Extract<HostMessage, { type: 'start' }>): void {
  if (child) return;
  try {
    ({ child, tree } = spawnTracked(() =>
      spawn(message.command, {
        shell: true,
        cwd: message.cwd,
        env: message.env,
        detached: !WINDOWS, // Its own process group (setsid), so the group can be signalled as one.
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      }),
    ));
  } catch (error) {
    send({ type: 'spawn-error', message: (error as Error).message });
    markReported();
    finish(0);
    return;
  }
  const spawned = child;
  let exit: { code: number | null; signal: string | null } | undefined;
  let openStreams = 2;
  let reported = false;
  const report = () => {
    if (reported || exit === undefined) return;
    reported = true;
    send({ type: 'exited', ...exit });
    markReported();
    finish(LEFTOVER_GRACE_MS);
  };
  for (const stream of ['stdout', 'stderr'] as const) {
    relayOutput(spawned[stream]!, stream, () => exit !== undefined, () => {
      if (--openStreams === 0) report();
    });
  }
  spawned.once('spawn', () => send({ type: 'spawned', pid: spawned.pid!, ...(tree?.cgroup ? { cgroup: tree.cgroup } : {}) }));
  spawned.once('error', (error) => {
    // The shell itself could not start (e.g. the cwd does not exist).
    if (exit !== undefined) return;
    send({ type: 'spawn-error', message: error.message });
    exit = { code: null, signal: null };
    reported = true;
    markReported();
    finish(0);
  });
  spawned.once('exit', (code, signal) => {
    exit = { code, signal };
    resumeOutput();
    // Normally the pipes close right after; a background job holding them must not delay the news.
    setTimeout(report, OUTPUT_DRAIN_MS).unref();
  });
}

/** Sends what the command writes to `stream`, pausing the pipe while the channel is backed up. */
function relayOutput(readable: Readable, stream: 'stdout' | 'stderr', exited: () => boolean, onClose: () => void): void {
  const decoder = new StringDecoder('utf8');
  readable.on('data', (chunk: Buffer) => {
    const text = decoder.write(chunk);
    // Once the command has exited, what is left in the pipes is bounded and is its last words
    // (often the crash message): read it all before `exited` is reported, backed up or not.
    if (text !== '' && !send({ type: 'output', stream, text }) && !exited()) {
      readable.pause();
      pausedUntilSent.add(readable);
    }
  });
  readable.once('close', () => {
    const rest = decoder.end();
    if (rest !== '') send({ type: 'output', stream, text: rest });
    onClose();
  });
  readable.on('error', () => undefined);
}

process.on('message', (message: HostMessage) => {
  if (message.type === 'start') start(message);
  else if (message.type === 'stop') {
    if (!child) process.exit(0);
    finish(message.graceMs);
  }
});

// The engine is gone (it exited, crashed or was SIGKILLed): take the command with us.
process.on('disconnect', () => {
  // Nothing will drain now: let the pipes flow (to nowhere) so no write of the command blocks its exit.
  resumeOutput();
  if (!child) process.exit(0);
  finish(ORPHAN_GRACE_MS);
});
process.on('SIGTERM', () => finish(ORPHAN_GRACE_MS));
process.on('SIGINT', () => finish(ORPHAN_GRACE_MS));
process.on('SIGHUP', () => finish(ORPHAN_GRACE_MS));
