/**
 * What an engine serving HTTPS needs from the local CA: the leaf for its names, and the files its
 * child processes are pointed at so they trust the CA too.
 */
import * as os from 'node:os';
import type { Logger } from '../logger';
import type { MountsConfig } from '../spec';
import { mountsDataDir } from './dataDir';
import { ensureAuthority, ensureLeaf, readAuthorityCert, writePythonBundle, type Authority } from './store';
import type { KeyPair } from './x509';

/** Always in the certificate: the names a browser reaches a local server by without any config. */
const LOOPBACK_NAMES = ['localhost', '*.localhost', '127.0.0.1', '::1'];

/** The trust files of a running HTTPS engine, for the environment of its child processes. */
export interface ChildTrust {
  /** The CA certificate alone (NODE_EXTRA_CA_CERTS adds to Node's roots). */
  readonly caFile: string;
  /** The system's roots plus the CA (SSL_CERT_FILE and REQUESTS_CA_BUNDLE replace the roots). */
  readonly bundleFile: string;
}

/**
 * The names the leaf certificate must cover: the loopback names, the bind address when it is a
 * particular one (else the machine's addresses), every mount's `host` and every `allowedHosts` entry, each as written: OpenSSL,
 * Node and Chromium take no wildcard directly under a top-level name, so `*.localhost` (kept for
 * the clients that do) covers no `app.localhost` for them.
 */
export function certificateNames(
  config: Pick<MountsConfig, 'allowedHosts' | 'mounts'>,
  bindHost: string,
  interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces(),
): string[] {
  const names = new Set(LOOPBACK_NAMES);
  const add = (host: string) => names.add(host.replace(/^\[(.*)\]$/, '$1').toLowerCase());
  if (bindHost !== '0.0.0.0' && bindHost !== '::') add(bindHost);
  // On every interface, other machines come by this one's addresses (the banner lists them).
  else for (const address of Object.values(interfaces).flat()) if (address && !address.internal) add(address.address.replace(/%.*$/, ''));
  for (const mount of config.mounts) if (mount.host !== undefined) add(mount.host);
  for (const host of config.allowedHosts) add(host);
  return [...names];
}

/** Environment variables that make a child's Node, Python and OpenSSL-based clients trust the CA. */
export function trustEnvironment(trust: ChildTrust): Record<string, string> {
  // Every child gets all of them: a command mount is often Python (`manage.py runserver`) or a tool
  // built on OpenSSL, which read SSL_CERT_FILE; Node reads only NODE_EXTRA_CA_CERTS.
  return {
    NODE_EXTRA_CA_CERTS: trust.caFile,
    SSL_CERT_FILE: trust.bundleFile,
    REQUESTS_CA_BUNDLE: trust.bundleFile,
  };
}

export class LocalHttps {
  private authority: Authority | undefined;
  private _trust: ChildTrust | undefined;
  private leafNames: string | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly dataDir = mountsDataDir(),
  ) {}

  /** The leaf for `names`, with the CA made first when it does not exist yet. */
  async certificate(names: readonly string[]): Promise<KeyPair> {
    const authority = await ensureAuthority(this.logger, this.dataDir);
    if (this.authority?.cert !== authority.cert || !this._trust) {
      this._trust = { caFile: authority.certFile, bundleFile: writePythonBundle(authority, this.dataDir) };
    }
    this.authority = authority;
    const leaf = await ensureLeaf(authority, names, this.dataDir);
    this.leafNames = [...names].sort().join(' ');
    return leaf;
  }

  /** Whether `names` differ from those of the leaf last handed out. */
  namesChanged(names: readonly string[]): boolean {
    return [...names].sort().join(' ') !== this.leafNames;
  }

  /** Set once a certificate was made: the files child processes are pointed at. */
  get trust(): ChildTrust | undefined {
    return this._trust;
  }

  /** The CA certificate (PEM) when the user has one; read, never made. */
  authorityCert(): string | undefined {
    return this.authority?.cert ?? readAuthorityCert(this.dataDir);
  }
}
