/**
 * An upgrade waiting for its command to be ready. Its socket is read meanwhile rather than paused:
 * a paused socket never sees its FIN, so a client that hung up would go unnoticed until the app was
 * ready, and the app would then be sent an upgrade for nobody. Bytes the client sends early are kept
 * for the app, bounded.
 */
import type { Duplex } from 'node:stream';

/** Bytes a client may send after its upgrade request while the command starts (as a tunnel allows). */
const MAX_EARLY_BYTES = 1024 * 1024;

/**
 * Starts holding `socket`. The function returned stops holding it and gives the bytes to forward
 * (`head` and what came since), or undefined when the client is gone. It must be followed, in the
 * same tick, by whatever reads the socket next: the socket is left flowing, as the server gave it.
 */
export function holdSocket(socket: Duplex, head: Buffer): () => Buffer | undefined {
  const chunks = [head];
  let early = 0;
  const onData = (chunk: Buffer) => {
    early += chunk.length;
    if (early > MAX_EARLY_BYTES) socket.destroy();
    else chunks.push(chunk);
  };
  // The server allows half-open connections: a client's FIN ends nothing unless we end it.
  const onEnd = () => socket.destroy();
  socket.on('data', onData);
  socket.once('end', onEnd);
  socket.resume();
  return () => {
    socket.off('data', onData);
    socket.off('end', onEnd);
    return socket.destroyed ? undefined : Buffer.concat(chunks);
  };
}
