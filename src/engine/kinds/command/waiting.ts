/**
 * Requests and upgrades that arrive while the command starts wait for it (up to `readyTimeout`),
 * then go to the forwarder, or get the 503 that says why the start failed.
 */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../logger';
import { sendSocketPage } from '../../pages';
import { HttpError, type FailRequest, type MountedRequest } from '../app';
import type { Forwarder } from '../proxy/forwarder';
import { holdSocket } from './heldSocket';

/** true: forward now; a promise: forward once ready; an HttpError: answer it. */
export type Readiness = true | Promise<void> | HttpError;

/** Forwards a request when the command is ready; like `App.handle`, never throws. */
export function forwardWhenReady(ready: Readiness, forwarder: Forwarder, req: MountedRequest, res: ServerResponse, fail: FailRequest): void {
  if (ready === true) forwarder.handle(req, res, fail);
  else if (ready instanceof HttpError) fail(ready);
  else {
    ready.then(() => {
      if (res.destroyed || res.writableEnded) return;
      // Called from a promise callback, a synchronous throw would be an unhandled rejection.
      try {
        forwarder.handle(req, res, fail);
      } catch (error) {
        fail(error);
      }
    }, fail);
  }
}

/** Methods a client may send twice (RFC 9110's safe methods). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The failure handler of a request to a process that a reload may be stopping. The stopping server
 * closes the connections it has not started reading, and a request on its way is on one of them: if
 * it was dropped before any answer and can be sent twice (a safe method, no body), it goes once more
 * (to the new process, once ready) instead of becoming a 502. `replaced` says whether the process
 * it was sent to is being stopped; `again` forwards it with the plain handler, so at most once more.
 */
export function onceMoreIfDropped(req: MountedRequest, res: ServerResponse, fail: FailRequest, replaced: () => boolean, again: (fail: FailRequest) => void): FailRequest {
  return (error) => {
    const bodyless = (req.headers['content-length'] ?? '0') === '0' && req.headers['transfer-encoding'] === undefined;
    const dropped = error instanceof HttpError && error.status === 502 && !res.headersSent;
    if (dropped && bodyless && SAFE_METHODS.has(req.method ?? '') && replaced()) again(fail);
    else fail(error);
  };
}

/** Forwards an upgrade when the command is ready, its socket held (and read) meanwhile. */
export function upgradeWhenReady(ready: Readiness, forwarder: Forwarder, req: MountedRequest, socket: Duplex, head: Buffer, logger: Logger, name: string): void {
  if (ready === true) forwarder.upgrade(req, socket, head);
  else if (ready instanceof HttpError) sendSocketPage(socket, ready);
  else {
    const release = holdSocket(socket, head);
    ready.then(
      () => {
        const held = release();
        if (held === undefined) return;
        try {
          forwarder.upgrade(req, socket, held);
        } catch (error) {
          logger.error('upgrade failed', error, name);
          sendSocketPage(socket, { status: 500, message: 'The app failed to accept the upgrade.' });
        }
      },
      (error: HttpError) => {
        if (release() !== undefined) sendSocketPage(socket, error);
      },
    );
  }
}
