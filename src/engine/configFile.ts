/**
 * Reads the text of mounts.json, from a regular file only and up to a size cap, and says which
 * version of the file it read. A FIFO there would block the read until some writer came (starting
 * hung with no word, a reload hung and every later one and the stop queued behind it); a symlink to
 * /dev/zero would never end; a huge file would take the memory of its parse tree.
 */
import * as fs from 'node:fs';

/**
 * 1 MiB holds about 9,000 mounts, some hundred times the largest config written by hand. Checking
 * that many took 0.2 to 0.7 s and 60 MB; 16 MiB took 3 to 7 s and 300 to 400 MB, on every save
 * under --watch (bench/RESULTS.md, "The size cap of mounts.json").
 */
export const MAX_CONFIG_BYTES = 1024 * 1024;

const CHUNK_BYTES = 64 * 1024;

/** The text read and the identity of the file it came from, or why nothing was read. */
export type ConfigText = { readonly text: string; readonly identity: string } | { readonly error: string };

/**
 * Which file is at a path and how it was last written (a rename over it changes the inode).
 * fs.watchFile reports a missing file as stats of all zeros.
 */
export function identityOf(stats: fs.Stats): string {
  return stats.ino === 0 ? 'missing' : `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
}

/** The identity of what is at `file` now, 'missing' when nothing is. */
export function currentIdentity(file: string): string {
  try {
    return identityOf(fs.statSync(file));
  } catch {
    return 'missing';
  }
}

export async function readConfigText(file: string): Promise<ConfigText> {
  let handle: fs.promises.FileHandle;
  try {
    // Non-blocking, so that opening a FIFO does not wait for a writer; the type is checked next.
    handle = await fs.promises.open(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (error) {
    return { error: openError(error) };
  }
  try {
    // The stats of the open file: the identity is that of the very file read, whatever replaces it.
    const stats = await handle.stat();
    if (!stats.isFile()) return { error: notRegular(file, stats) };
    if (stats.size > MAX_CONFIG_BYTES) return { error: tooLarge(stats.size) };
    const chunks: Buffer[] = [];
    let total = 0;
    // Read to the end, not to the size seen: the file may grow meanwhile, and must stay under the cap.
    for (;;) {
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(CHUNK_BYTES), 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > MAX_CONFIG_BYTES) return { error: tooLarge() };
      chunks.push(buffer.subarray(0, bytesRead));
    }
    return { text: Buffer.concat(chunks).toString('utf8'), identity: identityOf(stats) };
  } catch (error) {
    return { error: `cannot read the file: ${(error as Error).message}` };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function openError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EISDIR') return 'is a folder, not a file';
  return `cannot read the file: ${(error as Error).message}`;
}

function notRegular(file: string, stats: fs.Stats): string {
  if (stats.isDirectory()) return 'is a folder, not a file';
  const kind = stats.isFIFO() ? 'a named pipe (FIFO)' : stats.isCharacterDevice() ? 'a character device' : stats.isBlockDevice() ? 'a block device' : stats.isSocket() ? 'a socket' : 'not a file';
  let target = '';
  try {
    const real = fs.realpathSync(file);
    if (real !== file) target = ` (${real})`;
  } catch {
    // Named as given, then.
  }
  return `is ${kind}${target}, not a regular file: mounts.json is read only from a regular file`;
}

/** `bytes` unknown: the file grew past the cap while being read. */
function tooLarge(bytes?: number): string {
  const size = bytes === undefined ? 'more than that' : `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  return `is too large: mounts.json may be at most ${MAX_CONFIG_BYTES / (1024 * 1024)} MiB, and this file is ${size}`;
}
