/**
 * Undoes an app's Content-Encoding so that the live reload script can go into the page. The
 * encoded bytes are kept until the head is out (`commit`), so that a body which does not decode
 * can still go out exactly as the app wrote it instead of as an empty answer.
 *
 * `deflate` is tried as the zlib format that RFC 9110 names, then, when that fails on its header,
 * as raw deflate: some servers send that, and browsers accept it (Chromium sniffs the same way).
 */
import type { ServerResponse } from 'node:http';
import * as zlib from 'node:zlib';

export type Coding = 'gzip' | 'deflate' | 'br';
type Callback = (error?: Error | null) => void;
type Stream = zlib.Gunzip | zlib.Inflate | zlib.InflateRaw | zlib.BrotliDecompress;

/** 'identity' when not encoded; null for an encoding that cannot be undone here. */
export function codingOf(contentEncoding: string | undefined): Coding | 'identity' | null {
  switch ((contentEncoding ?? '').trim().toLowerCase()) {
    case 'identity':
    case '':
      return 'identity';
    case 'gzip':
    case 'x-gzip':
      return 'gzip';
    case 'deflate':
      return 'deflate';
    case 'br':
      return 'br';
    default:
      return null;
  }
}

export interface DecodedSink {
  /** Decoded bytes; false asks for no more until the response drains. */
  data(chunk: Buffer): boolean;
  end(): void;
  /**
   * The body does not decode. `encoded`: every byte the app wrote so far, when the head is not
   * out yet (it may then go out as it is); undefined once it is.
   */
  failed(error: Error, encoded: Buffer[] | undefined): void;
}

export class BodyDecoder {
  private stream: Stream;
  private encoded: Buffer[] | undefined = [];
  private ended = false;
  private decodedAny = false;
  private triedRaw = false;
  private done = false;

  constructor(
    private readonly coding: Coding,
    private readonly res: ServerResponse,
    private readonly sink: DecodedSink,
  ) {
    this.stream = this.open(coding === 'gzip' ? zlib.createGunzip() : coding === 'deflate' ? zlib.createInflate() : zlib.createBrotliDecompress());
    res.once('close', () => this.stream.destroy());
  }

  /** As `res.write` for the app: false when it should wait for 'drain' on the response. */
  write(bytes: Buffer, callback: Callback | undefined): boolean {
    this.encoded?.push(bytes);
    const stream = this.stream;
    // The stream's own errors are reported through `sink.failed`, not to each write.
    const more = stream.write(bytes, callback && (() => callback()));
    if (!more) stream.once('drain', () => this.res.emit('drain'));
    return more;
  }

  end(bytes: Buffer | undefined): void {
    if (bytes) this.encoded?.push(bytes);
    this.ended = true;
    if (bytes) this.stream.end(bytes);
    else this.stream.end();
  }

  /** The head is out: what the app wrote need not be kept any longer. */
  commit(): void {
    this.encoded = undefined;
  }

  private open(stream: Stream): Stream {
    stream.on('data', (chunk: Buffer) => {
      this.decodedAny = true;
      if (!this.sink.data(chunk)) {
        stream.pause();
        this.res.once('drain', () => stream.resume());
      }
    });
    stream.on('end', () => {
      this.done = true;
      this.sink.end();
    });
    stream.on('error', (error) => this.onError(stream, error));
    return stream;
  }

  private onError(stream: Stream, error: Error): void {
    if (stream !== this.stream || this.done) return;
    if (this.coding === 'deflate' && !this.triedRaw && !this.decodedAny && this.encoded !== undefined) {
      this.triedRaw = true;
      const raw = (this.stream = this.open(zlib.createInflateRaw()));
      for (const bytes of this.encoded) raw.write(bytes);
      if (this.ended) raw.end();
      // An app waiting for the first stream's 'drain' would wait forever.
      this.res.emit('drain');
      return;
    }
    this.done = true;
    const encoded = this.encoded;
    this.encoded = undefined;
    this.sink.failed(error, encoded);
  }
}
