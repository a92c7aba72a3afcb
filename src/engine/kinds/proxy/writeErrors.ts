/**
 * node:net destroys a socket on its first write error, and with it the answer that may already be
 * waiting to be read; node:stream also marks the readable side errored, which stops reading. An
 * upstream that answers early (413) and closes makes exactly that write error, so the lean client
 * turns both off through node:stream's internal state (`autoDestroy` here, `errored` in
 * `readOnAfterWriteError`), which test/engine/proxy-internals.test.ts pins; the connection destroys
 * its socket itself on every path. Where the state is not found, a failed upload reports the write
 * error (502), as node:http's client does.
 */
import type * as net from 'node:net';

/** Keeps the socket (and its readable side) alive past a write error; false where Node's internals differ. */
export function keepReadingAfterWriteErrors(socket: net.Socket): boolean {
  const { readable, writable } = streamStates(socket);
  if (typeof readable?.autoDestroy !== 'boolean' || typeof writable?.autoDestroy !== 'boolean') return false;
  readable.autoDestroy = false;
  writable.autoDestroy = false;
  return true;
}

/** After a write error on a socket set up by `keepReadingAfterWriteErrors`: lets its readable side go on. */
export function readOnAfterWriteError(socket: net.Socket): boolean {
  const { readable } = streamStates(socket);
  if (readable?.autoDestroy !== false || !('errored' in readable)) return false;
  readable.errored = null;
  return true;
}

interface StreamState {
  autoDestroy?: unknown;
  errored?: unknown;
}

function streamStates(socket: net.Socket): { readable: StreamState | undefined; writable: StreamState | undefined } {
  const internals = socket as unknown as { _readableState?: StreamState; _writableState?: StreamState };
  return { readable: internals._readableState, writable: internals._writableState };
}
