/**
 * The test set-up `npm test` runs first: whatever the tests need that this machine lacks is
 * installed, and what is installed stays cached, so a second run only checks (well under a second).
 *
 * 1. Debian packages. Missing ones are installed with apt-get when running as root, after one line
 *    saying which and why; otherwise the exact command is printed and the set-up fails. Services the
 *    packages bring (nginx, caddy) are kept from starting: the tests start their own on loopback.
 * 2. Node 24 from the npm registry and the VS Code hosts of `hosts.ts`, into `.vscode-test/`.
 * 3. The framework matrix's dev servers (`frameworks.ts`), from the npm registry, into `.vscode-test/frameworks/`.
 *
 *   node out/test/host/setup.js
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { installFrameworks } from './frameworks';
import { HOSTS, NODE_24 } from './hosts';
import { defaultProjectRoot, installHosts } from './install';
import { installNode } from './node';
import { findOnPath } from './shell';

/** Every Debian package a test needs, with the reason given when it is installed. */
export const DEBIAN_PACKAGES: ReadonlyArray<readonly [name: string, why: string]> = [
  ['chromium', 'the browser that drives VS Code and the browser tests'],
  ['ripgrep', "VS Code 1.100's search"],
  ['g++', "node-gyp builds the VS Code hosts' native modules"],
  ['make', 'node-gyp'],
  ['nginx-light', 'benchmarks and proxy tests'],
  ['wrk', 'benchmarks'],
  ['caddy', 'proxy tests'],
  ['libnss3-tools', "certutil: mounts trust's NSS step and the HTTPS browser tests"],
  ['python3', 'command mounts and node-gyp'],
  ['python3-flask', 'WSGI app tests'],
  ['python3-django', 'WSGI app tests'],
  ['python3-fastapi', 'ASGI app tests'],
  ['python3-uvicorn', 'ASGI app tests'],
  ['python3-cherrypy3', 'WSGI app tests'],
  ['python3-cheroot', 'WSGI server tests'],
];

/** Services a package would start on install; the tests run their own instances instead. */
const SERVICES = ['nginx', 'caddy', 'caddy-api'];
const POLICY_RC_D = '/usr/sbin/policy-rc.d';

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The packages of the list that dpkg does not report as installed. */
export function missingDebianPackages(names: readonly string[]): string[] {
  const result = spawnSync('dpkg-query', ['-W', '-f', '${Package} ${db:Status-Status}\\n', ...names], { encoding: 'utf8' });
  if (result.error) throw new Error(`dpkg-query is not available (${result.error.message}): these tests expect Debian with: ${names.join(' ')}`);
  const installed = new Set(
    result.stdout
      .split('\n')
      .map((line) => line.split(' '))
      .filter(([, status]) => status === 'installed')
      .map(([name]) => name),
  );
  return names.filter((name) => !installed.has(name));
}

function installDebianPackages(): void {
  const missing = missingDebianPackages(DEBIAN_PACKAGES.map(([name]) => name));
  if (missing.length === 0) return;
  const command = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    throw new Error(`the tests need Debian packages that are not installed: ${missing.join(' ')}\nrun as root: ${command}\n(or: sudo sh -c '${command}')`);
  }
  const why = DEBIAN_PACKAGES.filter(([name]) => missing.includes(name)).map(([name, reason]) => `${name} (${reason})`);
  log(`test set-up: apt-get install ${why.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // A policy-rc.d that answers 101 is Debian's way to keep packages from starting their services
  // (invoke-rc.d and deb-systemd-invoke both ask it); one already there is left alone.
  const ownPolicy = !fs.existsSync(POLICY_RC_D);
  if (ownPolicy) fs.writeFileSync(POLICY_RC_D, '#!/bin/sh\n# written by the Mounts test set-up while it installs packages\nexit 101\n', { mode: 0o755 });
  try {
    apt(['update', '-qq'], env);
    apt(['install', '-y', '-qq', ...missing], env);
  } finally {
    if (ownPolicy) fs.rmSync(POLICY_RC_D, { force: true });
  }
  keepServicesOff();
}

function apt(args: string[], env: NodeJS.ProcessEnv): void {
  const result = spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} exited with ${result.error?.message ?? result.signal ?? result.status}`);
}

/**
 * Disables the services for later boots (systemd or sysvinit, whichever this machine has) and
 * stops any that started anyway, so that nothing but the tests' own instances listens.
 */
function keepServicesOff(): void {
  const systemd = spawnSync('systemctl', ['is-system-running'], { encoding: 'utf8' });
  const hasSystemd = !systemd.error && /^(running|degraded|starting|initializing|maintenance)/.test(systemd.stdout.trim());
  for (const service of SERVICES) {
    if (hasSystemd) {
      spawnSync('systemctl', ['disable', '--now', `${service}.service`], { stdio: 'ignore' });
    } else if (fs.existsSync(`/etc/init.d/${service}`)) {
      spawnSync('update-rc.d', [service, 'disable'], { stdio: 'ignore' });
      spawnSync(`/etc/init.d/${service}`, ['stop'], { stdio: 'ignore' });
    }
  }
  const running = systemServiceProcesses();
  if (running.length > 0) {
    throw new Error(`system services still running after the install (stop them: the tests run their own): ${running.join(', ')}`);
  }
}

/** Processes of the packaged services (their configs in /etc), as "pid command". */
function systemServiceProcesses(): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      continue;
    }
    if (/\/etc\/caddy\/Caddyfile|^nginx: master process \/usr\/sbin\/nginx(?! -c)/.test(cmdline)) found.push(`${entry} ${cmdline}`);
  }
  return found;
}

async function main(): Promise<void> {
  const started = Date.now();
  installDebianPackages();
  if (findOnPath('rg') === undefined) throw new Error('ripgrep is installed but rg is not on PATH');
  const projectRoot = defaultProjectRoot();
  await installNode(NODE_24, projectRoot, log);
  const hosts = await installHosts(HOSTS, { projectRoot, log });
  await installFrameworks(projectRoot, log);
  log(
    `test set-up ready in ${((Date.now() - started) / 1000).toFixed(1)} s: Debian packages, Node ${NODE_24}, ` +
      hosts.map((host) => `VS Code ${host.spec.vscode}`).join(' and ') + ', framework packages',
  );
}

if (require.main === module) {
  main().catch((error: Error) => {
    log(`test set-up failed: ${error.message}`);
    process.exitCode = 1;
  });
}
