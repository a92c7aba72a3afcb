/**
 * Conditional requests and byte ranges (RFC 9110 §13 and §14), answered the way pillarjs/send and
 * jshttp/fresh answer them, as pure functions of the request headers and a file's validators.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** What a response is validated against. */
export interface Validators {
  /** A strong entity tag, quotes included. */
  readonly etag: string;
  /** The Last-Modified time in milliseconds, truncated to whole seconds like the header. */
  readonly lastModifiedTime: number;
}

/** At most this many range specs are looked at; a longer list is ignored (served whole). */
const MAX_RANGES = 64;

/** A `Cache-Control: no-cache` request is an end-to-end reload and never gets a 304. */
const NO_CACHE = /(?:^|,)\s*?no-cache\s*?(?:,|$)/;

/** Splits an entity-tag list on commas and spaces, as jshttp/fresh does. */
function tagList(value: string): string[] {
  const tags: string[] = [];
  for (const part of value.split(',')) {
    const tag = part.trim();
    if (tag !== '') tags.push(tag);
  }
  return tags;
}

/** Weak comparison: `W/"x"` and `"x"` are the same tag. */
function weakMatch(tag: string, etag: string): boolean {
  return tag === etag || tag === `W/${etag}` || `W/${tag}` === etag;
}

function httpDate(value: string | undefined): number {
  return value === undefined ? NaN : Date.parse(value);
}

/** `If-Match` or `If-Unmodified-Since` fails: the answer is 412. */
export function preconditionFailed(headers: IncomingHttpHeaders, v: Validators): boolean {
  const ifMatch = headers['if-match'];
  if (ifMatch !== undefined) {
    return ifMatch.trim() !== '*' && !tagList(ifMatch).some((tag) => weakMatch(tag, v.etag));
  }
  const unmodifiedSince = httpDate(headers['if-unmodified-since']);
  return !Number.isNaN(unmodifiedSince) && v.lastModifiedTime > unmodifiedSince;
}

/** The client's copy is current: the answer is 304. `If-None-Match` wins over `If-Modified-Since`. */
export function isFresh(headers: IncomingHttpHeaders, v: Validators): boolean {
  const noneMatch = headers['if-none-match'];
  const modifiedSince = headers['if-modified-since'];
  if (noneMatch === undefined && modifiedSince === undefined) return false;
  const cacheControl = headers['cache-control'];
  if (cacheControl !== undefined && NO_CACHE.test(cacheControl)) return false;
  if (noneMatch !== undefined) {
    return noneMatch.trim() === '*' || tagList(noneMatch).some((tag) => weakMatch(tag, v.etag));
  }
  const since = httpDate(modifiedSince);
  return !Number.isNaN(since) && v.lastModifiedTime <= since;
}

/** `If-Range` still names this representation (strong comparison for tags), so a Range applies. */
export function rangeStillValid(headers: IncomingHttpHeaders, v: Validators): boolean {
  const ifRange = headers['if-range'];
  if (ifRange === undefined) return true;
  const value = (Array.isArray(ifRange) ? ifRange.join(',') : ifRange).trim();
  if (value.includes('"')) return value === v.etag;
  const date = httpDate(value);
  return !Number.isNaN(date) && v.lastModifiedTime <= date;
}

/** One satisfiable byte range, both ends inclusive. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * What a `Range` header asks of a representation of `size` bytes:
 * - `'ignore'`: not a bytes range, invalid syntax, too many specs, or several disjoint ranges
 *   (multipart is not supported, as in send): answer 200 with the whole body;
 * - `'unsatisfiable'`: answer 416 with `Content-Range: bytes *\/size`;
 * - a range: answer 206 with that slice. Overlapping and adjacent specs are merged first.
 */
export function parseRange(size: number, header: string): ByteRange | 'ignore' | 'unsatisfiable' {
  const eq = header.indexOf('=');
  if (eq === -1 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return 'ignore';
  const specs = header.slice(eq + 1).split(',');
  if (specs.length > MAX_RANGES) return 'ignore';
  const ranges: ByteRange[] = [];
  for (const raw of specs) {
    const spec = raw.trim();
    if (spec === '') continue; // RFC 9110 list syntax tolerates empty elements
    const m = /^(\d*)-(\d*)$/.exec(spec);
    if (m === null || (m[1] === '' && m[2] === '')) return 'ignore';
    if (m[1] === '') {
      const suffix = Number(m[2]);
      if (suffix > 0 && size > 0) ranges.push({ start: Math.max(0, size - suffix), end: size - 1 });
      continue;
    }
    const start = Number(m[1]);
    const last = m[2] === '' ? Infinity : Number(m[2]);
    if (last < start) return 'ignore';
    if (start < size) ranges.push({ start, end: Math.min(last, size - 1) });
  }
  if (ranges.length === 0) return 'unsatisfiable';
  ranges.sort((a, b) => a.start - b.start);
  let merged = ranges[0];
  for (let i = 1; i < ranges.length; i++) {
    const r = ranges[i];
    if (r.start > merged.end + 1) return 'ignore';
    if (r.end > merged.end) merged = { start: merged.start, end: r.end };
  }
  return merged;
}
