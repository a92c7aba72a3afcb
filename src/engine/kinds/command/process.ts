/**
 * One run of a command, seen from the engine: forks a supervisor (`../supervisor.ts`) that runs the
 * command in its own process group, relays its output and exit, and takes the group down when asked
 * or when the engine itself dies. `gone` resolves when the supervisor has exited, which it does only
 * once no process of the group (or of its tree, `tree.ts`) is alive; should the supervisor die
 * abruptly (SIGKILL, the OOM killer), the engine kills the group and the command's cgroup itself and
 * `gone` waits until they are gone (without a cgroup, what left the group then survives).
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { killGroup, signalGroup } from './group';
import type { HostMessage, SupervisorMessage } from './protocol';
import { killCgroup } from './tree';

export interface ProcessExit {
  /** Exit code, or null when ended by a signal or never started. */
  readonly code: number | null;
  readonly signal: string | null;
  /** Set when the command could not be started at all. */
  readonly error?: string;
}

export interface ProcessOptions {
  readonly command: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly onOutput: (text: string, stream: 'stdout' | 'stderr') => void;
  /** Called once the command's process exists (`pid` is set). */
  readonly onSpawned?: (pid: number) => void;
}

/** Extra time the supervisor gets beyond the grace period before the engine kills it and the group itself. */
const SUPERVISOR_SLACK_MS = 3000;
/** After SIGKILL, how long to wait for the kernel to empty a cgroup before giving up. */
const AFTER_KILL_MS = 5000;

let supervisorFile: string | undefined;

/**
 * The supervisor script, next to this file either way: bundled, the engine is dist/cli.js or
 * dist/extension.js beside dist/supervisor.js; compiled by tsc, this file is
 * out/src/engine/kinds/command/process.js beside out/src/engine/kinds/command/supervisor.js.
 */
export function locateSupervisor(): string {
  if (supervisorFile) return supervisorFile;
  const candidates = [path.join(__dirname, 'supervisor.js')];
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (!found) throw new Error(`the command supervisor is missing (looked for ${candidates.join(' and ')}); rebuild Mounts`);
  supervisorFile = found;
  return found;
}

/**
 * Rejects unless `cwd` is a folder, with a message that says so: spawning there would fail with
 * Node's "spawn /bin/sh ENOENT", which blames the shell.
 */
export async function checkWorkingFolder(cwd: string): Promise<void> {
  let stats: fs.Stats;
  try {
    stats = await fs.promises.stat(cwd);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`cwd ${cwd} does not exist`);
    throw error;
  }
  if (!stats.isDirectory()) throw new Error(`cwd ${cwd} is not a folder`);
}

export class SupervisedProcess {
  /** The command's process id (its shell), which is also its process group id. */
  pid: number | undefined;
  /** Resolves when the command has exited (or failed to start); never rejects. */
  readonly exited: Promise<ProcessExit>;
  /** Resolves when the supervisor and every process of the command's group are gone; never rejects. */
  readonly gone: Promise<void>;
  private readonly supervisor: ChildProcess;
  private stopping: Promise<void> | undefined;
  private cgroup: string | undefined;
  private supervisorGone = false;

  constructor(options: ProcessOptions) {
    // In the desktop editor process.execPath is Electron: fork() with ELECTRON_RUN_AS_NODE runs it as
    // Node. execArgv is cleared so the host's --inspect flags do not follow (they would clash on ports).
    this.supervisor = fork(locateSupervisor(), [], {
      detached: process.platform !== 'win32',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      execArgv: [],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      serialization: 'json',
    });
    let resolveExit!: (exit: ProcessExit) => void;
    this.exited = new Promise((resolve) => (resolveExit = resolve));
    this.gone = new Promise((resolve) => {
      // 'close', not 'exit': it comes after the last message on the channel and the end of stderr.
      this.supervisor.once('close', (code: number | null) => {
        this.supervisorGone = true;
        resolveExit({ code: null, signal: null, error: 'the supervisor exited unexpectedly' });
        // The supervisor exits 0 only once the group is gone. Killed or crashed, it left the group
        // running, with nobody else to stop it. (The command's pid is its group id: it was started
        // detached. Without a pid the command never started.)
        // What it started in other sessions is in its cgroup, when it had one.
        if (code === 0 || this.pid === undefined || process.platform === 'win32') resolve();
        else void Promise.all([killGroup(this.pid), this.cgroup && killCgroup(this.cgroup, AFTER_KILL_MS)]).then(() => resolve());
      });
    });
    let supervisorErrors = '';
    this.supervisor.stderr?.setEncoding('utf8');
    this.supervisor.stderr?.on('data', (text: string) => {
      // The supervisor prints nothing unless it crashes; keep what it says for the exit report.
      supervisorErrors = (supervisorErrors + text).slice(-2000);
    });
    this.supervisor.on('error', () => undefined);
    this.supervisor.on('message', (message: SupervisorMessage) => {
      switch (message.type) {
        case 'spawned':
          this.pid = message.pid;
          this.cgroup = message.cgroup;
          options.onSpawned?.(message.pid);
          break;
        case 'output':
          options.onOutput(message.text, message.stream);
          break;
        case 'exited':
          resolveExit({ code: message.code, signal: message.signal });
          break;
        case 'spawn-error':
          resolveExit({ code: null, signal: null, error: message.message });
          break;
      }
    });
    void this.gone.then(() => {
      if (supervisorErrors) options.onOutput(`[supervisor] ${supervisorErrors}`, 'stderr');
    });
    this.post({ type: 'start', command: options.command, cwd: options.cwd, env: options.env });
  }

  /** The supervisor's pid (tests use it to check the process table). */
  get supervisorPid(): number | undefined {
    return this.supervisor.pid;
  }

  /**
   * SIGTERM to the command's group, SIGKILL after `graceMs`; resolves when everything is gone. Should
   * the supervisor itself hang, it is killed along with the group after a little more time.
   */
  stop(graceMs: number): Promise<void> {
    this.stopping ??= (async () => {
      // A supervisor that died abruptly leaves the group to us: `gone` resolves once it is killed.
      if (this.supervisorGone) return this.gone;
      this.post({ type: 'stop', graceMs });
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs + SUPERVISOR_SLACK_MS)));
      const timedOut = await Promise.race([this.gone.then(() => false), hung]);
      clearTimeout(timer);
      if (!timedOut) return;
      for (const pid of [this.pid, this.supervisor.pid]) if (pid !== undefined) signalGroup(pid, 'SIGKILL');
      await this.gone;
    })();
    return this.stopping;
  }

  private post(message: HostMessage): void {
    if (!this.supervisor.connected) return;
    this.supervisor.send(message, (error) => {
      // A supervisor that died is reported through 'exit'; nothing to do here.
      void error;
    });
  }
}
