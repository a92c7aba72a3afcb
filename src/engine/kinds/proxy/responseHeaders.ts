/**
 * What the client receives of an answer's head: the upstream's headers minus hop-by-hop ones, with
 * the URLs that name the upstream mapped back to the public ones: a `Location` on the target's
 * path or origin, a `Set-Cookie`'s `Path`, `Domain` and (from https targets) `Secure`.
 */
import { schemeOf } from '../../forwarded';
import type { MountedRequest } from '../app';
import { relayedHeaders } from './hopByHop';
import type { Upstream } from './proxyTarget';

const COOKIE_PATH = /;\s*path\s*=\s*([^;]*)/i;
const COOKIE_DOMAIN = /;\s*domain\s*=\s*([^;]*)/i;
const COOKIE_SECURE = /;\s*secure\s*(?=;|$)/i;
const COOKIE_SAMESITE_NONE = /;\s*samesite\s*=\s*none\s*(?=;|$)/i;

/** The request an answer is for, as far as mapping its URLs back needs it. */
export interface AnsweredRequest {
  readonly req: MountedRequest;
  readonly upstream: Upstream;
  /** The mount's prefix was removed from the path sent upstream (so it is put back here). */
  readonly stripPrefix: boolean;
}

/** The response headers for the client, in one pass over the upstream's raw headers. */
export function responseHeaders(answered: AnsweredRequest, rawHeaders: string[]): string[] {
  return relayedHeaders(rawHeaders, (lower, value) =>
    lower === 'location' ? publicLocation(answered, value) : lower === 'set-cookie' ? publicCookie(answered, value) : value,
  );
}

/** The public path for an upstream path, or undefined when the mount cannot reach it. */
function publicPath(answered: AnsweredRequest, path: string, cookie: boolean): string | undefined {
  const publicBase = answered.stripPrefix ? answered.req.baseUrl : '';
  const base = answered.upstream.basePath;
  let rest = path;
  if (base !== '') {
    if (!path.startsWith(base)) return undefined;
    rest = path.slice(base.length);
    const next = rest.charCodeAt(0);
    // Only on a segment boundary: '/base' covers '/base/x' and '/base?q', not '/baseline'.
    if (rest !== '' && next !== 47 /* / */ && next !== 63 /* ? */ && next !== 35 /* # */) return undefined;
  }
  if (publicBase === '') return rest === '' || rest.charCodeAt(0) !== 47 ? `/${rest}` : rest;
  // A cookie scoped to the upstream's root is scoped to the mount, '/api' (so '/api' itself sends it).
  if (cookie && rest === '/') return publicBase;
  return publicBase + rest;
}

function publicLocation(answered: AnsweredRequest, location: string): string {
  const first = location.charCodeAt(0);
  if (first === 47 /* / */ && location.charCodeAt(1) !== 47) {
    return publicPath(answered, location, false) ?? location;
  }
  // Absolute (or scheme-relative) to the upstream's origin: the public origin, with the public path.
  const lower = location.toLowerCase();
  for (const origin of answered.upstream.origins) {
    if (!lower.startsWith(origin)) continue;
    const rest = location.slice(origin.length);
    const next = rest.charCodeAt(0);
    if (rest !== '' && next !== 47 /* / */ && next !== 63 /* ? */ && next !== 35 /* # */) continue;
    const path = publicPath(answered, rest === '' || next !== 47 ? `/${rest}` : rest, false);
    if (path === undefined) return location;
    const front = answered.req.front;
    const host = front ? front.host : answered.req.headers.host;
    return host === undefined ? path : `${front ? front.proto : schemeOf(answered.req)}://${host}${path}`;
  }
  return location;
}

function publicCookie(answered: AnsweredRequest, cookie: string): string {
  let out = cookie;
  const domain = COOKIE_DOMAIN.exec(out);
  if (domain !== null && cookieDomainMatches(answered.upstream.hostname, domain[1])) {
    // Scoped to the target's host, the cookie belongs to the public host now: host-only there.
    out = out.slice(0, domain.index) + out.slice(domain.index + domain[0].length);
  }
  if (answered.upstream.endpoint.tls) {
    // The public origin is plain http, where a browser would not store a Secure cookie; and
    // SameSite=None is refused without Secure, so such a cookie becomes the browsers' default, Lax.
    out = out.replace(COOKIE_SECURE, '').replace(COOKIE_SAMESITE_NONE, '; SameSite=Lax');
  }
  const match = COOKIE_PATH.exec(out);
  if (match === null || match[1].charCodeAt(0) !== 47) return out;
  const path = publicPath(answered, match[1].trim(), true);
  if (path === undefined) return out;
  const start = match.index + match[0].length - match[1].length;
  return out.slice(0, start) + path + out.slice(start + match[1].length);
}

/** Whether a cookie's `Domain` attribute covers `hostname` (RFC 6265 5.1.3, leading dot ignored). */
function cookieDomainMatches(hostname: string, domain: string): boolean {
  let name = domain.trim().toLowerCase();
  if (name.startsWith('.')) name = name.slice(1);
  return name !== '' && (hostname === name || hostname.endsWith(`.${name}`));
}
