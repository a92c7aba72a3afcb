/**
 * Puts the live reload script into one HTML answer, whatever produced it (a static file, a module
 * app, a proxied or command upstream): the response's own writeHead/write/end are wrapped for
 * this one response, so every app kind is covered without any of them knowing.
 *
 * The wrap decides at the status line. Anything but a 200 text/html or application/xhtml+xml
 * answer (a 206, an error page, an image) puts the response's own methods back and goes out
 * exactly as the app wrote it; a 304 only names the injected copy it confirms (`validators.ts`).
 * An injected answer:
 * - is decoded when gzip, deflate or br encoded, and sent unencoded (the app's compression is
 *   undone rather than redone: this runs on loopback, where bytes are cheap and CPU is not); a
 *   body that does not decode goes out as the app wrote it, and the log says why (`decoder.ts`);
 * - streams: only the bytes up to `<head…>` are held back, never the whole page;
 * - has its Content-Length grown by the tag (or dropped when encoded), an ETag of its own and a
 *   Vary (it must never pass for the app's bytes in a cache, see `validators.ts`), range support
 *   and digests dropped;
 * - has its Content-Security-Policy opened for the script and its socket (see `csp.ts`).
 * A HEAD gets the head its GET would get, and no body.
 */
import type { OutgoingHttpHeader, ServerResponse } from 'node:http';
import { escapeHtml } from '../pages';
import { LIVE_CLIENT_SOURCE } from './client';
import { planPolicies } from './csp';
import { BodyDecoder, codingOf } from './decoder';
import { isInjectableType } from './documents';
import { findInsertionPoint } from './htmlHead';
import { LIVE_SCRIPT_PATH } from './namespace';
import { flatHead, headerValue, takeHeaders, toBuffer, type Headers } from './responseHead';
import { injectedTag, tagSuffix, withNavigationVary } from './validators';

type Callback = (error?: Error | null) => void;
/** The response's own methods, called with whatever arguments the app passed. */
type Method = (this: ServerResponse, ...args: unknown[]) => unknown;

/** Headers that describe the bytes as the app wrote them, and no longer hold for the injected body. */
const DROPPED = ['accept-ranges', 'content-md5', 'digest', 'content-digest', 'repr-digest'];

/**
 * Wraps `res` so that a 200 HTML answer gets the script of mount `mountId`. `report` hears of a
 * page that could not get it for a reason the app should know (its body does not decode).
 */
export function injectLiveScript(res: ServerResponse, mountId: string, report: (message: string) => void): void {
  new Injection(res, mountId, report).install();
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
        /** The headers as the app gave them, for a body that goes out as the app wrote it. */
        readonly original: readonly [string, OutgoingHttpHeader][];
      }
    | undefined;
  private decoder: BodyDecoder | undefined;
  /** The body did not decode and goes out as the app wrote it. */
  private passing = false;
  private ended = false;
  /** The head was put on `res` (a 304): writeHead is called without headers. */
  private headMoved = false;
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
    private readonly report: (message: string) => void,
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
    if (this.headMoved) this.own.writeHead.call(this.res, status, reason);
    else if (!this.injecting) this.own.writeHead.call(this.res, status, reasonOrHeaders, maybeHeaders);
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
    const coding = status === 200 && isInjectableType(contentType) ? codingOf(headerValue(res, headers, 'content-encoding')) : null;
    if (coding === null) {
      this.uninstall(true);
      if (status === 304) this.revalidated(headers);
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
    let vary: string | undefined;
    for (const [name, value] of pairs) {
      const lower = name.toLowerCase();
      if (lower === 'content-length') declared = String(value);
      else if (lower === 'content-security-policy') policies.push(...(Array.isArray(value) ? value : [String(value)]));
      else if (lower === 'etag' && typeof value === 'string') out.push(name, injectedTag(value, tagSuffix(this.mountId)));
      else if (lower === 'vary') vary = Array.isArray(value) ? value.join(', ') : String(value);
      else if (!(decoding && lower === 'content-encoding') && !DROPPED.includes(lower)) out.push(name, value);
    }
    out.push('Vary', withNavigationVary(vary));
    let inline = false;
    if (policies.length) {
      const plan = planPolicies(policies);
      inline = plan.inline;
      // One entry for them all: given twice, the second would replace the first in Node's writeHead.
      out.push('Content-Security-Policy', plan.values.length === 1 ? plan.values[0] : plan.values);
    }
    this.tag = tagOf(this.mountId, inline);
    const length = declared !== undefined ? Number(declared) : knownLength;
    const lengthIndex = out.length;
    if (!decoding && length !== undefined && Number.isSafeInteger(length) && length >= 0) out.push('Content-Length', String(length + this.tag.length));
    this.head = { status, reason, headers: out, lengthIndex, contentLength: declared, original: pairs };
    if (decoding && !this.bodiless) {
      this.decoder = new BodyDecoder(coding, res, {
        data: (chunk) => this.emit(chunk, undefined),
        end: () => this.finish(undefined),
        failed: (error, encoded) => this.undecodable(coding, error, encoded),
      });
    }
  }

  /**
   * A 304 to a navigation confirms an injected copy (the app's own tags were taken out of the
   * request): it names that copy's tag, and says what it varies by, as its 200 did. The head is
   * moved onto `res` for Node to write, whether by writeHead or by an implicit head.
   */
  private revalidated(headers: Headers): void {
    const res = this.res;
    let vary: string | undefined;
    for (const [name, value] of takeHeaders(res, headers)) {
      const lower = name.toLowerCase();
      if (lower === 'etag' && typeof value === 'string') res.setHeader(name, injectedTag(value, tagSuffix(this.mountId)));
      else if (lower === 'vary') vary = Array.isArray(value) ? value.join(', ') : String(value);
      // The browser keeps the page it has and takes the policy sent now: the same plan holds it.
      else if (lower === 'content-security-policy') res.setHeader(name, planPolicies(Array.isArray(value) ? value : [String(value)]).values);
      else res.setHeader(name, value);
    }
    res.setHeader('Vary', withNavigationVary(vary));
    this.headMoved = true;
  }

  /** Sends what the app wrote as it wrote it, or cuts the answer when its head is out already. */
  private undecodable(coding: string, error: Error, encoded: Buffer[] | undefined): void {
    const res = this.res;
    const what = `${res.req.method} ${(res.req as { originalUrl?: string }).originalUrl ?? res.req.url}`;
    const head = this.head;
    if (encoded === undefined || head === undefined) {
      this.report(`${what}: the ${coding} page stopped decoding (${error.message}) after its head was sent: the answer is cut short`);
      res.destroy();
      return;
    }
    this.report(`${what}: the ${coding} page does not decode (${error.message}): sent as the app wrote it, without the live reload script`);
    this.head = undefined;
    this.decoder = undefined;
    this.held = undefined;
    this.passing = true;
    this.own.writeHead.call(res, head.status, head.reason, flatHead(head.original));
    for (const bytes of encoded) this.own.write.call(res, bytes);
    if (this.ended) this.own.end.call(res);
    else res.emit('drain');
  }

  private readonly write = (chunk: unknown, encodingOrCallback?: BufferEncoding | Callback, maybeCallback?: Callback): boolean => {
    const res = this.res;
    if (!this.decided) {
      this.decide(res.statusCode, undefined, undefined, undefined);
      if (!this.injecting) return this.own.write.call(res, chunk, encodingOrCallback, maybeCallback) as boolean;
    }
    if (this.bodiless || this.passing) {
      // Node drops a HEAD's body itself, once the head is out.
      this.sendHead();
      return this.own.write.call(res, chunk, encodingOrCallback, maybeCallback) as boolean;
    }
    const callback = typeof encodingOrCallback === 'function' ? encodingOrCallback : maybeCallback;
    const bytes = toBuffer(chunk, typeof encodingOrCallback === 'string' ? encodingOrCallback : undefined);
    if (this.decoder) return this.decoder.write(bytes, callback);
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
      // Node sends no Content-Length of its own for a HEAD; the one GET would get is known when
      // the app hands the body to end() all the same.
      const needsLength = !res.hasHeader('content-length') && !res.hasHeader('transfer-encoding');
      this.decide(res.statusCode, undefined, undefined, needsLength ? (this.bodiless ? bytes?.length : (bytes?.length ?? 0)) : undefined);
      if (!this.injecting) {
        this.own.end.call(res, chunk, encodingOrCallback, maybeCallback);
        return res;
      }
    }
    this.uninstall(true);
    this.ended = true;
    if (this.bodiless || this.passing) {
      this.sendHead();
      this.own.end.call(res, chunk, encodingOrCallback, maybeCallback);
      return res;
    }
    if (this.decoder) {
      if (callback) res.once('finish', () => callback());
      this.decoder.end(bytes);
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
    this.decoder?.commit();
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

/** The tags of each mount, built once: they are the same on every page of that mount. */
const TAGS = new Map<string, { external?: Buffer; inline?: Buffer }>();

function tagOf(mountId: string, inline: boolean): Buffer {
  let tags = TAGS.get(mountId);
  if (tags === undefined) {
    // Ids come from mounts.json, but a long-running editor sees many configs: stay bounded.
    if (TAGS.size >= 1000) TAGS.clear();
    TAGS.set(mountId, (tags = {}));
  }
  return inline ? (tags.inline ??= Buffer.from(scriptTag(mountId, true))) : (tags.external ??= Buffer.from(scriptTag(mountId, false)));
}

/**
 * The script as `<script src>`, or inline with the same text for a policy that blocks the former (see `csp.ts`).
 * `async`: the tag is the first thing in `<head>`, where a plain `<script src>` stops the page's
 * parser for a round trip before anything the page wrote is parsed; nothing waits for this script,
 * and it waits for DOMContentLoaded by itself. `async=""`: an XHTML page needs attribute values.
 */
export function scriptTag(mountId: string, inline: boolean): string {
  const mount = `data-mount="${escapeHtml(mountId)}"`;
  return inline ? `<script ${mount}>${LIVE_CLIENT_SOURCE}</script>` : `<script src="${LIVE_SCRIPT_PATH}" async="" ${mount}></script>`;
}
