/**
 * Puts the live reload script into one HTML answer, whatever produced it (a static file, a module
 * app, a proxied or command upstream): the response's own writeHead/write/end are wrapped for
 * this one response, so every app kind is covered without any of them knowing.
 *
 * The wrap decides at the status line. Anything but a 200 text/html or application/xhtml+xml
 * answer (a 304, a 206, an error page, an image) puts the response's own methods back and goes out
 * exactly as the app wrote it. An injected answer:
 * - is decoded when gzip, deflate or br encoded, and sent unencoded (the app's compression is
 *   undone rather than redone: this runs on loopback, where bytes are cheap and CPU is not);
 * - streams: only the bytes up to `<head…>` are held back, never the whole page;
 * - has its Content-Length grown by the tag (or dropped when encoded), its strong ETag made weak
 *   (the body differs from the one the tag named), range support and digests dropped;
 * - has its Content-Security-Policy opened for the script and its socket (see `csp.ts`).
 * A HEAD gets the head its GET would get, and no body.
 */
import { randomBytes } from 'node:crypto';
import type { OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import * as zlib from 'node:zlib';
import { escapeHtml } from '../pages';
import { patchPolicies } from './csp';
import { isInjectableType } from './documents';
import { findInsertionPoint } from './htmlHead';
import { LIVE_SCRIPT_PATH } from './namespace';

type Headers = OutgoingHttpHeaders | OutgoingHttpHeader[] | undefined;
type Callback = (error?: Error | null) => void;
/** The response's own methods, called with whatever arguments the app passed. */
type Method = (this: ServerResponse, ...args: unknown[]) => unknown;

/** Headers that describe the bytes as the app wrote them, and no longer hold for the injected body. */
const DROPPED = ['accept-ranges', 'content-md5', 'digest', 'content-digest', 'repr-digest'];

/** Wraps `res` so that a 200 HTML answer gets the script of mount `mountId`. */
export function injectLiveScript(res: ServerResponse, mountId: string): void {
  new Injection(res, mountId).install();
}

class Injection {
  /** The response class's own methods (the wraps are instance properties shadowing them). */
  private readonly own: { readonly writeHead: Method; readonly write: Method; readonly end: Method };
  private decided = false;
  private injecting = false;
  /** The status line, written with the first bytes of the body (a UTF-16 page gets its own head back). */
  private head:
    | {
        readonly status: number;
        readonly reason: string | undefined;
        readonly headers: OutgoingHttpHeader[];
        /** Where Content-Length is (or would be) in `headers`. */
        readonly lengthIndex: number;
        readonly contentLength: string | undefined;
      }
    | undefined;
  private decoder: Decoder | undefined;
  /** A HEAD: the head GET would get, and no body. */
  private readonly bodiless: boolean;
  /** Bytes held back until the insertion point is known; undefined once the tag is out. */
  private held: Buffer[] | undefined = [];
  private heldBytes = 0;
  private heldCallbacks: Callback[] = [];
  private tag: Buffer | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly mountId: string,
  ) {
    this.bodiless = res.req.method === 'HEAD';
    const prototype = Object.getPrototypeOf(res) as Record<'writeHead' | 'write' | 'end', Method>;
    this.own = { writeHead: prototype.writeHead, write: prototype.write, end: prototype.end };
  }

  install(): void {
    const res = this.res as unknown as Record<string, unknown>;
    res.writeHead = this.writeHead;
    res.write = this.write;
    res.end = this.end;
  }

  /**
   * Puts the response's own methods back. Assigned, not deleted: `delete` would turn the response
   * into a dictionary-mode object and slow down everything Node does with it afterwards.
   */
  private uninstall(all: boolean): void {
    const res = this.res as unknown as Record<string, unknown>;
    res.writeHead = this.own.writeHead;
    if (all) {
      res.write = this.own.write;
      res.end = this.own.end;
    }
  }

  private readonly writeHead = (status: number, reasonOrHeaders?: string | Headers, maybeHeaders?: Headers): ServerResponse => {
    const reason = typeof reasonOrHeaders === 'string' ? reasonOrHeaders : undefined;
    const headers = typeof reasonOrHeaders === 'string' ? maybeHeaders : reasonOrHeaders;
    this.decide(status, reason, headers, undefined);
    if (!this.injecting) this.own.writeHead.call(this.res, status, reasonOrHeaders, maybeHeaders);
    return this.res;
  };

  /**
   * Decides at the status line; on injection writes the changed head. `knownLength`: the whole
   * body's length when `end(body)` is the first write (Node would have sent it as Content-Length).
   */
  private decide(status: number, reason: string | undefined, headers: Headers, knownLength: number | undefined): void {
    this.uninstall(false);
    this.decided = true;
    const res = this.res;
    const contentType = headerValue(res, headers, 'content-type');
    const encoding = (headerValue(res, headers, 'content-encoding') ?? 'identity').trim().toLowerCase();
    const coding = status === 200 && isInjectableType(contentType) ? codingOf(encoding) : null;
    if (coding === null) {
      this.uninstall(true);
      return;
    }
    this.injecting = true;
    const decoding = coding !== 'identity';
    // The head goes out as one flat list given to writeHead: with no header set beforehand (a
    // static file's answer) Node takes it as is, the cheapest way it has.
    const pairs = takeHeaders(res, headers);
    const out: OutgoingHttpHeader[] = [];
    const policies: string[] = [];
    let declared: string | undefined;
    for (const [name, value] of pairs) {
      const lower = name.toLowerCase();
      if (lower === 'content-length') declared = String(value);
      else if (lower === 'content-security-policy') policies.push(...(Array.isArray(value) ? value : [String(value)]));
      else if (lower === 'etag' && typeof value === 'string' && !value.startsWith('W/')) out.push(name, `W/${value}`);
      else if (!(decoding && lower === 'content-encoding') && !DROPPED.includes(lower)) out.push(name, value);
    }
    let nonce: string | undefined;
    if (policies.length) {
      const patched = patchPolicies(policies, () => randomBytes(16).toString('base64'));
      nonce = patched.nonce;
      // One entry for them all: given twice, the second would replace the first in Node's writeHead.
      out.push('Content-Security-Policy', patched.values.length === 1 ? patched.values[0] : patched.values);
    }
    this.tag = nonce === undefined ? plainTag(this.mountId) : Buffer.from(scriptTag(this.mountId, nonce));
    const length = declared !== undefined ? Number(declared) : knownLength;
    const lengthIndex = out.length;
    if (!decoding && length !== undefined && Number.isSafeInteger(length) && length >= 0) out.push('Content-Length', String(length + this.tag.length));
    this.head = { status, reason, headers: out, lengthIndex, contentLength: declared };
    if (decoding && !this.bodiless) this.pipeDecoder(makeDecoder(coding));
  }

  private pipeDecoder(decoder: Decoder): void {
    this.decoder = decoder;
    const res = this.res;
    decoder.on('data', (chunk: Buffer) => {
      if (!this.emit(chunk, undefined)) {
        decoder.pause();
        res.once('drain', () => decoder.resume());
      }
    });
    decoder.on('end', () => this.finish(undefined));
    // A body that does not decode can only be cut: the head is out.
    decoder.on('error', () => res.destroy());
    res.once('close', () => decoder.destroy());
  }

  private readonly write = (chunk: unknown, encodingOrCallback?: BufferEncoding | Callback, maybeCallback?: Callback): boolean => {
    const res = this.res;
    if (!this.decided) {
      this.decide(res.statusCode, undefined, undefined, undefined);
      if (!this.injecting) return this.own.write.call(res, chunk, encodingOrCallback, maybeCallback) as boolean;
    }
    if (this.bodiless) {
      // Node drops a HEAD's body itself, once the head is out.
      this.sendHead();
      return this.own.write.call(res, chunk, encodingOrCallback, maybeCallback) as boolean;
    }
    const callback = typeof encodingOrCallback === 'function' ? encodingOrCallback : maybeCallback;
    const bytes = toBuffer(chunk, typeof encodingOrCallback === 'string' ? encodingOrCallback : undefined);
    if (this.decoder) {
      const more = this.decoder.write(bytes, callback);
      // The app waits for 'drain' on the response; the decoder's own drain stands in for it.
      if (!more) this.decoder.once('drain', () => res.emit('drain'));
      return more;
    }
    return this.emit(bytes, callback);
  };

  private readonly end = (chunk?: unknown, encodingOrCallback?: BufferEncoding | Callback, maybeCallback?: Callback): ServerResponse => {
    const res = this.res;
    if (typeof chunk === 'function') {
      maybeCallback = chunk as Callback;
      chunk = undefined;
    }
    const encoding = typeof encodingOrCallback === 'string' ? encodingOrCallback : undefined;
    const callback = typeof encodingOrCallback === 'function' ? encodingOrCallback : maybeCallback;
    const bytes = chunk === undefined || chunk === null ? undefined : toBuffer(chunk, encoding);
    if (!this.decided) {
      // Node sends no Content-Length of its own for a HEAD.
      const needsLength = !this.bodiless && !res.hasHeader('content-length') && !res.hasHeader('transfer-encoding');
      this.decide(res.statusCode, undefined, undefined, needsLength ? (bytes?.length ?? 0) : undefined);
      if (!this.injecting) {
        this.own.end.call(res, chunk, encodingOrCallback, maybeCallback);
        return res;
      }
    }
    this.uninstall(true);
    if (this.bodiless) {
      this.sendHead();
      this.own.end.call(res, callback);
      return res;
    }
    if (this.decoder) {
      if (callback) res.once('finish', () => callback());
      if (bytes) this.decoder.end(bytes);
      else this.decoder.end();
      return res;
    }
    this.finish(bytes, callback);
    return res;
  };

  /** Sends decoded bytes on, holding them back until the place of the tag is known. */
  private emit(bytes: Buffer, callback: Callback | undefined): boolean {
    if (this.held === undefined) return this.own.write.call(this.res, bytes, callback) as boolean;
    this.held.push(bytes);
    this.heldBytes += bytes.length;
    if (callback) this.heldCallbacks.push(callback);
    const out = this.release(false);
    if (out === undefined) return true;
    this.sendHead();
    return this.own.write.call(this.res, out, this.flushCallback()) as boolean;
  }

  /** The last bytes: anything held goes out with the tag, and the response ends. */
  private finish(last: Buffer | undefined, callback?: Callback): void {
    if (last) {
      if (this.held === undefined) {
        this.own.end.call(this.res, last, callback);
        return;
      }
      this.held.push(last);
      this.heldBytes += last.length;
    }
    if (callback) this.heldCallbacks.push(callback);
    const out = this.held === undefined ? undefined : this.release(true);
    this.sendHead();
    this.own.end.call(this.res, out, this.flushCallback());
  }

  /** The held bytes with the tag inserted, once its place is known (always when `final`). */
  private release(final: boolean): Buffer | undefined {
    const bytes = this.held!.length === 1 ? this.held![0] : Buffer.concat(this.held!, this.heldBytes);
    const at = findInsertionPoint(bytes, final);
    if (at === 'more') return undefined;
    this.held = undefined;
    if (at === 'never') {
      // A UTF-16 page: an ASCII tag would show as text in it, so it goes out as the app wrote it.
      this.tag = undefined;
      return bytes;
    }
    return Buffer.concat([bytes.subarray(0, at), this.tag!, bytes.subarray(at)]);
  }

  private sendHead(): void {
    const head = this.head;
    if (head === undefined) return;
    this.head = undefined;
    if (this.tag === undefined && this.decoder === undefined) {
      // Left as the app wrote it: its own length again.
      head.headers.length = head.lengthIndex;
      if (head.contentLength !== undefined) head.headers.push('Content-Length', head.contentLength);
    }
    this.own.writeHead.call(this.res, head.status, head.reason, head.headers);
  }

  private flushCallback(): Callback | undefined {
    const callbacks = this.heldCallbacks;
    if (callbacks.length === 0) return undefined;
    this.heldCallbacks = [];
    return (error) => {
      for (const callback of callbacks) callback(error);
    };
  }
}

/** The tag without a nonce, built once per mount: it is the same on every page of that mount. */
const PLAIN_TAGS = new Map<string, Buffer>();

function plainTag(mountId: string): Buffer {
  let tag = PLAIN_TAGS.get(mountId);
  if (tag === undefined) {
    // Ids come from mounts.json, but a long-running editor sees many configs: stay bounded.
    if (PLAIN_TAGS.size >= 1000) PLAIN_TAGS.clear();
    PLAIN_TAGS.set(mountId, (tag = Buffer.from(scriptTag(mountId, undefined))));
  }
  return tag;
}

export function scriptTag(mountId: string, nonce: string | undefined): string {
  return `<script src="${LIVE_SCRIPT_PATH}" data-mount="${escapeHtml(mountId)}"${nonce ? ` nonce="${nonce}"` : ''}></script>`;
}

type Coding = 'identity' | 'gzip' | 'deflate' | 'br';
type Decoder = zlib.Gunzip | zlib.Inflate | zlib.InflateRaw | zlib.BrotliDecompress;

/** null: an encoding we cannot undo (the answer goes out untouched). */
function codingOf(encoding: string): Coding | null {
  switch (encoding) {
    case 'identity':
    case '':
      return 'identity';
    case 'gzip':
    case 'x-gzip':
      return 'gzip';
    case 'deflate':
    case 'br':
      return encoding;
    default:
      return null;
  }
}

function makeDecoder(coding: Exclude<Coding, 'identity'>): Decoder {
  return coding === 'gzip' ? zlib.createGunzip() : coding === 'deflate' ? zlib.createInflate() : zlib.createBrotliDecompress();
}

/** A header as it will go out: from writeHead's argument when it names it, else as set on `res`. */
function headerValue(res: ServerResponse, headers: Headers, name: string): string | undefined {
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
function takeHeaders(res: ServerResponse, headers: Headers): [string, OutgoingHttpHeader][] {
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

function toBuffer(chunk: unknown, encoding: BufferEncoding | undefined): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding ?? 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('The "chunk" argument must be of type string, Buffer or Uint8Array');
}
