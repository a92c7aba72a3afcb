/**
 * What an engine serving HTTPS needs from the local CA: the leaf for its names, and the files its
 * child processes are pointed at so they trust the CA too.
 */
import * as os from 'node:os';
import { EngineStartError } from '../errors';
import { setCertificate, type MountsServer } from '../listener';
import { errorMessage, type Logger } from '../logger';
import type { MountsConfig } from '../spec';
import { mountsDataDir } from './dataDir';
import { ensureAuthority, ensureLeaf, readAuthorityCert, writePythonBundle, type Authority } from './store';
import type { ChildTrust } from './childTrust';
import type { KeyPair } from './x509';

/** Always in the certificate: the names a browser reaches a local server by without any config. */
const LOOPBACK_NAMES = ['localhost', '*.localhost', '127.0.0.1', '::1'];

/**
 * The names the leaf certificate must cover: the loopback names, the bind address when it is a
 * particular one (else the machine's addresses), every mount's `host` and every `allowedHosts`
 * entry, each as written: OpenSSL, Node and Chromium take no wildcard directly under a top-level
 * name, so `*.localhost` (kept for the clients that do) covers no `app.localhost` for them.
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

export class LocalHttps {
  private authority: Authority | undefined;
  private _trust: ChildTrust | undefined;
  /** The leaf last handed to a listener: a refresh that finds the same one changes nothing. */
  private served: string | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly dataDir = mountsDataDir(),
  ) {}

  /** The leaf for `names`, with the CA made first when it does not exist yet. */
  private async certificate(names: readonly string[]): Promise<KeyPair> {
    const authority = await ensureAuthority(this.logger, this.dataDir);
    if (this.authority?.cert !== authority.cert || !this._trust) {
      this._trust = { caFile: authority.certFile, bundleFile: writePythonBundle(authority, this.dataDir) };
    }
    this.authority = authority;
    return ensureLeaf(authority, names, this.dataDir);
  }

  /** The leaf a listener for `config` on `host` serves: made (with the CA, on first use) or renewed when needed. */
  async leafFor(config: Pick<MountsConfig, 'allowedHosts' | 'mounts'>, host: string): Promise<KeyPair> {
    try {
      const leaf = await this.certificate(certificateNames(config, host));
      this.served = leaf.cert;
      return leaf;
    } catch (error) {
      throw new EngineStartError(`cannot make the HTTPS certificate: ${errorMessage(error)}`, 'listen');
    }
  }

  /** Swaps a new leaf into `server` when `config`'s names or the served leaf's age call for one; true when it did. */
  async refresh(server: MountsServer, config: Pick<MountsConfig, 'allowedHosts' | 'mounts'>, host: string): Promise<boolean> {
    const served = this.served;
    const leaf = await this.leafFor(config, host);
    if (leaf.cert === served) return false;
    setCertificate(server, leaf);
    return true;
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
