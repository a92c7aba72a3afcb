/**
 * `mounts trust`: installs the local CA where browsers and the system look for roots, by the
 * platform's own tools, each command shown before it runs; where a tool is missing, the exact
 * commands to run are printed instead. Nothing here runs unless the user asked for it.
 *
 *   Linux   the system store (Debian's update-ca-certificates, else p11-kit's `trust`), and the
 *           NSS databases Chromium (~/.pki/nssdb) and Firefox (each profile) read, via certutil
 *   macOS   the System keychain, via `security add-trusted-cert`
 *   Windows the user's Root store, via `certutil -user -addstore` (Windows asks to confirm)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TrustOptions {
  readonly caFile: string;
  /** The CA's name in the stores that key certificates by nickname (NSS, Windows). */
  readonly name: string;
  readonly uninstall: boolean;
  /** Whose NSS databases: Chromium's and Firefox's under this home. */
  readonly home: string;
  readonly platform: NodeJS.Platform;
  /**
   * A folder standing for `/` in the system store's paths, as DESTDIR does for installs (tests,
   * image builds); the system's own store is changed only when it is `/`.
   */
  readonly systemRoot: string;
  /** Where commands are looked for. */
  readonly searchPath: string;
  /** Whether this process may change the system store itself (root); otherwise `sudo` is asked. */
  readonly privileged: boolean;
}

/** One command of the plan; `needsRoot` ones go through sudo when this process is not root. */
export interface TrustStep {
  readonly store: string;
  readonly argv: readonly string[];
  readonly needsRoot: boolean;
}

export interface TrustPlan {
  readonly steps: readonly TrustStep[];
  /** Stores that cannot be reached from here, with the commands a person would run. */
  readonly manual: readonly string[];
}

/** The commands that install (or remove) the CA on this platform, as far as its tools are present. */
export function planTrust(options: TrustOptions): TrustPlan {
  switch (options.platform) {
    case 'darwin':
      return darwinPlan(options);
    case 'win32':
      return windowsPlan(options);
    default:
      return linuxPlan(options);
  }
}

/** Runs each step in order, printing it first; returns the steps that failed. */
export function runTrust(plan: TrustPlan, options: TrustOptions, print: (line: string) => void): TrustStep[] {
  const failed: TrustStep[] = [];
  const sudo = options.privileged ? undefined : which('sudo', options);
  for (const step of plan.steps) {
    if (step.needsRoot && !options.privileged && !sudo) {
      failed.push(step);
      print(`${step.store}: run as root (there is no sudo here): ${step.argv.map(shellQuote).join(' ')}`);
      continue;
    }
    const argv = step.needsRoot && sudo ? [sudo, '--', ...step.argv] : [...step.argv];
    print(`${step.store}: ${argv.map(shellQuote).join(' ')}`);
    const result = spawnSync(argv[0], argv.slice(1), { stdio: ['inherit', 'inherit', 'inherit'] });
    if (result.status !== 0) {
      failed.push(step);
      print(`  failed (${result.error ? result.error.message : `exit ${result.status ?? result.signal}`})`);
    }
  }
  return failed;
}

function linuxPlan(options: TrustOptions): TrustPlan {
  const steps: TrustStep[] = [];
  const manual: string[] = [];
  const system = 'system store';
  const root = options.systemRoot;
  const user = os.userInfo().username.replace(/[^A-Za-z0-9_.-]/g, '_');
  const fileName = `mounts-local-ca-${user}.crt`;
  const updateCommand = which('update-ca-certificates', options);
  const p11Trust = which('trust', options);
  const certutil = which('certutil', options);
  if (updateCommand) {
    const localDir = path.join(root, 'usr/local/share/ca-certificates');
    const installed = path.join(localDir, fileName);
    // Outside `/`, the tool is pointed at the same folders under the stand-in root.
    const dirs =
      root === '/'
        ? []
        : [
            ['--certsconf', 'etc/ca-certificates.conf'],
            ['--certsdir', 'usr/share/ca-certificates'],
            ['--localcertsdir', 'usr/local/share/ca-certificates'],
            ['--etccertsdir', 'etc/ssl/certs'],
            ['--hooksdir', 'etc/ca-certificates/update.d'],
          ].flatMap(([flag, dir]) => [flag, path.join(root, dir)]);
    if (options.uninstall) {
      steps.push({ store: system, argv: ['rm', '-f', installed], needsRoot: true });
      steps.push({ store: system, argv: [updateCommand, '--fresh', ...dirs], needsRoot: true });
    } else {
      steps.push({ store: system, argv: ['install', '-D', '-m', '0644', options.caFile, installed], needsRoot: true });
      steps.push({ store: system, argv: [updateCommand, ...dirs], needsRoot: true });
    }
  } else if (p11Trust && root === '/') {
    steps.push({ store: system, argv: [p11Trust, 'anchor', ...(options.uninstall ? ['--remove'] : ['--store']), options.caFile], needsRoot: true });
  } else {
    manual.push(`${system}: copy ${options.caFile} to your distribution's folder of local CA certificates and run its update command`);
  }
  const databases = nssDatabases(options.home);
  if (certutil) {
    for (const db of databases) {
      const where = `NSS database ${db}`;
      if (options.uninstall) {
        if (fs.existsSync(path.join(db, 'cert9.db'))) steps.push({ store: where, argv: [certutil, '-d', `sql:${db}`, '-D', '-n', options.name], needsRoot: false });
        continue;
      }
      if (!fs.existsSync(path.join(db, 'cert9.db'))) {
        // Chromium's own database, not made yet: Chromium reads it from its first start on.
        steps.push({ store: where, argv: ['mkdir', '-p', '-m', '0700', db], needsRoot: false });
        steps.push({ store: where, argv: [certutil, '-d', `sql:${db}`, '-N', '--empty-password'], needsRoot: false });
      }
      steps.push({ store: where, argv: [certutil, '-d', `sql:${db}`, '-A', '-t', 'C,,', '-n', options.name, '-i', options.caFile], needsRoot: false });
    }
  } else {
    for (const db of databases) {
      const command = options.uninstall ? `certutil -d sql:${db} -D -n ${shellQuote(options.name)}` : `certutil -d sql:${db} -A -t C,, -n ${shellQuote(options.name)} -i ${shellQuote(options.caFile)}`;
      manual.push(`NSS database ${db} (Chromium, Firefox): install certutil (Debian: apt-get install libnss3-tools), then: ${command}`);
    }
  }
  return { steps, manual };
}

/**
 * Chromium's database (made when missing: Chromium reads it from its first start) and every
 * Firefox profile's (found only: Firefox makes its own).
 */
function nssDatabases(home: string): string[] {
  const chromium = path.join(home, '.pki', 'nssdb');
  const databases = [chromium];
  for (const profiles of [path.join(home, '.mozilla', 'firefox'), path.join(home, 'snap', 'firefox', 'common', '.mozilla', 'firefox')]) {
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(profiles);
    } catch {
      continue;
    }
    for (const entry of entries) if (fs.existsSync(path.join(profiles, entry, 'cert9.db'))) databases.push(path.join(profiles, entry));
  }
  return databases;
}

function darwinPlan(options: TrustOptions): TrustPlan {
  const store = 'System keychain';
  const args = options.uninstall
    ? ['remove-trusted-cert', '-d', options.caFile]
    : ['add-trusted-cert', '-d', '-r', 'trustRoot', '-k', '/Library/Keychains/System.keychain', options.caFile];
  const security = which('security', options);
  return security
    ? { steps: [{ store, argv: [security, ...args], needsRoot: true }], manual: [] }
    : { steps: [], manual: [`${store}: sudo ${['security', ...args].map(shellQuote).join(' ')}`] };
}

function windowsPlan(options: TrustOptions): TrustPlan {
  const store = 'Windows Root store (current user)';
  const args = options.uninstall ? ['-user', '-delstore', 'Root', options.name] : ['-user', '-addstore', 'Root', options.caFile];
  const certutil = which('certutil', options);
  return certutil ? { steps: [{ store, argv: [certutil, ...args], needsRoot: false }], manual: [] } : { steps: [], manual: [`${store}: certutil ${args.map((arg) => `"${arg}"`).join(' ')}`] };
}

/** The executable file `command` names on the search path, if any. */
function which(command: string, options: TrustOptions): string | undefined {
  const extensions = options.platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
  for (const dir of options.searchPath.split(path.delimiter).filter(Boolean)) {
    for (const extension of extensions) {
      const file = path.join(dir, command + extension);
      try {
        fs.accessSync(file, fs.constants.X_OK);
        if (fs.statSync(file).isFile()) return file;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** POSIX shell quoting for commands shown to people (single quotes unless the word is plain). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
