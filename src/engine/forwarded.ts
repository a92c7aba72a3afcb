/**
 * The app server behind an exported front (`mounts serve --only`): a request from a loopback peer
 * carrying `X-Forwarded-For` came through the front on this machine, so the client, the Host it
 * asked for and its scheme are the front's forwarded values, not the socket's. Anything else, and
 * every request when the option is off, is judged by its own socket and headers as usual.
 */
import type { IncomingMessage } from 'node:http';

/** The client as the front saw it. */
export interface FrontView {
  /** The front's `X-Forwarded-For`, as sent. */
  readonly for: string;
  /** The Host the client asked the front for; the request's own Host when the front sent none. */
  readonly host: string | undefined;
  /** `http` or `https`. */
  readonly proto: string;
}

const LOOPBACK = /^(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

/** The front's view of `req`, or undefined when the peer is not on loopback or sent no forwarded headers. */
export function frontView(req: IncomingMessage): FrontView | undefined {
  const forwardedFor = single(req.headers['x-forwarded-for']);
  if (forwardedFor === undefined || !LOOPBACK.test(req.socket.remoteAddress ?? '')) return undefined;
  const proto = single(req.headers['x-forwarded-proto'])?.toLowerCase();
  return {
    for: forwardedFor,
    host: single(req.headers['x-forwarded-host']) ?? req.headers.host,
    proto: proto === 'https' ? 'https' : 'http',
  };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The port a browser used to reach the front: the Host's, else the scheme's default. */
export function frontPort(view: FrontView): number {
  const match = /:(\d{1,5})$/.exec(view.host ?? '');
  return match ? Number(match[1]) : view.proto === 'https' ? 443 : 80;
}

/** The scheme the client used to reach this listener: https when the engine serves TLS. */
export function schemeOf(req: IncomingMessage): 'http' | 'https' {
  return (req.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http';
}
