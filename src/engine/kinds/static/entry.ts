/**
 * What the static app knows of one file once it has read it: its validators and its 200 headers,
 * computed once so that a cached file is answered without touching the disk.
 */
import type * as fs from 'node:fs';
import * as path from 'node:path';
// etag and mime-types are what send and serve-static use.
import entityTag from 'etag';
import * as mime from 'mime-types';
import type { CacheEntry } from './cache';

export const CACHE_CONTROL = 'public, max-age=0';

/** The entry for a file: `body` when it was read whole, undefined for a file streamed from disk. */
export function entryFor(key: string, realPath: string, stat: fs.Stats, body: Buffer | undefined, dependsOn: readonly string[]): CacheEntry {
  const size = body?.length ?? stat.size;
  // Files read whole get a content hash, so a same-size rewrite within the same clock tick still
  // changes the tag; streamed files a tag from inode, size and microsecond mtime (see entryTag).
  const etag = body !== undefined ? entityTag(body) : entryTag(stat);
  const lastModified = new Date(stat.mtimeMs).toUTCString();
  const contentType = mime.contentType(path.extname(realPath)) || 'application/octet-stream';
  return {
    key,
    realPath,
    size,
    etag,
    lastModified,
    lastModifiedTime: Math.floor(stat.mtimeMs / 1000) * 1000,
    body,
    dependsOn,
    headers: [
      'Accept-Ranges', 'bytes',
      'Cache-Control', CACHE_CONTROL,
      'Last-Modified', lastModified,
      'ETag', etag,
      'Content-Type', contentType,
      'Content-Length', String(size),
    ],
  };
}

/**
 * The `etag` package tags a Stats by size and millisecond mtime only; an atomic save (a new inode)
 * of the same size within the same millisecond would keep its tag, so this one adds the inode and
 * microseconds.
 */
export function entryTag(stat: fs.Stats): string {
  return `"${stat.ino.toString(16)}-${stat.size.toString(16)}-${Math.round(stat.mtimeMs * 1000).toString(16)}"`;
}
