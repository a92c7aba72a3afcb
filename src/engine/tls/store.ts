/**
 * The local CA and its leaf certificates on disk, in the user's data folder:
 *
 *   <data>/ca/mounts-ca.pem        the CA certificate: what `mounts trust` installs, NODE_EXTRA_CA_CERTS
 *   <data>/ca/mounts-ca-key.pem    its private key, mode 0600; never read by anything but issueLeaf
 *   <data>/leaves/<names>.pem      a leaf's key and certificate, one file per set of names (0600)
 *   <data>/ca-bundle.pem           the system's roots plus the CA, for Python (SSL_CERT_FILE)
 *
 * Every file appears whole, by rename: two engines starting at once (two folders in the editor)
 * never read a half-written file, and the CA is made once, by whichever rename wins.
 */
import { createHash, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import type { Logger } from '../logger';
import { mountsDataDir } from './dataDir';
import { authorityIsCurrent, createAuthority, DAY_MS, issueLeaf, leafIsCurrent, type KeyPair } from './x509';

/** A leaf or CA with less than this left is replaced before it is used. */
export const RENEW_BEFORE_MS = 30 * DAY_MS;

const CA_FOLDER = 'ca';
const CA_CERT = 'mounts-ca.pem';
const CA_KEY = 'mounts-ca-key.pem';
/** Debian's bundle of the system's roots (ca-certificates), which Python's ssl reads by default there. */
const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export interface Authority extends KeyPair {
  /** Path of the CA certificate (never of its key). */
  readonly certFile: string;
}

/** The CA's common name: how it is listed in trust stores (`Mounts local CA (user@host)`). */
export function authorityName(cert: string): string {
  const subject = new X509Certificate(cert).subject;
  return /^CN=(.*)$/m.exec(subject)?.[1] ?? 'Mounts local CA';
}

/** Where the CA certificate is (or will be) for the data folder `dir`. */
export function authorityCertFile(dir = mountsDataDir()): string {
  return path.join(dir, CA_FOLDER, CA_CERT);
}

/** The CA certificate as PEM, when the CA has been made; never makes it. */
export function readAuthorityCert(dir = mountsDataDir()): string | undefined {
  try {
    return fs.readFileSync(authorityCertFile(dir), 'utf8');
  } catch {
    return undefined;
  }
}

/** The user's CA: read, or made on first use (and again when it nears its end, which `mounts trust` must then be told). */
export async function ensureAuthority(logger: Logger, dir = mountsDataDir(), now = Date.now()): Promise<Authority> {
  const folder = path.join(dir, CA_FOLDER);
  const existing = readPair(path.join(folder, CA_CERT), path.join(folder, CA_KEY));
  if (existing && authorityIsCurrent(existing, now, RENEW_BEFORE_MS)) return { ...existing, certFile: path.join(folder, CA_CERT) };
  const fresh = await createAuthority(`${os.userInfo().username}@${os.hostname()}`, now);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const staging = fs.mkdtempSync(path.join(dir, `.${CA_FOLDER}-`));
  fs.writeFileSync(path.join(staging, CA_KEY), fresh.key, { mode: 0o600 });
  fs.writeFileSync(path.join(staging, CA_CERT), fresh.cert, { mode: 0o644 });
  if (existing) fs.rmSync(folder, { recursive: true, force: true });
  try {
    fs.renameSync(staging, folder);
  } catch (error) {
    // Another engine made it first: theirs is the CA, ours is dropped.
    fs.rmSync(staging, { recursive: true, force: true });
    const theirs = readPair(path.join(folder, CA_CERT), path.join(folder, CA_KEY));
    if (!theirs) throw error;
    return { ...theirs, certFile: path.join(folder, CA_CERT) };
  }
  logger.info(
    `${existing ? 'the local certificate authority was near its end; made a new one' : 'made a local certificate authority for HTTPS'}: ` +
      `${path.join(folder, CA_CERT)}. Browsers trust it after \`mounts trust\`.`,
  );
  return { ...fresh, certFile: path.join(folder, CA_CERT) };
}

/** A leaf for exactly `names`: the one on disk while it is current, else a new one (which replaces it there). */
export async function ensureLeaf(authority: KeyPair, names: readonly string[], dir = mountsDataDir(), now = Date.now()): Promise<KeyPair> {
  const file = leafFile(names, dir);
  const existing = readLeaf(file);
  if (existing && leafIsCurrent(existing, authority, names, now, RENEW_BEFORE_MS)) return existing;
  const leaf = await issueLeaf(authority, names, now);
  writeWhole(file, leaf.key + leaf.cert, 0o600);
  return leaf;
}

/** Where the leaf for `names` is kept: one file per set of names, so folders with other hosts keep their own. */
export function leafFile(names: readonly string[], dir = mountsDataDir()): string {
  const digest = createHash('sha256').update([...names].sort().join('\n')).digest('hex').slice(0, 16);
  return path.join(dir, 'leaves', `${digest}.pem`);
}

/**
 * The bundle Python reads through SSL_CERT_FILE and REQUESTS_CA_BUNDLE: those replace the default
 * roots rather than add to them, so the system's roots come first (Debian's bundle, else Node's
 * own roots where the system has no bundle at that path), then the CA.
 */
export function writePythonBundle(authority: Authority, dir = mountsDataDir()): string {
  let roots: string;
  try {
    roots = fs.readFileSync(SYSTEM_BUNDLE, 'utf8');
  } catch {
    roots = tls.rootCertificates.join('\n');
  }
  const file = path.join(dir, 'ca-bundle.pem');
  writeWhole(file, `${roots.trimEnd()}\n${authority.cert}`, 0o644);
  return file;
}

function readLeaf(file: string): KeyPair | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n?/.exec(text)?.[0];
    const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/.exec(text)?.[0];
    return key && cert ? { key, cert } : undefined;
  } catch {
    return undefined;
  }
}

function readPair(certFile: string, keyFile: string): KeyPair | undefined {
  try {
    return { cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8') };
  } catch {
    return undefined;
  }
}

/** Writes beside `file`, then renames over it: readers see the old file or the new one, never half of one. */
function writeWhole(file: string, content: string, mode: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const staging = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(staging, content, { mode });
  fs.renameSync(staging, file);
}
