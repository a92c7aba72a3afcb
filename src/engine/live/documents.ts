/**
 * Which requests are browser documents, the only answers the live reload script goes into: a
 * fetch() or XHR of an HTML fragment (htmx, Turbo frames) must get its bytes unchanged.
 */
import type { IncomingMessage } from 'node:http';
import { acceptsHtml } from '../pages';

/**
 * A GET that a browser makes to show a document or a frame, or a HEAD with the same headers (which
 * must be told the head that GET would get). `Sec-Fetch-Dest` says so exactly;
 * browsers leave it out on plain-http origins other than localhost, and then an `Accept` naming
 * text/html (which fetch() and XHR never send by default) does, unless the request says it is
 * a script's (htmx's `HX-Request`, jQuery's `X-Requested-With`).
 */
export function isDocumentNavigation(req: IncomingMessage): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const headers = req.headers;
  const dest = headers['sec-fetch-dest'];
  if (dest !== undefined) return dest === 'document' || dest === 'iframe' || dest === 'frame';
  if (headers['hx-request'] !== undefined || headers['x-requested-with'] !== undefined) return false;
  return acceptsHtml(req);
}

/** text/html and application/xhtml+xml, in an encoding whose ASCII bytes are ASCII (not UTF-16). */
export function isInjectableType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  const type = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  if (type !== 'text/html' && type !== 'application/xhtml+xml') return false;
  return semicolon === -1 || !/charset\s*=\s*"?utf-?16/i.test(contentType.slice(semicolon));
}
