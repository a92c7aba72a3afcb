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
