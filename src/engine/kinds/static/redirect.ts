/**
 * The 301 from a folder's URL to the same URL with a trailing slash, as serve-static sends it:
 * relative links in the folder's index.html resolve against the folder only then.
 */
import type { ServerResponse } from 'node:http';
import { escapeHtml, PAGE_CSP } from '../../pages';
import type { MountedRequest } from '../app';

/** 301 to the folder URL with a trailing slash, built from the original URL, query kept. */
export function redirectToFolder(req: MountedRequest, res: ServerResponse): void {
  let original = req.originalUrl ?? req.url;
  original = original.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/, ''); // absolute-form target
  const query = original.indexOf('?');
  const pathPart = query === -1 ? original : original.slice(0, query);
  // `//host` or `/\host` would be read by browsers as another origin.
  const folderPath = `/${pathPart.replace(/^[/\\]+/, '')}/`;
  const location = encodeUrl(folderPath + (query === -1 ? '' : original.slice(query)));
  const body =
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Redirecting</title></head>' +
    `<body><p>Redirecting to <a href="${escapeHtml(location)}">${escapeHtml(location)}</a></p></body></html>\n`;
  res.writeHead(301, {
    Location: location,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Content-Security-Policy': PAGE_CSP,
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Percent-encodes what may not appear in a URL, keeping valid escapes (the `encodeurl` rule, plus backslash). */
function encodeUrl(url: string): string {
  return url
    .replace(/(^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]|[\uD800-\uDBFF]([^\uDC00-\uDFFF]|$)/g, '$1\uFFFD$2')
    .replace(
      /(?:[^\x21\x23-\x3B\x3D\x3F-\x5B\x5D-\x5F\x61-\x7A\x7C\x7E]|%(?:[^0-9A-Fa-f]|[0-9A-Fa-f][^0-9A-Fa-f]|$))+/g,
      encodeURI,
    );
}
