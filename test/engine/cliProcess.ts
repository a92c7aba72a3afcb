/** The CLI as a user runs it: the bundled dist/cli.js in a real child process. */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import * as path from 'node:path';

export const CLI = path.resolve(__dirname, '../../../dist/cli.js');

export interface CliRun {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

/** Runs `node dist/cli.js ...args`; with `shell`, runs that bash line instead (e.g. to set ulimit first). */
export function runCli(args: string[], options: { cwd?: string; shell?: string; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const spawnOptions: SpawnOptions = { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] };
  const child = options.shell === undefined ? spawn(process.execPath, [CLI, ...args], spawnOptions) : spawn('bash', ['-c', options.shell], spawnOptions);
  const result: CliRun = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
  child.stdout!.on('data', (chunk) => (result.stdout += chunk));
  child.stderr!.on('data', (chunk) => (result.stderr += chunk));
  return result;
}

// The tests' one poller, offered with the rest of what CLI tests use.
export { waitFor } from '../waitFor';

/** The port of the `Mounts serving http://localhost:N/` line, NaN before it. */
export function servingPort(output: string): number {
  return Number(/Mounts serving http:\/\/localhost:(\d+)\//.exec(output)?.[1]);
}
