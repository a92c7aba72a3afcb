/**
 * The head of a response as the app gives it: headers set with `setHeader` and those passed to
 * `writeHead`, read and taken off the way Node itself would combine them.
 */
import type { OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http';

export type Headers = OutgoingHttpHeaders | OutgoingHttpHeader[] | undefined;

/** A header as it will go out: from writeHead's argument when it names it, else as set on `res`. */
export function headerValue(res: ServerResponse, headers: Headers, name: string): string | undefined {
  if (Array.isArray(headers)) {
    // Either a flat [name, value, ...] list or a list of [name, value] pairs.
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const pair of headers as unknown as [string, OutgoingHttpHeader][]) if (String(pair[0]).toLowerCase() === name) return String(pair[1]);
    } else {
      for (let i = 0; i + 1 < headers.length; i += 2) if (String(headers[i]).toLowerCase() === name) return String(headers[i + 1]);
    }
  } else if (headers) {
    for (const key of Object.keys(headers)) {
      const value = headers[key];
      if (key.toLowerCase() === name && value !== undefined) return Array.isArray(value) ? value.join(', ') : String(value);
    }
  }
  const set = res.getHeader(name);
  return set === undefined ? undefined : Array.isArray(set) ? set.join(', ') : String(set);
}

/**
 * Every header the answer would have, as [name, value] pairs, taken off `res`: writeHead's argument
 * wins over headers set before, as in Node.
 */
export function takeHeaders(res: ServerResponse, headers: Headers): [string, OutgoingHttpHeader][] {
  const names = res.getHeaderNames();
  if (names.length === 0 && Array.isArray(headers) && (headers.length === 0 || !Array.isArray(headers[0]))) {
    const pairs: [string, OutgoingHttpHeader][] = [];
    for (let i = 0; i + 1 < headers.length; i += 2) pairs.push([String(headers[i]), headers[i + 1]]);
    return pairs;
  }
  applyHeaders(res, headers);
  const pairs: [string, OutgoingHttpHeader][] = [];
  for (const name of res.getHeaderNames()) {
    const value = res.getHeader(name);
    if (value !== undefined) pairs.push([name, value]);
    res.removeHeader(name);
  }
  return pairs;
}

/** What Node's writeHead does with its headers argument when headers were also set: they win. */
function applyHeaders(res: ServerResponse, headers: Headers): void {
  if (Array.isArray(headers)) {
    const pairs: [string, OutgoingHttpHeader][] = [];
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const pair of headers as unknown as [string, OutgoingHttpHeader][]) pairs.push([String(pair[0]), pair[1]]);
    } else {
      for (let i = 0; i + 1 < headers.length; i += 2) pairs.push([String(headers[i]), headers[i + 1]]);
    }
    for (const [name] of pairs) res.removeHeader(name);
    for (const [name, value] of pairs) res.appendHeader(name, value as string | string[]);
  } else if (headers) {
    for (const key of Object.keys(headers)) {
      const value = headers[key];
      if (value !== undefined) res.setHeader(key, value);
    }
  }
}

export function toBuffer(chunk: unknown, encoding: BufferEncoding | undefined): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding ?? 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('The "chunk" argument must be of type string, Buffer or Uint8Array');
}

/**
 * `pairs` as one flat list with each name once: with headers set beforehand, Node's writeHead
 * takes a flat list through setHeader, where a name given twice keeps only its last value.
 */
export function flatHead(pairs: readonly (readonly [string, OutgoingHttpHeader])[]): OutgoingHttpHeader[] {
  const byName = new Map<string, [string, OutgoingHttpHeader]>();
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    const seen = byName.get(key);
    if (seen === undefined) byName.set(key, [name, value]);
    else seen[1] = [...toList(seen[1]), ...toList(value)];
  }
  return [...byName.values()].flat();
}

function toList(value: OutgoingHttpHeader): string[] {
  return Array.isArray(value) ? value : [String(value)];
}

/** `headers` (writeHead's argument, left unchanged) with `name` set to `value`, replacing any of that name. */
export function withHeader(headers: Headers, name: string, value: string): Headers {
  const lower = name.toLowerCase();
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      const pairs = (headers as unknown as [string, OutgoingHttpHeader][]).filter((pair) => String(pair[0]).toLowerCase() !== lower);
      return [...pairs, [name, value]] as unknown as OutgoingHttpHeader[];
    }
    const flat: OutgoingHttpHeader[] = [];
    for (let i = 0; i + 1 < headers.length; i += 2) if (String(headers[i]).toLowerCase() !== lower) flat.push(headers[i], headers[i + 1]);
    flat.push(name, value);
    return flat;
  }
  const object: OutgoingHttpHeaders = {};
  for (const key of Object.keys(headers ?? {})) if (key.toLowerCase() !== lower) object[key] = headers![key];
  object[name] = value;
  return object;
}
