/**
 * Child processes and file moves shared by the installers: every command's output goes to an
 * install log (its tail is shown on failure), and caches are built in a staging folder that is
 * renamed into place, so an interrupted install never leaves a half-built cache behind.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Runs a command with its output appended to `logFile`; resolves with its stdout, rejects on a non-zero exit. */
export function run(
  command: string,
  args: readonly string[],
  cwd: string,
  logFile: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  return new Promise((resolve, reject) => {
    fs.appendFileSync(logFile, `\n$ (cd ${cwd} && ${command} ${args.join(' ')})\n`);
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      fs.appendFileSync(logFile, chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => fs.appendFileSync(logFile, chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`\`${path.basename(command)} ${args.slice(0, 3).join(' ')}\` in ${cwd} exited with ${signal ?? code}`));
    });
  });
}

/**
 * How to run npm under a given Node binary: npm's own CLI script started by that binary, so that
 * install scripts (node-gyp) see that Node as `process.execPath` and as `node` on PATH, and build
 * for its ABI. The headers come from the Node folder (`include/node`), never from a download.
 */
export function npmUnder(nodeBinary: string): { command: string; prefix: string[]; env: NodeJS.ProcessEnv } {
  // jobs: node-gyp compiles on every core (its default is one); the native builds are most of an install.
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_yes: 'true', JOBS: 'max' };
  // When this runs as an npm script, npm's variables (npm_config_local_prefix, npm_package_*)
  // describe the project; the nested installs must not see them.
  for (const key of Object.keys(env)) {
    if (key.startsWith('npm_package_') || key.startsWith('npm_lifecycle_') || key === 'npm_config_local_prefix') {
      delete env[key];
    }
  }
  const binDir = path.dirname(nodeBinary);
  env.PATH = `${binDir}${path.delimiter}${env.PATH ?? ''}`;
  const nodeDir = path.dirname(binDir);
  if (fs.existsSync(path.join(nodeDir, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = nodeDir;
  const cli = npmCli();
  return cli ? { command: nodeBinary, prefix: [cli], env } : { command: 'npm', prefix: [], env };
}

/** npm's CLI script: the one running this script, else the one behind `npm` on PATH. */
function npmCli(): string | undefined {
  const running = process.env.npm_execpath;
  if (running && /npm-cli\.js$/.test(running) && fs.existsSync(running)) return running;
  const onPath = findOnPath('npm');
  if (onPath === undefined) return undefined;
  const real = fs.realpathSync(onPath);
  return /npm-cli\.js$/.test(real) ? real : undefined;
}

/** Puts `from` at `to`, replacing what was there. */
export function replaceDir(from: string, to: string): void {
  if (fs.existsSync(to)) {
    const old = `${to}.old-${process.pid}`;
    fs.renameSync(to, old);
    fs.renameSync(from, to);
    fs.rmSync(old, { recursive: true, force: true });
  } else {
    fs.renameSync(from, to);
  }
}

export function forceSymlink(target: string, link: string): void {
  fs.rmSync(link, { force: true });
  fs.symlinkSync(target, link);
}

export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

export function readTail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Reads a JSON marker file; undefined when it is missing or unreadable. */
export function readMarker<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/**
 * Builds a cache folder: `build(staging)` fills a fresh staging folder next to `root`, then the
 * marker is written and the folder renamed into place. On failure the staging folder goes and the
 * error carries the log's tail.
 */
export async function buildCache(
  root: string,
  markerName: string,
  marker: object,
  what: string,
  build: (staging: string, logFile: string) => Promise<void>,
): Promise<void> {
  const staging = `${root}.staging-${process.pid}`;
  const logFile = `${root}.install.log`;
  fs.mkdirSync(path.dirname(root), { recursive: true });
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  fs.writeFileSync(logFile, '');
  // A package.json of its own keeps npm from walking up and installing into the project.
  fs.writeFileSync(path.join(staging, 'package.json'), `${JSON.stringify({ name: 'mounts-test-cache', private: true }, null, 2)}\n`);
  try {
    await build(staging, logFile);
    fs.writeFileSync(path.join(staging, markerName), `${JSON.stringify(marker, null, 2)}\n`);
    replaceDir(staging, root);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new Error(`installing ${what} failed: ${(error as Error).message}\n--- last lines of ${logFile} ---\n${readTail(logFile, 40)}`);
  }
}
