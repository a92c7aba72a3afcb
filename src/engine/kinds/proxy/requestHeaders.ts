/**
 * What the upstream receives of a request's head: the client's headers minus those the proxy owns
 * (hop-by-hop, framing, `Host`, the forwarding headers and their spoofable spellings), plus the
 * proxy's own `Host` and fresh `X-Forwarded-*`; and the body's framing as node:http parsed it.
 */
import type * as http from 'node:http';
import { schemeOf } from '../../forwarded';
import type { MountedRequest } from '../app';
import { connectionTokens, HOP_BY_HOP } from './hopByHop';
import type { Upstream } from './proxyTarget';
import type { BodyFraming } from './upstream';

// The proxy owns these: it sets fresh values (or, for the spoofable extras, none).
const REQUEST_DROPPED: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP,
  'host',
  'content-length',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-prefix',
  'x-forwarded-port',
  'x-real-ip',
]);

/** The body's framing as node:http parsed it: chunked wins, as it does for node's parser. */
export function framingOf(req: http.IncomingMessage): BodyFraming {
  const headers = req.headers;
  if (headers['transfer-encoding'] !== undefined) return 'chunked';
  const length = headers['content-length'];
  return length !== undefined ? 'length' : 'none';
}

/**
 * The request headers for the upstream, in one pass over `rawHeaders`. Framing headers are left
 * out: the client writes them from what node:http parsed (or, for upgrades, there is no body).
 */
export function requestHeaders(req: MountedRequest, upstream: Upstream, upgrade: boolean): string[] {
  const raw = req.rawHeaders;
  const headers = req.headers;
  const extra = connectionTokens(headers.connection);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lower = name.toLowerCase();
    if (REQUEST_DROPPED.has(lower) || (extra !== undefined && extra.has(lower))) continue;
    // CGI-style upstreams (WSGI, PHP, Rack) read `X_Forwarded_Prefix` as `X-Forwarded-Prefix`
    // and join the two: an underscore spelling of a header we own is a spoof as well.
    if (lower.includes('_') && REQUEST_DROPPED.has(lower.replaceAll('_', '-'))) continue;
    out.push(name, raw[i + 1]);
  }
  out.push('Host', upstream.host);
  // Behind an exported front (the app server), the front saw the client: pass its view on.
  const front = req.front;
  const address = front ? front.for : req.socket.remoteAddress;
  if (address !== undefined) out.push('X-Forwarded-For', address);
  const publicHost = front ? front.host : headers.host;
  if (publicHost !== undefined) out.push('X-Forwarded-Host', publicHost);
  out.push('X-Forwarded-Proto', front ? front.proto : schemeOf(req), 'X-Forwarded-Prefix', req.baseUrl === '' ? '/' : req.baseUrl);
  if (upgrade) out.push('Connection', 'Upgrade', 'Upgrade', headers.upgrade ?? 'websocket');
  return out;
}
