/**
 * Conditional requests and byte ranges (RFC 9110 §13 and §14) as pure functions of the request
 * headers and a file's validators. Freshness is jshttp's `fresh` and range arithmetic its
 * `range-parser`, the two that pillarjs/send uses; `If-Match`, `If-Unmodified-Since` and `If-Range`
 * are written here because send keeps its answers to them private (these are send's rules).
 */
import type { IncomingHttpHeaders } from 'node:http';
import fresh from 'fresh';
import rangeParser from 'range-parser';

/** What a response is validated against. */
export interface Validators {
  /** A strong entity tag, quotes included. */
  readonly etag: string;
  /** The Last-Modified header's value. */
  readonly lastModified: string;
  /** The Last-Modified time in milliseconds, truncated to whole seconds like the header. */
  readonly lastModifiedTime: number;
}

/** At most this many range specs are looked at; a longer list is ignored (served whole). */
const MAX_RANGES = 64;

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
  return fresh(headers, { etag: v.etag, 'last-modified': v.lastModified });
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
  // range-parser 1.x (2.x needs Node 22) refuses the empty list elements RFC 9110's list syntax
  // allows, bounds no list (a long one costs a sort per request), takes a reversed range for an
  // unsatisfiable one where the RFC makes the whole header invalid, and a suffix longer than the
  // file for unsatisfiable where the RFC means the whole file; those four rules are kept here.
  const specs = header.slice(eq + 1).split(',').map((spec) => spec.trim()).filter((spec) => spec !== '');
  if (specs.length > MAX_RANGES || specs.some(reversed)) return 'ignore';
  if (specs.length === 0) return 'unsatisfiable';
  const whole = specs.map((spec) => (/^-\d+$/.test(spec) && Number(spec.slice(1)) >= size ? '0-' : spec));
  const ranges = rangeParser(size, `bytes=${whole.join(',')}`, { combine: true });
  if (ranges === -2) return 'ignore';
  if (ranges === -1) return 'unsatisfiable';
  return ranges.length === 1 ? ranges[0] : 'ignore';
}

function reversed(spec: string): boolean {
  const m = /^(\d+)-(\d+)$/.exec(spec);
  return m !== null && Number(m[2]) < Number(m[1]);
}
