/**
 * Every page the engine itself generates: minimal bodies with safe headers (pillarjs/send style).
 * HTML for clients that accept it, plain text otherwise.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

const STYLE =
  'body{font:14px/1.5 system-ui,sans-serif;margin:2em;color:#222}pre{background:#f4f4f4;padding:1em;overflow:auto}code{font-size:13px}';
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/** Inline styles are allowed only by hash; nothing else may load. */
export const PAGE_CSP = `default-src 'none'; style-src 'sha256-${STYLE_HASH}'`;

export const STATUS_TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  412: 'Precondition Failed',
  416: 'Range Not Satisfiable',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export interface Page {
  readonly status: number;
  /** One line saying what happened. */
  readonly message: string;
  /** Preformatted detail: a stack, a process's output. */
  readonly detail?: string;
  /** Links shown as a list, e.g. the mounts on a 404. */
  readonly links?: readonly { readonly href: string; readonly label: string }[];
  readonly headers?: Readonly<Record<string, string>>;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Whether the Accept header names text/html itself with a non-zero q (a browser navigation);
 * `*\/*` alone does not count. Decides HTML pages here and the SPA fallback of static mounts.
 */
export function acceptsHtml(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  if (accept === undefined) return false;
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';');
    if (type.trim().toLowerCase() !== 'text/html') continue;
    const q = params.map((p) => p.trim()).find((p) => p.toLowerCase().startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

/** Writes an engine page; ends the response. Never throws on a response already started. */
export function sendPage(req: IncomingMessage, res: ServerResponse, page: Page): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const title = `${page.status} ${STATUS_TITLES[page.status] ?? 'Error'}`;
  const html = acceptsHtml(req);
  const body = html ? renderHtml(title, page) : renderText(title, page);
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.statusCode = page.status;
  res.setHeader('Content-Type', html ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Content-Security-Policy', PAGE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-store');
  for (const [name, value] of Object.entries(page.headers ?? {})) res.setHeader(name, value);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * Writes an engine page on a socket that asked for an upgrade, where no `ServerResponse` exists:
 * plain text with the same safe headers, then closes the socket once the page is flushed (a
 * half-open client must not keep it). `links` are not shown.
 */
export function sendSocketPage(socket: Duplex, page: Page): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${page.message}\n${page.detail ? `\n${page.detail}\n` : ''}`;
  let head =
    `HTTP/1.1 ${page.status} ${STATUS_TITLES[page.status] ?? 'Error'}\r\n` +
    'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n' +
    `Content-Security-Policy: default-src 'none'\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
  for (const [name, value] of Object.entries(page.headers ?? {})) head += `${name}: ${value}\r\n`;
  socket.end(`${head}\r\n${body}`, () => socket.destroy());
}

function renderHtml(title: string, page: Page): string {
  const links = page.links?.length
    ? `<ul>${page.links.map((l) => `<li><a href="${escapeHtml(l.href)}">${escapeHtml(l.label)}</a></li>`).join('')}</ul>`
    : '';
  const detail = page.detail ? `<pre><code>${escapeHtml(page.detail)}</code></pre>` : '';
  return (
    `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    `<style>${STYLE}</style></head><body><h1>${escapeHtml(title)}</h1>` +
    `<p>${escapeHtml(page.message)}</p>${links}${detail}</body></html>\n`
  );
}

function renderText(title: string, page: Page): string {
  const links = page.links?.map((l) => `  ${l.href}  ${l.label}\n`).join('') ?? '';
  const detail = page.detail ? `\n${page.detail}\n` : '';
  return `${title}\n${page.message}\n${links}${detail}`;
}
