/**
 * Messages between the engine and a command's supervisor (`../supervisor.ts`) over the IPC channel
 * of `fork()`. One channel carries everything, output included, so the engine sees a command's last
 * lines before its exit, never after.
 */

/** Engine → supervisor. */
export type HostMessage =
  | { readonly type: 'start'; readonly command: string; readonly cwd: string; readonly env: Readonly<Record<string, string>> }
  /** SIGTERM to the process group, SIGKILL after `graceMs`; the supervisor exits once the group is gone. */
  | { readonly type: 'stop'; readonly graceMs: number };

/** Supervisor → engine. The supervisor's own exit means the whole process group is gone. */
export type SupervisorMessage =
  /** `cgroup`: the folder of the cgroup the command runs in, when it has one (`tree.ts`). */
  | { readonly type: 'spawned'; readonly pid: number; readonly cgroup?: string }
  | { readonly type: 'output'; readonly stream: 'stdout' | 'stderr'; readonly text: string }
  | { readonly type: 'exited'; readonly code: number | null; readonly signal: string | null }
  | { readonly type: 'spawn-error'; readonly message: string };
