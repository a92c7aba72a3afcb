/**
 * `mounts trust [--uninstall]` and `mounts ca path`: the local CA from a terminal. Trusting is
 * always this explicit step; serving HTTPS never installs anything. Exit codes: 0 done, 1 a store
 * could not be changed (or must be changed by hand), 64 bad arguments.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT_USAGE, readArguments } from './cliArguments';
import { authorityName, ensureAuthority, errorMessage, planTrust, runTrust, type Logger, type TrustOptions } from './engine/index';

export const TRUST_USAGE = `Usage: mounts trust [--uninstall]
       mounts ca path

mounts trust installs Mounts' local certificate authority (made on first use, once per user) in
the system's store and in the NSS databases Chromium and Firefox read, so that browsers trust the
https:// of mounts.json's "https": true. Commands that need root run through sudo. Where a tool
is missing, the commands to run are printed instead. --uninstall removes it again.
mounts ca path prints the CA certificate's path (e.g. for NODE_EXTRA_CA_CERTS elsewhere).`;

export async function trustMain(argv: string[]): Promise<number> {
  const parsed = readArguments(
    { args: argv, options: { uninstall: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } },
    TRUST_USAGE,
  );
  if (typeof parsed === 'number') return parsed;
  const print = (line: string) => process.stdout.write(`${line}\n`);
  let caFile: string;
  let name: string;
  try {
    const authority = await ensureAuthority(printingLogger(print));
    caFile = authority.certFile;
    name = authorityName(authority.cert);
  } catch (error) {
    process.stderr.write(`mounts: cannot make the local certificate authority: ${errorMessage(error)}\n`);
    return 1;
  }
  const uninstall = parsed.values.uninstall;
  const systemRoot = process.env.MOUNTS_TRUST_ROOT ? path.resolve(process.env.MOUNTS_TRUST_ROOT) : '/';
  const options: TrustOptions = {
    caFile,
    name,
    uninstall,
    home: process.env.HOME || os.homedir(),
    platform: process.platform,
    // A stand-in for `/` (tests, image builds); the real system store otherwise.
    systemRoot,
    // Debian keeps update-ca-certificates in /usr/sbin, which a user's PATH often lacks.
    searchPath: [process.env.PATH ?? '', '/usr/local/sbin', '/usr/sbin', '/sbin'].join(path.delimiter),
    // A stand-in root is the user's own folder: no sudo for it.
    privileged: process.platform === 'win32' || process.getuid?.() === 0 || systemRoot !== '/',
  };
  const plan = planTrust(options);
  print(`${uninstall ? 'Removing' : 'Installing'} ${name} (${caFile}):`);
  const failed = runTrust(plan, options, print);
  for (const line of plan.manual) print(`by hand: ${line}`);
  if (failed.length || plan.manual.length) {
    print(`Not every store was ${uninstall ? 'cleaned' : 'updated'}: see above.`);
    return 1;
  }
  print(uninstall ? 'Removed. Browsers forget it when they restart.' : 'Trusted. Restart browsers that are open to pick it up.');
  return 0;
}

export async function caMain(argv: string[]): Promise<number> {
  const parsed = readArguments({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h', default: false } } }, TRUST_USAGE);
  if (typeof parsed === 'number') return parsed;
  if (parsed.positionals.length !== 1 || parsed.positionals[0] !== 'path') {
    process.stderr.write(`Unknown ca command${parsed.positionals.length ? ` "${parsed.positionals.join(' ')}"` : ''}.\n\n${TRUST_USAGE}\n`);
    return EXIT_USAGE;
  }
  try {
    // Made when it does not exist yet, so the path printed is a file that is there.
    const authority = await ensureAuthority(printingLogger((line) => process.stderr.write(`${line}\n`)));
    process.stdout.write(`${authority.certFile}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`mounts: cannot make the local certificate authority: ${errorMessage(error)}\n`);
    return 1;
  }
}

function printingLogger(print: (line: string) => void): Logger {
  return { info: print, warn: print, error: (message) => print(message), access: () => undefined };
}
