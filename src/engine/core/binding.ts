/**
 * Where an engine listens: its one server, the address it was asked for (mounts.json's, or the
 * CLI's and the editor's overrides), plain HTTP or TLS with the local CA's leaf, and the URLs that
 * follow from it. The engine's lifecycle decides when; this knows how.
 */
import type { AddressInfo } from 'node:net';
import type { Dispatcher } from '../dispatch';
import { EngineStartError } from '../errors';
import { closeServer, destroyUpgraded, isSecure, listen, setConnectionLimits, type MountsServer } from '../listener';
import type { Logger } from '../logger';
import { isWildcardAddress, networkUrls } from '../reachable';
import type { MountSpec, MountsConfig } from '../spec';
import type { ChildTrust } from '../tls/childTrust';
import { LocalHttps } from '../tls/localHttps';
import type { KeyPair } from '../tls/x509';

export interface BindingOptions {
  readonly logger: Logger;
  readonly dispatcher: Dispatcher;
  /** Milliseconds an old listener's requests get to finish after a rebind. */
  readonly gracePeriod: number;
  readonly host?: string;
  readonly port?: number;
  readonly https?: boolean;
  readonly dataDir?: string;
  /** mounts.json's host, for a server that has no address yet. */
  readonly configHost: () => string | undefined;
}

export class Binding {
  private _server: MountsServer | undefined;
  /** The host and port as asked for (before resolution) of the current listener. */
  private asked: { readonly host: string; readonly port: number } | undefined;
  private portOverride: number | undefined;
  private readonly localHttps: LocalHttps;
  /** Whether the current config is served over HTTPS: its child processes are made to trust the CA. */
  private _servingHttps = false;

  constructor(private readonly options: BindingOptions) {
    this.portOverride = options.port;
    this.localHttps = new LocalHttps(options.logger, options.dataDir);
  }

  get server(): MountsServer | undefined {
    return this._server;
  }

  get servingHttps(): boolean {
    return this._servingHttps;
  }

  /** What child processes are told to trust while HTTPS is served. */
  get trust(): ChildTrust | undefined {
    return this._servingHttps ? this.localHttps.trust : undefined;
  }

  /** The local CA's certificate (PEM) when the user has one. */
  authorityCert(): string | undefined {
    return this.localHttps.authorityCert();
  }

  get port(): number | undefined {
    const address = this._server?.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  get url(): string | undefined {
    const port = this.port;
    return port === undefined ? undefined : `${this.scheme()}://${browserHost(this.boundHost())}:${port}/`;
  }

  get networkUrls(): string[] {
    const port = this.port;
    if (port === undefined) return [];
    const urls = networkUrls(this.boundHost(), port);
    return this.scheme() === 'https' ? urls.map((url) => url.replace(/^http:/, 'https:')) : urls;
  }

  /** Where a browser reaches `spec` while listening. */
  urlOf(spec: Pick<MountSpec, 'prefix' | 'host'>): string | undefined {
    const port = this.port;
    if (port === undefined) return undefined;
    const host = spec.host ?? browserHost(this.boundHost());
    return `${this.scheme()}://${host}:${port}${spec.prefix === '/' ? '/' : `${spec.prefix}/`}`;
  }

  setPortOverride(port: number | undefined): void {
    this.portOverride = port;
  }

  host(config: MountsConfig): string {
    return this.options.host ?? config.host;
  }

  /**
   * Decides plain or TLS for `config` and makes the leaf, before the apps: an eager command starts
   * with them, and its environment names the CA.
   */
  async prepare(config: MountsConfig): Promise<KeyPair | undefined> {
    this._servingHttps = this.https(config);
    return this._servingHttps ? this.localHttps.leafFor(config, this.host(config)) : undefined;
  }

  /** Listens for `config` (with the leaf `prepare` made); rejects with an EngineStartError. */
  async open(config: MountsConfig, secure: KeyPair | undefined): Promise<void> {
    const host = this.host(config);
    const port = this.portOf(config);
    this.adopt(await listen(this.options.dispatcher, host, port, this.options.logger, config.connections, secure), host, port);
  }

  /**
   * A reloaded config on the listener: a new host, port or scheme rebinds, a new set of names gets a
   * new leaf. Says whether it rebound, and whether the scheme changed (children then restart to
   * take the CA or drop it).
   * On failure the old listener still serves when `listening` says so.
   */
  async apply(config: MountsConfig): Promise<{ rebound: boolean; schemeChanged: boolean }> {
    // The host is compared as configured, not as resolved ("localhost" must not rebind on every
    // reload); port 0 means any free port, which the current one is.
    const port = this.portOf(config);
    const https = this.https(config);
    const schemeChanged = https !== this._servingHttps;
    const rebound = this.host(config) !== this.asked?.host || (port !== 0 && port !== this.port) || schemeChanged;
    if (rebound) {
      await this.rebind(config);
    } else if (https) {
      // A host added or gone, or the leaf near its end: connections from now on get the new leaf.
      await this.refreshCertificate(config);
    }
    this._servingHttps = https;
    return { rebound, schemeChanged };
  }

  /** Swaps in a new leaf when `config`'s names or the leaf's age call for one; true when it did. */
  async refreshCertificate(config: MountsConfig): Promise<boolean> {
    return this._server ? this.localHttps.refresh(this._server, config, this.host(config)) : false;
  }

  setConnectionLimits(config: MountsConfig): void {
    if (this._server) setConnectionLimits(this._server, config.connections);
  }

  get listening(): boolean {
    return this._server?.listening ?? false;
  }

  /** Ends upgraded connections (WebSockets) at once: they have no request to finish. */
  endUpgraded(): void {
    if (this._server) destroyUpgraded(this._server);
  }

  /** Closes the listener after `grace` ms of in-flight requests. */
  async close(grace: number): Promise<void> {
    if (this._server) await closeServer(this._server, grace);
  }

  /** Forgets the listener (after `close`, or when stopping gave up on it). */
  forget(): void {
    this._server = undefined;
    this.asked = undefined;
  }

  private async rebind(config: MountsConfig): Promise<void> {
    const old = this._server;
    const previous = this.asked && { host: this.asked.host, port: this.port ?? this.asked.port };
    const host = this.host(config);
    const port = this.portOf(config);
    try {
      this.adopt(await this.listen(host, port, config), host, port);
    } catch (error) {
      // The same port on another address may collide with our own socket: free it and try once more.
      if (!old || !previous || !(error instanceof EngineStartError) || error.reason !== 'port' || port !== previous.port) throw error;
      await closeServer(old, 0);
      try {
        this.adopt(await this.listen(host, port, config), host, port);
      } catch (retryError) {
        // Back to the old address; when even that fails, the caller stops the engine.
        this.adopt(await this.listen(previous.host, previous.port, config), previous.host, previous.port);
        throw retryError;
      }
      this.announce();
      return;
    }
    if (old) void closeServer(old, this.options.gracePeriod).catch((error) => this.options.logger.error('closing the old listener failed', error));
    this.announce();
  }

  private announce(): void {
    this.options.logger.info(`now listening at ${this.url}`);
    this.warnIfOpenToNetwork();
  }

  /** A listener for `config` on `host:port`: with TLS and a current leaf when the config asks for HTTPS. */
  private async listen(host: string, port: number, config: MountsConfig): Promise<MountsServer> {
    const secure = this.https(config) ? await this.localHttps.leafFor(config, host) : undefined;
    return listen(this.options.dispatcher, host, port, this.options.logger, config.connections, secure);
  }

  /** A wildcard bind serves every app (and the code they run) to the network: say so, and where. */
  warnIfOpenToNetwork(): void {
    const bound = this.boundHost();
    if (!isWildcardAddress(bound)) return;
    const urls = this.networkUrls;
    this.options.logger.warn(
      `listening on every network interface (${bound}): the apps are reachable from the network${urls.length ? ` at ${urls.join(', ')}` : ''}; ` +
        `bind 127.0.0.1 ("host" in mounts.json) to keep them on this machine. (A browser there is refused until the address is in "allowedHosts"; other clients set any Host they like.)`,
    );
  }

  private adopt(server: MountsServer, host: string, port: number): void {
    this._server = server;
    this.asked = { host, port };
  }

  private https(config: MountsConfig): boolean {
    return this.options.https ?? config.https;
  }

  private portOf(config: MountsConfig): number {
    return this.portOverride ?? config.port;
  }

  private scheme(): 'http' | 'https' {
    return this._server && isSecure(this._server) ? 'https' : 'http';
  }

  private boundHost(): string {
    const address = this._server?.address() as AddressInfo | null | undefined;
    return address?.address ?? this.options.host ?? this.options.configHost() ?? '127.0.0.1';
  }
}

/**
 * The host name of the URLs Mounts prints and opens. Loopback is `localhost`: frameworks' dev-origin
 * checks accept it where they refuse 127.0.0.1 (Next.js's does), and a browser reaches the same
 * socket by it (it tries 127.0.0.1 when ::1 refuses).
 */
function browserHost(bound: string): string {
  if (bound === '0.0.0.0' || bound === '::' || bound === '127.0.0.1' || bound === '::1') return 'localhost';
  return bound.includes(':') ? `[${bound}]` : bound;
}
