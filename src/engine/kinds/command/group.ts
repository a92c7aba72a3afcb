/**
 * A command's process group (POSIX): whether any of it is alive, signalling it, waiting until it is
 * gone. The supervisor uses this to stop its command; the engine uses it when a supervisor died
 * without taking its group along. Node built-ins only: it is bundled into the supervisor.
 */
import * as fs from 'node:fs';

/** After SIGKILL, how long to wait for the kernel before giving up (processes in uninterruptible sleep). */
const AFTER_KILL_MS = 5000;
const POLL_MS = 20;

/**
 * True while any process of group `pgid` is alive. Signal 0 to a group also counts zombies (which
 * init may reap late), so on Linux aliveness is read from /proc/<pid>/stat.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    // ESRCH: nothing left, not even a zombie. EPERM: something we cannot signal is in the group.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return true; // No /proc (macOS): signal 0 is all there is.
  }
  for (const name of names) {
    const first = name.charCodeAt(0);
    if (first < 48 || first > 57) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // Exited meanwhile.
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so parse after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

/** Resolves true once no process of group `pgid` is alive, false if some still are after `timeoutMs`. */
export async function groupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return true;
}

/** SIGKILL to group `pgid`; resolves when it is gone, or when the kernel did not end it in time. */
export async function killGroup(pgid: number): Promise<void> {
  signalGroup(pgid, 'SIGKILL');
  await groupGone(pgid, AFTER_KILL_MS);
}
