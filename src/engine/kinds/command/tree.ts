/**
 * Everything a command started, sessions included (Linux). The process group (`group.ts`) misses a
 * process that calls setsid(): `setsid sleep 1000 &`, a Python `Popen(..., start_new_session=True)`,
 * any daemon. Two ways to find those, best first:
 *
 * - A cgroup v2 of its own: the supervisor steps into a new child of its cgroup just for the fork,
 *   so the command and all it ever starts are born there, whatever sessions they make, and stay
 *   there when reparented. Needs a writable cgroup v2 (root, or a delegated subtree such as systemd's
 *   user@.service); a container with /sys/fs/cgroup read-only has none.
 * - Otherwise the descendants by parent pid, from /proc: taken now and every few seconds, and again
 *   before each signal, each remembered with its start time so a reused pid is never signalled. It
 *   catches what is still below the command when looked at, and what was seen there earlier; it
 *   misses a daemon whose parents all exit between two looks (a double fork), which init adopts.
 *
 * Node built-ins only: it is bundled into the supervisor, and the engine uses it when a supervisor
 * died without cleaning up.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** How often the descendants are looked at between signals (a /proc scan: a few ms). */
const LOOK_EVERY_MS = 2000;

export interface ProcessTree {
  readonly kind: 'cgroup' | 'descendants';
  /** The cgroup folder, for the engine should the supervisor die. */
  readonly cgroup?: string;
  signal(signal: NodeJS.Signals): void;
  /** True while any process of the tree lives (zombies do not count). */
  alive(): boolean;
  /** Stops looking and removes the cgroup folder (once empty). */
  dispose(): void;
}

/**
 * Runs `start` (a spawn) so that the tree of the child it starts can be found later. Without /proc
 * (macOS, Windows) there is no tree: the process group is all there is.
 */
export function spawnTracked(start: () => ChildProcess): { child: ChildProcess; tree: ProcessTree | undefined } {
  if (process.platform !== 'linux') return { child: start(), tree: undefined };
  const cgroup = enterNewCgroup();
  let child: ChildProcess | undefined;
  let left = false;
  try {
    child = start();
  } finally {
    if (cgroup) left = leaveCgroup(cgroup.home);
    // Nothing started (a throw, or a spawn error to come): nothing to track.
    if (cgroup && child?.pid === undefined) removeCgroup(cgroup.dir);
  }
  if (child.pid === undefined) return { child, tree: undefined };
  // Stuck in the command's cgroup, the supervisor would keep it populated: walk the tree instead.
  return { child, tree: cgroup && left ? new CgroupTree(cgroup.dir) : new DescendantTree(child.pid) };
}

/** SIGKILL to every process of cgroup `dir` until none is left (or `timeoutMs`), then removes it. */
export async function killCgroup(dir: string, timeoutMs: number): Promise<void> {
  const tree = new CgroupTree(dir);
  const until = Date.now() + timeoutMs;
  while (tree.alive() && Date.now() < until) {
    tree.signal('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  tree.dispose();
}

class CgroupTree implements ProcessTree {
  readonly kind = 'cgroup';

  constructor(readonly cgroup: string) {}

  signal(signal: NodeJS.Signals): void {
    for (const pid of this.members()) kill(pid, signal);
  }

  /**
   * From cgroup.events, not cgroup.procs: a process whose threads are all exiting has left
   * cgroup.procs but still populates the cgroup (seen: a removal then failed with EBUSY).
   */
  alive(): boolean {
    try {
      return /^populated 1$/m.test(fs.readFileSync(path.join(this.cgroup, 'cgroup.events'), 'latin1'));
    } catch {
      return false;
    }
  }

  dispose(): void {
    removeCgroup(this.cgroup);
  }

  /** cgroup.procs lists no zombies: a process leaves its cgroup as it exits. */
  private members(): number[] {
    let text: string;
    try {
      text = fs.readFileSync(path.join(this.cgroup, 'cgroup.procs'), 'latin1');
    } catch {
      return [];
    }
    return text.split('\n').filter((line) => line !== '').map(Number);
  }
}

class DescendantTree implements ProcessTree {
  readonly kind = 'descendants';
  /** Every process seen below the root, with its start time (field 22 of /proc/<pid>/stat). */
  private readonly seen = new Map<number, string>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly root: number) {
    this.look();
    this.timer = setInterval(() => this.look(), LOOK_EVERY_MS).unref();
  }

  signal(signal: NodeJS.Signals): void {
    // Before signalling: once a parent dies its children are adopted by init and no longer below it.
    this.look();
    for (const [pid, started] of this.seen) if (statOf(pid)?.started === started) kill(pid, signal);
  }

  alive(): boolean {
    for (const [pid, started] of this.seen) {
      const stat = statOf(pid);
      if (stat && stat.started === started && stat.state !== 'Z' && stat.state !== 'X') return true;
    }
    return false;
  }

  dispose(): void {
    clearInterval(this.timer);
  }

  private look(): void {
    const children = new Map<number, Array<{ pid: number; started: string }>>();
    for (const name of readdirOrEmpty('/proc')) {
      const first = name.charCodeAt(0);
      if (first < 48 || first > 57) continue;
      const pid = Number(name);
      const stat = statOf(pid);
      if (!stat) continue;
      const siblings = children.get(stat.ppid) ?? [];
      siblings.push({ pid, started: stat.started });
      children.set(stat.ppid, siblings);
    }
    const queue = [this.root];
    while (queue.length) {
      for (const child of children.get(queue.pop()!) ?? []) {
        if (this.seen.get(child.pid) === child.started) continue;
        this.seen.set(child.pid, child.started);
        queue.push(child.pid);
      }
    }
  }
}

/** The fields of /proc/<pid>/stat that tell what a process is, where it belongs, and when it started. */
export interface Stat {
  /** The command name (comm). */
  readonly name: string;
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  readonly session: number;
  readonly started: string;
}

/** Reads /proc/<pid>/stat: undefined when there is no such process. */
export function statOf(pid: number): Stat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  return {
    name: text.slice(text.indexOf('(') + 1, close),
    state: fields[0],
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    session: Number(fields[3]),
    started: fields[19],
  };
}

function readdirOrEmpty(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Gone meanwhile.
  }
}

/** This process's cgroup v2 folder: its `0::` line in /proc/self/cgroup, under the cgroup2 mount. */
function ownCgroupFolder(): string | undefined {
  try {
    const relative = fs
      .readFileSync('/proc/self/cgroup', 'latin1')
      .split('\n')
      .find((line) => line.startsWith('0::'))
      ?.slice(3);
    if (relative === undefined) return undefined;
    for (const line of fs.readFileSync('/proc/self/mountinfo', 'latin1').split('\n')) {
      // "id parent major:minor root mountpoint options ... - fstype source superoptions"
      const fields = line.split(' ');
      if (fields[fields.indexOf('-') + 1] !== 'cgroup2') continue;
      const [root, mountPoint] = [fields[3], fields[4]];
      if (root !== '/' && !relative.startsWith(root)) continue;
      return path.join(mountPoint, root === '/' ? relative : relative.slice(root.length));
    }
  } catch {
    // No /proc: no cgroup either.
  }
  return undefined;
}

/** Makes a new child of this process's cgroup and moves this process into it; undefined when it cannot. */
function enterNewCgroup(): { dir: string; home: string } | undefined {
  const home = ownCgroupFolder();
  if (home === undefined) return undefined;
  const dir = path.join(home, `mounts-command-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    fs.mkdirSync(dir);
  } catch {
    return undefined; // Read-only, not ours, or no cgroup v2 here.
  }
  try {
    fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(process.pid));
  } catch {
    removeCgroup(dir); // A threaded cgroup, or no right to move processes: the descendants it is.
    return undefined;
  }
  return { dir, home };
}

function leaveCgroup(home: string): boolean {
  try {
    fs.writeFileSync(path.join(home, 'cgroup.procs'), String(process.pid));
    return true;
  } catch {
    return false;
  }
}

function removeCgroup(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // Still populated (a process in uninterruptible sleep), or gone already.
  }
}

/** The walk by parent pid on its own, whatever this machine allows (tests check it where cgroups work too). */
export function descendantTree(root: number): ProcessTree {
  return new DescendantTree(root);
}
