/**
 * A live mount's HTML has two representations at one URL: with the script for a browser's
 * navigation, byte for byte as the app wrote it for fetch() and XHR. A browser cache keeps one
 * answer per URL, so the two must never pass for each other:
 * - both say that they vary by what tells them apart (`Vary`), so a cache keeps them apart;
 * - the injected copy's entity tag is the app's own with a suffix naming Mounts' copy (and the
 *   client script and mount it holds), so a revalidation names the copy it holds. For a
 *   navigation, If-None-Match keeps only the tags of injected copies, given back to the app as its
 *   own; a tag of the app's copy cannot be the injected one, and must not earn a 304.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LIVE_CLIENT_ETAG } from './client';
import { isInjectableType } from './documents';
import { headerValue, withHeader, type Headers } from './responseHead';

type WriteHead = (this: ServerResponse, status: number, reason?: string, headers?: Headers) => ServerResponse;

/** The request headers `isDocumentNavigation` reads: answers that may be injected vary by them. */
export const NAVIGATION_VARY = ['Sec-Fetch-Dest', 'Accept', 'HX-Request', 'X-Requested-With'];
const NAVIGATION_VARY_VALUE = NAVIGATION_VARY.join(', ');

/** The suffix of the injected copies' tags, one per mount (and client script version). */
const SUFFIXES = new Map<string, string>();

export function tagSuffix(mountId: string): string {
  let suffix = SUFFIXES.get(mountId);
  if (suffix === undefined) {
    // Ids come from mounts.json, but a long-running editor sees many configs: stay bounded.
    if (SUFFIXES.size >= 1000) SUFFIXES.clear();
    suffix = `live-${createHash('sha1').update(`${LIVE_CLIENT_ETAG}\0${mountId}`).digest('base64url').slice(0, 10)}`;
    SUFFIXES.set(mountId, suffix);
  }
  return suffix;
}

/**
 * The tag of the injected copy: weak (the body is the app's with a script in it, not the bytes its
 * tag named), with a letter keeping whether the app's own was weak, so it comes back unchanged.
 */
export function injectedTag(etag: string, suffix: string): string {
  const weak = etag.startsWith('W/');
  const opaque = weak ? etag.slice(2) : etag;
  if (opaque.length < 2 || !opaque.startsWith('"') || !opaque.endsWith('"')) return etag;
  return `W/${opaque.slice(0, -1)}.${weak ? 'w' : 's'}${suffix}"`;
}

/** The app's own tag for a tag of an injected copy with this suffix, else undefined. */
function appTag(tag: string, suffix: string): string | undefined {
  if (!tag.startsWith('W/"') || !tag.endsWith(`${suffix}"`)) return undefined;
  const end = tag.length - suffix.length - 3;
  const letter = tag[end + 1];
  if (tag[end] !== '.' || (letter !== 's' && letter !== 'w')) return undefined;
  return `${letter === 'w' ? 'W/' : ''}${tag.slice(2, end)}"`;
}

/**
 * Rewrites a navigation's If-None-Match for the app: the tags of injected copies become the app's
 * own, the app's own tags go. When none is left the client holds no injected copy, and neither
 * validator may earn a 304 (If-Modified-Since would, were If-None-Match simply removed).
 */
export function translateConditional(req: IncomingMessage, suffix: string): void {
  const noneMatch = req.headers['if-none-match'];
  if (noneMatch === undefined) return;
  const kept: string[] = [];
  for (const part of noneMatch.split(',')) {
    const tag = part.trim();
    const own = tag === '*' ? tag : appTag(tag, suffix);
    if (own !== undefined) kept.push(own);
  }
  const value = kept.length ? kept.join(', ') : undefined;
  setRequestHeader(req, 'if-none-match', value);
  if (value === undefined) setRequestHeader(req, 'if-modified-since', undefined);
}

/** Sets or removes a request header in both `headers` and `rawHeaders` (the proxy relays the latter). */
function setRequestHeader(req: IncomingMessage, name: string, value: string | undefined): void {
  if (value === undefined) delete req.headers[name];
  else req.headers[name] = value;
  const raw = req.rawHeaders;
  const kept: string[] = [];
  let placed = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i].toLowerCase() !== name) kept.push(raw[i], raw[i + 1]);
    else if (value !== undefined && !placed) {
      kept.push(raw[i], value);
      placed = true;
    }
  }
  raw.length = 0;
  raw.push(...kept);
}

/** `existing` Vary with the navigation headers added (unless it is `*`, which says it all). */
export function withNavigationVary(existing: string | undefined): string {
  if (existing === undefined || existing.trim() === '') return NAVIGATION_VARY_VALUE;
  const names = existing.split(',').map((name) => name.trim().toLowerCase());
  if (names.includes('*')) return existing;
  const missing = NAVIGATION_VARY.filter((name) => !names.includes(name.toLowerCase()));
  return missing.length ? `${existing}, ${missing.join(', ')}` : existing;
}

/**
 * For a GET or HEAD of a live mount that is not a navigation: an answer that a navigation would
 * get injected says that it varies. Only writeHead is wrapped (Node's implicit head calls it too),
 * by one shared function, so that the many answers that are not HTML cost next to nothing.
 */
export function varyWithoutInjection(res: ServerResponse): void {
  (res as unknown as { writeHead: WriteHead }).writeHead = varyingWriteHead;
}

function varyingWriteHead(this: ServerResponse, status: number, reasonOrHeaders?: string | Headers, maybeHeaders?: Headers): ServerResponse {
  const own = (Object.getPrototypeOf(this) as { writeHead: WriteHead }).writeHead;
  // Assigned back, not deleted: see Injection.uninstall.
  (this as unknown as { writeHead: WriteHead }).writeHead = own;
  const reason = typeof reasonOrHeaders === 'string' ? reasonOrHeaders : undefined;
  let headers = typeof reasonOrHeaders === 'string' ? maybeHeaders : reasonOrHeaders;
  if (status === 200 && isInjectableType(headerValue(this, headers, 'content-type'))) {
    headers = withHeader(headers, 'Vary', withNavigationVary(headerValue(this, headers, 'vary')));
  }
  return own.call(this, status, reason, headers);
}
