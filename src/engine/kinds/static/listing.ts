/**
 * Folder listings for `"listing": true`: HTML for browsers, plain text otherwise; dotfiles hidden,
 * names escaped, folders first. Written here rather than taken from serve-index, which reads its
 * template and stylesheet from its own package folder at run time: those files are not in the
 * esbuild bundle, so every listing from `dist/` failed with ENOENT.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { acceptsHtml, escapeHtml } from '../../pages';

const STYLE =
  'body{font:14px/1.5 system-ui,sans-serif;margin:2em;color:#222}ul{list-style:none;padding:0}' +
  'li{padding:2px 0}a{text-decoration:none}a:hover{text-decoration:underline}';
/** Nothing may load; only this inline style applies. */
const LISTING_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

/**
 * Writes the listing of `folder` (an absolute path already checked to be inside the root).
 * `publicPath` is the folder's URL path as the client sent it, ending with '/'; `showParent`
 * adds a `../` link (false at the mount's root).
 */
export async function sendListing(
  req: IncomingMessage,
  res: ServerResponse,
  folder: string,
  publicPath: string,
  showParent: boolean,
): Promise<void> {
  const entries = (await fs.promises.readdir(folder, { withFileTypes: true }))
    .filter((entry) => !entry.name.startsWith('.'))
    .map((entry) => ({ name: entry.name, folder: entry.isDirectory() }))
    .sort((a, b) => (a.folder === b.folder ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.folder ? -1 : 1));
  const links = [
    ...(showParent ? [{ href: '../', label: '../' }] : []),
    ...entries.map((e) => ({ href: encodeURIComponent(e.name) + (e.folder ? '/' : ''), label: e.name + (e.folder ? '/' : '') })),
  ];
  const title = `Index of ${decodeForDisplay(publicPath)}`;
  const html = acceptsHtml(req);
  const body = html
    ? `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
      `<style>${STYLE}</style></head><body><h1>${escapeHtml(title)}</h1><ul>` +
      links.map((l) => `<li><a href="${escapeHtml(l.href)}">${escapeHtml(l.label)}</a></li>`).join('') +
      '</ul></body></html>\n'
    : `${title}\n${links.map((l) => `${l.label}\n`).join('')}`;
  res.writeHead(200, {
    'Content-Type': html ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Content-Security-Policy': LISTING_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function decodeForDisplay(urlPath: string): string {
  try {
    return decodeURIComponent(urlPath);
  } catch {
    return urlPath;
  }
}
