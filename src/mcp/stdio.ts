/**
 * Stdout belongs to the MCP protocol, but module apps run in this process and print with
 * console.log: one stray line there and the client reads garbage. So the protocol gets a stream of
 * its own over the real stdout, and everything else written to process.stdout goes to stderr and
 * into the log ring, as a line of app output (the process cannot tell which app printed it).
 */
import { Writable } from 'node:stream';
import { LineSplitter, type LogRing } from '../engine/index';

export function takeStdout(ring: LogRing): Writable {
  const stdout = process.stdout;
  const write = stdout.write.bind(stdout) as (chunk: Uint8Array | string, callback: (error?: Error | null) => void) => boolean;
  const lines = new LineSplitter((line) => ring.record('info', line, 'stdout'));
  const others = (chunk: Uint8Array | string, encoding?: BufferEncoding | ((error?: Error | null) => void), callback?: (error?: Error | null) => void): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8');
    lines.push(text);
    const done = typeof encoding === 'function' ? encoding : callback;
    return process.stderr.write(text, done);
  };
  stdout.write = others as typeof stdout.write;
  const channel = new Writable({
    write: (chunk: Buffer, _encoding, callback) => {
      write(chunk, (error) => callback(error ?? null));
    },
  });
  // A write that fails means the client is gone; its stdin closing ends this process.
  channel.on('error', () => undefined);
  return channel;
}
