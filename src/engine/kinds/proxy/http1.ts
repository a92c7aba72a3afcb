/**
 * What the lean client writes and reads of HTTP/1.1 beyond what llhttp parses: the request's head
 * as one string, a body piece's chunk framing, and what an answer's head says about reusing its
 * connection.
 */
import type * as net from 'node:net';
import type { IncomingMessage } from 'node:http';
import { failure, INVALID_TRANSFER_ENCODING, keepAliveTimeoutMs, unrelayableTransferCoding, type UpstreamCall } from './upstream';

/** Upstreams close idle keep-alive connections after some seconds (Node: 5); we stop reusing them first. */
export const IDLE_MS = 4000;
/** Removed from the upstream's `Keep-Alive: timeout`, for the time a request takes to arrive there. */
const IDLE_MARGIN_MS = 1000;

/** The request line and headers, framing headers written from the framing the server parsed. */
export function requestHead(call: UpstreamCall): string {
  const headers = call.headers;
  let head = `${call.method} ${call.path} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  const body: IncomingMessage = call.body;
  if (call.framing === 'length') head += `Content-Length: ${body.headers['content-length']}\r\n\r\n`;
  else if (call.framing === 'chunked') head += 'Transfer-Encoding: chunked\r\n\r\n';
  else head += '\r\n';
  return head;
}

/** Writes one piece of a chunked body in one corked write; false asks the body to pause. */
export function writeChunk(socket: net.Socket, chunk: Buffer): boolean {
  socket.cork();
  socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
  socket.write(chunk);
  const flowing = socket.write('\r\n', 'latin1');
  socket.uncork();
  return flowing;
}

/**
 * How long the connection may stay idle before we stop reusing it: IDLE_MS, or less when the
 * answer's `Keep-Alive: timeout` says the upstream closes sooner.
 */
export function idleMsOf(rawHeaders: readonly string[], current: number): number {
  let idleMs = current;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name.length === 10 && name.toLowerCase() === 'keep-alive') {
      const timeout = keepAliveTimeoutMs(rawHeaders[i + 1]);
      if (timeout !== undefined) idleMs = Math.min(IDLE_MS, Math.max(timeout - IDLE_MARGIN_MS, timeout / 2));
    }
  }
  return idleMs;
}

/**
 * What an answer's head says about its body and the connection, 'informational' for a 1xx to skip,
 * or the failure for an answer that cannot be relayed. A response to HEAD, a 204 and a 304 have no
 * body whatever their headers say; a 204 that announces one is from an upstream that may send one,
 * so its connection is not reused.
 */
export function readAnswerHead(method: string, status: number, upgrade: boolean, rawHeaders: readonly string[]): AnswerHead | 'informational' | NodeJS.ErrnoException {
  if (status < 200) return status === 101 || upgrade ? failure('it switched protocols unasked', 'HPE_INVALID') : 'informational';
  if (status === 204) return announcesBody(rawHeaders) ? NO_BODY_ANNOUNCED : NO_BODY;
  if (method === 'HEAD' || status === 304) return NO_BODY;
  const refused = unrelayableTransferCoding(rawHeaders);
  return refused === undefined ? BODY : failure(refused, INVALID_TRANSFER_ENCODING);
}

export interface AnswerHead {
  readonly noBody: boolean;
  readonly announcesBody: boolean;
}

// The three answers readAnswerHead gives, made once: it runs for every answer.
const BODY: AnswerHead = { noBody: false, announcesBody: false };
const NO_BODY: AnswerHead = { noBody: true, announcesBody: false };
const NO_BODY_ANNOUNCED: AnswerHead = { noBody: true, announcesBody: true };

function announcesBody(rawHeaders: readonly string[]): boolean {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if ((name === 'content-length' && rawHeaders[i + 1].trim() !== '0') || name === 'transfer-encoding') return true;
  }
  return false;
}
