/**
 * One HTTP request to Mounts' own server, for the `fetch` tool: the address always comes from the
 * engine (its bound port), only the path, method, headers and body from the agent, so a fetch can
 * reach nothing but the mounts. The answer is read up to a byte cap and for at most a time limit:
 * an endless stream (server-sent events) still answers with its start.
 */
import * as http from 'node:http';
import { errorMessage } from '../engine/index';
import { ToolError } from './tool';

export interface EngineRequest {
  /** The engine's root URL (`http://localhost:8080/`). */
  readonly root: string;
  readonly method: string;
  readonly path: string;
  /** A mount's Host name; absent: the server's own. */
  readonly host?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

export interface EngineAnswer {
  readonly url: string;
  readonly status: number;
  readonly statusText: string;
  readonly headers: Record<string, string>;
  /** The first bytes of the body (at most maxBytes). */
  readonly body: Buffer;
  /** The body went on past maxBytes, or past the time limit. */
  readonly truncated: boolean;
}

export function requestEngine(request: EngineRequest): Promise<EngineAnswer> {
  const root = new URL(request.root);
  const hostHeader = `${request.host ?? root.hostname}:${root.port}`;
  const url = `http://${hostHeader}${request.path}`;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    let req: http.ClientRequest;
    try {
      req = http.request({
        host: root.hostname.replace(/^\[|\]$/g, ''),
        port: Number(root.port),
        method: request.method,
        path: request.path,
        // One connection per fetch: an agent's requests are few, and none lingers after the answer.
        agent: false,
        headers: { ...request.headers, host: hostHeader, ...(request.body ? { 'content-length': String(request.body.length) } : {}) },
      });
    } catch (error) {
      // Node refuses bad header names or values before anything is sent.
      reject(new ToolError(`the request cannot be sent: ${errorMessage(error)}`));
      return;
    }
    /** Called when the time is up: before the status that is an error, after it the body so far is the answer. */
    let timeUp = () => {
      finish(() => reject(new ToolError(`no answer from ${url} within ${request.timeoutMs / 1000} s`)));
      req.destroy();
    };
    const timer = setTimeout(() => timeUp(), request.timeoutMs);
    req.on('error', (error) => finish(() => reject(new ToolError(`${request.method} ${url} failed: ${errorMessage(error)}`))));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      const done = (truncated: boolean) =>
        finish(() => {
          res.destroy();
          resolve({ url, status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: flatHeaders(res.headers), body: Buffer.concat(chunks), truncated });
        });
      timeUp = () => done(true);
      res.on('data', (chunk: Buffer) => {
        const room = request.maxBytes - bytes;
        chunks.push(chunk.subarray(0, room));
        bytes += Math.min(room, chunk.length);
        if (chunk.length > room) done(true);
      });
      res.on('end', () => done(false));
      res.on('error', (error) => finish(() => reject(new ToolError(`the answer from ${url} broke off: ${errorMessage(error)}`))));
    });
    req.end(request.body);
  });
}

/** Header names lower-cased, repeated ones joined as HTTP allows (Set-Cookie with newlines, since its values hold commas). */
function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name] = Array.isArray(value) ? value.join(name === 'set-cookie' ? '\n' : ', ') : value;
  }
  return flat;
}
