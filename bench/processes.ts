/**
 * Child processes of the benchmark: pinned to a core, waited for until they listen, stopped and
 * reaped. Every process started here is tracked so that an interrupted run leaves none behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import { freePort, isPortInUse } from '../src/engine/ports';

export { freePort };

/**
 * Servers run on core 0 and load generators on core 1, when the machine has two cores or more;
 * `anywhere` is not pinned (a server measured as a user runs it, next to a browser that is not pinned).
 */
export const PINNING = os.cpus().length >= 2;
export type Role = 'server' | 'load' | 'anywhere';

const live = new Set<ChildProcess>();

export interface Started {
  readonly child: ChildProcess;
  readonly port: number;
  stop(): Promise<void>;
}

function pinned(role: Role, command: string, args: readonly string[]): [string, string[]] {
  if (!PINNING || role === 'anywhere') return [command, [...args]];
  return ['taskset', ['-c', role === 'server' ? '0' : '1', command, ...args]];
}

/** Starts a process and collects its output; `exited` resolves with the exit code. */
export function start(role: Role, command: string, args: readonly string[], env?: NodeJS.ProcessEnv) {
  const [file, argv] = pinned(role, command, args);
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (error) => {
      stderr += String(error);
      live.delete(child);
      resolve(-1);
    });
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? (signal ? -1 : null));
    });
  });
  return { child, exited, output: () => ({ stdout, stderr }) };
}

/** Runs a process to its end; rejects on a non-zero exit with its stderr. */
export async function run(role: Role, command: string, args: readonly string[], timeoutMs = 600_000): Promise<string> {
  const proc = start(role, command, args);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
  const code = await proc.exited;
  clearTimeout(timer);
  const { stdout, stderr } = proc.output();
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}: ${lastLines(stderr || stdout)}`);
  return stdout;
}

/**
 * Starts a server and waits until it is ready: `readyPattern` captures the port from its stdout,
 * or, with `port` given, the port accepts connections.
 */
export async function startServer(
  command: string,
  args: readonly string[],
  ready: { readonly readyPattern: RegExp } | { readonly port: number },
  stopSignal: NodeJS.Signals = 'SIGTERM',
  env?: NodeJS.ProcessEnv,
  role: Role = 'server',
): Promise<Started> {
  const proc = start(role, command, args, env);
  const deadline = Date.now() + 60_000;
  let port: number | undefined;
  let code: number | null | undefined;
  void proc.exited.then((value) => (code = value));
  while (port === undefined) {
    if (code !== undefined) throw new Error(`${command} exited with ${code} before listening: ${lastLines(proc.output().stderr || proc.output().stdout)}`);
    if (Date.now() > deadline) {
      proc.child.kill('SIGKILL');
      throw new Error(`${command} did not listen within 60 s`);
    }
    if ('readyPattern' in ready) {
      const match = ready.readyPattern.exec(proc.output().stdout);
      if (match) port = Number(match[1]);
    } else if (await isPortInUse(ready.port)) {
      port = ready.port;
    }
    if (port === undefined) await delay(10);
  }
  return {
    child: proc.child,
    port,
    async stop() {
      if (code !== undefined) return;
      proc.child.kill(stopSignal);
      const timer = setTimeout(() => proc.child.kill('SIGKILL'), 10_000);
      await proc.exited;
      clearTimeout(timer);
    },
  };
}

/** Kills whatever is still running (an interrupted or failed run). */
export function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
}

export function lastLines(text: string, count = 8): string {
  return text.trim().split('\n').slice(-count).join('\n');
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
