/**
 * The answer for a file the static app found: 412, 304, 416, 206 or 200, from the cache entry's
 * validators and headers, with the bytes from memory or streamed from the open file.
 */
import type * as fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { sendPage } from '../../pages';
import type { CacheEntry } from './cache';
import { isFresh, parseRange, preconditionFailed, rangeStillValid } from './conditional';
import { CACHE_CONTROL } from './entry';

/** Read size when streaming a file too large to cache: 256 KiB reads cost a third less CPU than 64 KiB ones. */
const STREAM_CHUNK = 256 * 1024;

/**
 * Answers from an entry. `handle` is the open file of a large entry (closed here on every path);
 * small entries carry their body.
 */
export function sendEntry(req: IncomingMessage, res: ServerResponse, entry: CacheEntry, handle: fs.promises.FileHandle | undefined): void {
  const headers = req.headers;
  if (
    (headers['if-match'] !== undefined || headers['if-unmodified-since'] !== undefined) &&
    preconditionFailed(headers, entry)
  ) {
    closeQuietly(handle);
    sendPage(req, res, { status: 412, message: 'The file does not match the request preconditions' });
    return;
  }
  if ((headers['if-none-match'] !== undefined || headers['if-modified-since'] !== undefined) && isFresh(headers, entry)) {
    closeQuietly(handle);
    res.writeHead(304, ['ETag', entry.etag, 'Last-Modified', entry.lastModified, 'Cache-Control', CACHE_CONTROL]);
    res.end();
    return;
  }
  let start = 0;
  let end = entry.size - 1;
  let status = 200;
  if (headers.range !== undefined && rangeStillValid(headers, entry)) {
    const range = parseRange(entry.size, headers.range);
    if (range === 'unsatisfiable') {
      closeQuietly(handle);
      sendPage(req, res, {
        status: 416,
        message: `The range ${headers.range} is outside the file (${entry.size} bytes)`,
        headers: { 'Content-Range': `bytes */${entry.size}` },
      });
      return;
    }
    if (range !== 'ignore') {
      status = 206;
      start = range.start;
      end = range.end;
    }
  }
  if (status === 200) {
    res.writeHead(200, entry.headers as string[]);
  } else {
    res.writeHead(206, [
      ...entry.headers.slice(0, -2),
      'Content-Range',
      `bytes ${start}-${end}/${entry.size}`,
      'Content-Length',
      String(end - start + 1),
    ]);
  }
  sendBytes(req, res, entry, handle, start, end, status === 200);
}

/** The body after the head: none for HEAD, the cached bytes, or a stream of the open file. */
function sendBytes(req: IncomingMessage, res: ServerResponse, entry: CacheEntry, handle: fs.promises.FileHandle | undefined, start: number, end: number, whole: boolean): void {
  if (req.method === 'HEAD' || entry.size === 0) {
    closeQuietly(handle);
    res.end();
    return;
  }
  if (entry.body !== undefined) {
    res.end(whole ? entry.body : entry.body.subarray(start, end + 1));
    return;
  }
  if (handle === undefined) throw new Error(`large file ${entry.key} served without an open file`);
  const stream = handle.createReadStream({ start, end, highWaterMark: Math.min(STREAM_CHUNK, end - start + 1) });
  // Headers are out: a read error can only cut the response, which pipeline does by destroying it.
  pipeline(stream, res, () => {});
}

export function closeQuietly(handle: fs.promises.FileHandle | undefined): void {
  if (handle !== undefined) void handle.close().catch(() => {});
}
