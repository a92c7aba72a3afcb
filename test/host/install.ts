/**
 * Installs the offline VS Code test host: code-server (which bundles VS Code 1.100.3, its server and
 * web workbench) into `.vscode-test/code-server-<version>/`, without running any install script
 * that would download something.
 *
 * The cache is valid only when its marker file exists; the marker is written after the smoke check
 * passed, and records the Node ABI the native modules were built for. A run that finds a valid
 * marker returns at once. A new install is built in a staging folder next to the cache and renamed
 * into place, so an interrupted install never leaves a half-built cache behind.
 *
 *   node out/test/host/install.js [--force] [--quiet]
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const CODE_SERVER_VERSION = '4.100.3';
export const VSCODE_VERSION = '1.100.3';
export const CHROMIUM_PATH = '/usr/bin/chromium';

const MARKER = '.mounts-host-installed.json';
const NATIVE_MODULES = ['@vscode/spdlog', 'node-pty', 'native-watchdog', '@vscode/deviceid'];
const APT_HINT = 'apt-get install chromium ripgrep';

/** Where an installed host lives; every path is absolute. */
export interface HostInstall {
  /** The cache folder, `.vscode-test/code-server-<version>`. */
  root: string;
  /** The code-server package folder. */
  codeServerDir: string;
  /** `out/node/entry.js`, started with `node`. */
  entry: string;
  /** The browser that drives the workbench. */
  chromium: string;
}

export interface InstallOptions {
  /** The project folder whose `.vscode-test/` holds the cache; defaults to this repository. */
  projectRoot?: string;
  /** Reinstall even when the cache is valid. */
  force?: boolean;
  /** Progress lines; defaults to stderr. */
  log?: (line: string) => void;
}

/** This repository's root, from the compiled location `out/test/host/`. */
export function defaultProjectRoot(): string {
  return path.resolve(__dirname, '..', '..', '..');
}

export function hostPaths(projectRoot = defaultProjectRoot()): HostInstall {
  const root = path.join(projectRoot, '.vscode-test', `code-server-${CODE_SERVER_VERSION}`);
  const codeServerDir = path.join(root, 'node_modules', 'code-server');
  return {
    root,
    codeServerDir,
    entry: path.join(codeServerDir, 'out', 'node', 'entry.js'),
    chromium: CHROMIUM_PATH,
  };
}

interface Marker {
  codeServer: string;
  nodeAbi: string;
  platform: string;
}

function expectedMarker(): Marker {
  return {
    codeServer: CODE_SERVER_VERSION,
    nodeAbi: process.versions.modules,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** The installed host, or undefined when the cache is missing, incomplete or built for another Node. */
export function findInstalledHost(projectRoot = defaultProjectRoot()): HostInstall | undefined {
  const paths = hostPaths(projectRoot);
  let marker: Marker;
  try {
    marker = JSON.parse(fs.readFileSync(path.join(paths.root, MARKER), 'utf8')) as Marker;
  } catch {
    return undefined;
  }
  const expected = expectedMarker();
  const valid =
    marker.codeServer === expected.codeServer &&
    marker.nodeAbi === expected.nodeAbi &&
    marker.platform === expected.platform &&
    fs.existsSync(paths.entry);
  return valid ? paths : undefined;
}

/** Throws with the apt-get command when Chromium or ripgrep is missing. */
export function checkSystemPackages(): { rg: string } {
  const missing: string[] = [];
  if (!isExecutable(CHROMIUM_PATH)) missing.push(`chromium (expected at ${CHROMIUM_PATH})`);
  const rg = findOnPath('rg');
  if (rg === undefined) missing.push('ripgrep (rg on PATH)');
  if (missing.length > 0) {
    throw new Error(`the VS Code test host needs ${missing.join(' and ')}; install with: ${APT_HINT}`);
  }
  return { rg: rg! };
}

/**
 * Returns the installed host, installing it first when the cache is not valid. Safe to call from
 * several processes: each builds in its own staging folder and the first rename wins.
 */
export async function installHost(options: InstallOptions = {}): Promise<HostInstall> {
  const projectRoot = options.projectRoot ?? defaultProjectRoot();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (!options.force) {
    const installed = findInstalledHost(projectRoot);
    if (installed) return installed;
  }
  const { rg } = checkSystemPackages();
  const paths = hostPaths(projectRoot);
  const staging = `${paths.root}.staging-${process.pid}`;
  const logFile = `${paths.root}.install.log`;
  fs.mkdirSync(path.dirname(paths.root), { recursive: true });
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  fs.writeFileSync(logFile, '');
  const started = Date.now();
  log(`installing code-server ${CODE_SERVER_VERSION} (VS Code ${VSCODE_VERSION}) into ${paths.root}`);
  try {
    await buildHost(staging, rg, logFile, log);
    const marker = path.join(staging, MARKER);
    fs.writeFileSync(marker, `${JSON.stringify(expectedMarker(), null, 2)}\n`);
    replaceDir(staging, paths.root);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    const tail = readTail(logFile, 40);
    throw new Error(
      `installing the VS Code test host failed: ${(error as Error).message}\n` +
        `--- last lines of ${logFile} ---\n${tail}`,
    );
  }
  log(`installed in ${((Date.now() - started) / 1000).toFixed(1)} s (log: ${logFile})`);
  return paths;
}

async function buildHost(dir: string, rg: string, logFile: string, log: (line: string) => void): Promise<void> {
  // A package.json of its own keeps npm from walking up and installing into the project.
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    `${JSON.stringify({ name: 'mounts-vscode-test-host', private: true }, null, 2)}\n`,
  );
  const codeServerDir = path.join(dir, 'node_modules', 'code-server');
  const vscodeDir = path.join(codeServerDir, 'lib', 'vscode');
  const npm = (cwd: string, ...args: string[]) =>
    run('npm', [...args, '--prefix', cwd, '--no-audit', '--no-fund', '--loglevel=error'], cwd, logFile);

  // code-server's own postinstall refuses root and downloads ripgrep from GitHub; its steps are
  // done one by one below instead.
  log('  npm install code-server (scripts off)');
  await npm(dir, 'install', '--ignore-scripts', '--no-package-lock', `code-server@${CODE_SERVER_VERSION}`);
  log('  rebuild argon2');
  await npm(dir, 'rebuild', 'argon2');
  log('  install VS Code server dependencies');
  await npm(vscodeDir, 'install', '--omit=dev', '--ignore-scripts');
  log(`  rebuild ${NATIVE_MODULES.join(', ')}`);
  await npm(vscodeDir, 'rebuild', ...NATIVE_MODULES);

  const rgDir = path.join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin');
  fs.mkdirSync(rgDir, { recursive: true });
  forceSymlink(rg, path.join(rgDir, 'rg'));
  forceSymlink('node_modules', path.join(vscodeDir, 'node_modules.asar'));
  forceSymlink('code-linux.sh', path.join(vscodeDir, 'bin', 'remote-cli', 'code-server'));
  forceSymlink('browser-linux.sh', path.join(vscodeDir, 'bin', 'helpers', 'browser.sh'));

  log('  install built-in extensions');
  const extensionsDir = path.join(vscodeDir, 'extensions');
  await npm(extensionsDir, 'install', '--omit=dev', '--ignore-scripts');
  await run(process.execPath, ['./postinstall.mjs'], extensionsDir, logFile);

  log('  smoke check');
  await smokeCheck(dir, codeServerDir, vscodeDir, rgDir, logFile);
}

async function smokeCheck(
  dir: string,
  codeServerDir: string,
  vscodeDir: string,
  rgDir: string,
  logFile: string,
): Promise<void> {
  const script = [
    `const { createRequire } = require('node:module');`,
    `const fromServer = createRequire(${JSON.stringify(path.join(codeServerDir, 'package.json'))});`,
    `const fromVscode = createRequire(${JSON.stringify(path.join(vscodeDir, 'package.json'))});`,
    `fromServer('argon2');`,
    ...NATIVE_MODULES.map((name) => `fromVscode(${JSON.stringify(name)});`),
    `console.log('native modules load');`,
  ].join('\n');
  await run(process.execPath, ['-e', script], dir, logFile);
  await run(path.join(rgDir, 'rg'), ['--version'], dir, logFile);
  // --version must not touch $HOME either: give it a private config and XDG folders.
  const scratch = fs.mkdtempSync(path.join(dir, '.smoke-'));
  try {
    const env = privateEnv(scratch);
    const out = await run(process.execPath, [path.join(codeServerDir, 'out', 'node', 'entry.js'), '--version'], dir, logFile, env);
    if (!out.includes(CODE_SERVER_VERSION)) throw new Error(`code-server --version printed ${JSON.stringify(out.trim())}`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The environment that keeps code-server and everything it starts inside `scratch`: config, data,
 * cache, sockets. Shared with the runner.
 */
export function privateEnv(scratch: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const dirs = {
    XDG_CONFIG_HOME: path.join(scratch, 'xdg-config'),
    XDG_DATA_HOME: path.join(scratch, 'xdg-data'),
    XDG_CACHE_HOME: path.join(scratch, 'xdg-cache'),
    XDG_STATE_HOME: path.join(scratch, 'xdg-state'),
    XDG_RUNTIME_DIR: path.join(scratch, 'xdg-runtime'),
    TMPDIR: path.join(scratch, 'tmp'),
  };
  for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const env: NodeJS.ProcessEnv = { ...base, ...dirs, EXTENSIONS_GALLERY: '{}' };
  // Variables npm sets for a script would otherwise leak into code-server and the extension host.
  for (const key of Object.keys(env)) {
    if (key.startsWith('npm_') || key === 'INIT_CWD') delete env[key];
  }
  return env;
}

function run(
  command: string,
  args: string[],
  cwd: string,
  logFile: string,
  env: NodeJS.ProcessEnv = npmEnv(),
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

function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_yes: 'true' };
  // When this runs as `npm run host:install`, npm's script variables (npm_config_local_prefix,
  // npm_package_*) describe the project; the nested installs must not see them.
  for (const key of Object.keys(env)) {
    if ((key.startsWith('npm_package_') || key.startsWith('npm_lifecycle_') || key === 'npm_config_local_prefix')) {
      delete env[key];
    }
  }
  // node-gyp compiles against the headers installed with Node when present, instead of
  // downloading them.
  const nodeDir = path.resolve(process.execPath, '..', '..');
  if (fs.existsSync(path.join(nodeDir, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = nodeDir;
  return env;
}

function replaceDir(from: string, to: string): void {
  if (fs.existsSync(to)) {
    const old = `${to}.old-${process.pid}`;
    fs.renameSync(to, old);
    fs.renameSync(from, to);
    fs.rmSync(old, { recursive: true, force: true });
  } else {
    fs.renameSync(from, to);
  }
}

function forceSymlink(target: string, link: string): void {
  fs.rmSync(link, { force: true });
  fs.symlinkSync(target, link);
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

function readTail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const unknown = args.filter((arg) => arg !== '--force' && arg !== '--quiet');
  if (unknown.length > 0) {
    process.stderr.write(`usage: install.js [--force] [--quiet]\nunknown argument: ${unknown[0]}\n`);
    process.exit(2);
  }
  const quiet = args.includes('--quiet');
  const started = Date.now();
  installHost({ force: args.includes('--force'), log: quiet ? () => {} : undefined }).then(
    (host) => {
      if (!quiet) {
        process.stderr.write(`VS Code test host ready: ${host.root} (${Date.now() - started} ms)\n`);
      }
    },
    (error: Error) => {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    },
  );
}
