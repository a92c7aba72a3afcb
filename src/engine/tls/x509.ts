/**
 * Issues the local CA's certificate and the leaf certificates it signs.
 *
 * X.509 comes from @peculiar/x509: it builds certificates over WebCrypto (Node's own, native
 * EC P-256 key generation and signing, a few milliseconds each), is written in TypeScript with its
 * types, and is actively released. node-forge was the alternative: its RSA key generation runs in
 * JavaScript (seconds for a 2048-bit key, on every first start), it has no EC keys, and its
 * releases are rare. `selfsigned` (a dev dependency of the tests) is a wrapper over the same
 * @peculiar/x509 that makes self-signed certificates only, not a CA with the leaves it signs.
 * Keys are EC P-256: every browser, Node, Python's ssl and NSS accept them, and they are quick.
 */
import { createPrivateKey, webcrypto, X509Certificate as NodeCertificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const crypto = webcrypto;
x509.cryptoProvider.set(crypto);

const ALGORITHM: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

export const DAY_MS = 24 * 60 * 60 * 1000;
/** The CA outlives many leaves: trusting it again is a step the user takes by hand. */
const CA_LIFETIME_DAYS = 3650;
/**
 * Under the 398 days browsers accept from public CAs, so no browser's rule for leaves can refuse
 * it; a leaf costs nothing to renew.
 */
export const LEAF_LIFETIME_DAYS = 397;
/** Clocks of a VM or container can lag the host's: a leaf made "now" must already be valid there. */
const BACKDATE_MS = 60 * 60 * 1000;

/** A certificate and its private key, both PEM. */
export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

/** A new certificate authority, named so that two users' (or two machines') CAs are told apart in a trust store. */
export async function createAuthority(label: string, now = Date.now()): Promise<KeyPair> {
  const keys = await generateKeys();
  const name = `CN=${escapeName(`Mounts local CA (${label})`)}, O=Mounts local development CA`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + CA_LIFETIME_DAYS * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      // pathLength 0: it signs leaves only, never another CA.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

/** A server certificate for `names` (DNS names, `*.` wildcards, IPv4 and IPv6 addresses) signed by `authority`. */
export async function issueLeaf(authority: KeyPair, names: readonly string[], now = Date.now(), lifetimeMs = LEAF_LIFETIME_DAYS * DAY_MS): Promise<KeyPair> {
  const issuer = new x509.X509Certificate(authority.cert);
  const signingKey = await crypto.subtle.importKey('pkcs8', pemBody(authority.key), ALGORITHM, false, ['sign']);
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${escapeName(names[0])}, O=Mounts local development certificate`,
    issuer: issuer.subject,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now - BACKDATE_MS + lifetimeMs),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: isIpAddress(value) ? 'ip' : 'dns', value }))),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

/**
 * Whether `leaf` can serve `names` until `renewBefore` ms from `now`: signed by `authority`, its
 * key matching, and naming exactly these names (a name gone is renewed too, so the certificate
 * never names a host the config no longer has).
 */
export function leafIsCurrent(leaf: KeyPair, authority: KeyPair, names: readonly string[], now: number, renewBefore: number): boolean {
  try {
    const cert = new NodeCertificate(leaf.cert);
    const ca = new NodeCertificate(authority.cert);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
    if (!cert.checkPrivateKey(createPrivateKey(leaf.key))) return false;
    if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) - renewBefore <= now) return false;
    const present = subjectAltNames(cert).sort();
    const wanted = [...names].map(canonicalName).sort();
    return present.length === wanted.length && present.every((name, index) => name === wanted[index]);
  } catch {
    return false;
  }
}

/** Whether the CA certificate is still valid for another `renewBefore` ms. */
export function authorityIsCurrent(authority: KeyPair, now: number, renewBefore: number): boolean {
  try {
    const cert = new NodeCertificate(authority.cert);
    return cert.ca && Date.parse(cert.validTo) - renewBefore > now && cert.checkPrivateKey(createPrivateKey(authority.key));
  } catch {
    return false;
  }
}

/** The names of a certificate's subjectAltName, as `DNS:x`/`IP Address:y` become `x`/`y`. */
export function subjectAltNames(cert: NodeCertificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .filter(Boolean)
    .map((entry) => canonicalName(entry.slice(entry.indexOf(':') + 1)));
}

/** IPv6 addresses as Node prints them (`::1` stays `::1`; upper case and long forms normalize). */
function canonicalName(name: string): string {
  if (!name.includes(':')) return name.toLowerCase();
  try {
    return new URL(`http://[${name}]/`).hostname.slice(1, -1);
  } catch {
    return name.toLowerCase();
  }
}

export function isIpAddress(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function exportKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** A positive 16-byte serial: unique per issuer, as NSS and browsers require of a re-issued certificate. */
function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f;
  bytes[0] |= 0x01;
  return Buffer.from(bytes).toString('hex');
}

/** RFC 4514: a name's value with its special characters escaped. */
function escapeName(value: string): string {
  return value.replace(/[,+"\\<>;=]/g, (char) => `\\${char}`).replace(/^[ #]|[ ]$/g, (char) => `\\${char}`);
}
