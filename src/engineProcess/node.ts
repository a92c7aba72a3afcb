/**
 * Which Node runs a folder's engine process. The `mounts.node` setting names one; without it, `node`
 * on the PATH when it is at least MIN_NODE_MAJOR (the user's own Node: the ABI their native modules
 * were built for), else the editor's own runtime run as plain Node (ELECTRON_RUN_AS_NODE).
 */
import { execFile } from 'node:child_process';

export const MIN_NODE_MAJOR = 20;
const PROBE_TIMEOUT_MS = 10_000;

export interface NodeRuntime {
  /** The executable, as Node itself reports it (`process.execPath`). */
  readonly execPath: string;
  /** `v20.19.0` */
  readonly version: string;
  /** Added to the engine process's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Where it came from, for the log: the setting, the PATH or the editor. */
  readonly source: 'setting' | 'path' | 'editor';
}

/** A `mounts.node` that cannot serve; the message names the setting and says what is wrong. */
export class NodeRuntimeError extends Error {
  override readonly name = 'NodeRuntimeError';
}

interface Probe {
  readonly execPath: string;
  readonly version: string;
}

/** Runs `command` as Node and asks it for its version and executable; rejects with why it could not. */
function probe(command: string, env: NodeJS.ProcessEnv): Promise<Probe> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      ['-e', 'process.stdout.write(JSON.stringify([process.version, process.execPath]))'],
      { env: { ...env, ELECTRON_RUN_AS_NODE: '1' }, timeout: PROBE_TIMEOUT_MS, windowsHide: true },
      (error, stdout) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException).code;
          reject(
            new Error(
              code === 'ENOENT' ? 'was not found' : code === 'EACCES' ? 'is not executable' : `did not run as Node (${error.message.split('\n')[0]})`,
            ),
          );
          return;
        }
        try {
          const [version, execPath] = JSON.parse(stdout) as [string, string];
          if (typeof version !== 'string' || !version.startsWith('v')) throw new Error('no version');
          resolve({ version, execPath });
        } catch {
          reject(new Error('is not a Node executable'));
        }
      },
    );
  });
}

function majorOf(version: string): number {
  return Number(/^v(\d+)/.exec(version)?.[1] ?? 0);
}

/**
 * The Node to run the engine with. `setting` is `mounts.node` (empty or undefined: not set);
 * `env` the workspace's environment, whose PATH is searched for `node`.
 */
export async function resolveNode(setting: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<NodeRuntime> {
  const configured = setting?.trim();
  if (configured) {
    let found: Probe;
    try {
      found = await probe(configured, env);
    } catch (error) {
      throw new NodeRuntimeError(`The setting mounts.node is "${configured}", which ${(error as Error).message}. Set mounts.node to a Node ${MIN_NODE_MAJOR} or later executable, or clear it.`);
    }
    if (majorOf(found.version) < MIN_NODE_MAJOR) {
      throw new NodeRuntimeError(`The setting mounts.node is "${configured}", which is Node ${found.version}; Mounts needs Node ${MIN_NODE_MAJOR} or later.`);
    }
    return { ...found, env: {}, source: 'setting' };
  }
  try {
    const found = await probe('node', env);
    if (majorOf(found.version) >= MIN_NODE_MAJOR) return { ...found, env: {}, source: 'path' };
  } catch {
    // No node on the PATH: the editor's own runtime serves.
  }
  return { execPath: process.execPath, version: process.version, env: { ELECTRON_RUN_AS_NODE: '1' }, source: 'editor' };
}

/** `Node v20.19.0 (/usr/bin/node, from the PATH)` */
export function describeRuntime(runtime: Pick<NodeRuntime, 'execPath' | 'version' | 'source'>): string {
  const from = runtime.source === 'setting' ? 'mounts.node' : runtime.source === 'path' ? 'the PATH' : "the editor's own runtime";
  return `Node ${runtime.version} (${runtime.execPath}, from ${from})`;
}
