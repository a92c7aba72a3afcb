/**
 * A proxy's target URL, parsed once per distinct target string into what the request path needs:
 * where to connect, the `Host` to send, the base path to join, and the origins a `Location` may
 * name, so nothing on the request path parses a URL.
 */
import type { SecureContext } from 'node:tls';
import type { Endpoint } from './upstream';

export interface Upstream {
  readonly url: string;
  /** Where the client connects (also the pool's key: one object per target). */
  readonly endpoint: Endpoint;
  /** The `Host` header the upstream receives. */
  readonly host: string;
  /** The target's path without a trailing slash; '' for none. */
  readonly basePath: string;
  /** Lower-cased `scheme://authority` and `//authority` spellings of the target's origin. */
  readonly origins: readonly string[];
  /** Lower-cased host name, for cookies' `Domain`. */
  readonly hostname: string;
}

/** Throws, naming the target, when it is not an http: or https: URL. */
export function parseUpstream(target: string, verify: boolean, secureContext: SecureContext | undefined): Upstream {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new Error(`proxy target "${target}" is not a URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`proxy target "${target}" must be an http: or https: URL.`);
  const tls = url.protocol === 'https:';
  const defaultPort = tls ? 443 : 80;
  const port = url.port === '' ? defaultPort : Number(url.port);
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const authorities = [url.host.toLowerCase()];
  if (url.port === '') authorities.push(`${url.hostname.toLowerCase()}:${defaultPort}`);
  return {
    url: target,
    endpoint: { hostname, port, tls, verify, ...(tls && secureContext ? { secureContext } : {}) },
    host: url.host,
    basePath: url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname,
    origins: authorities.flatMap((authority) => [`${url.protocol}//${authority}`, `//${authority}`]),
    hostname: hostname.toLowerCase(),
  };
}
