/**
 * The engine's own corner of every origin: `/__mounts/` is never routed to a mount (mounts.json
 * may not use it), so the live reload script and socket have the same URL on every page.
 */

export const RESERVED_PREFIX = '/__mounts';
export const LIVE_SCRIPT_PATH = '/__mounts/live.js';
export const LIVE_SOCKET_PATH = '/__mounts/live';

/** Whether a normalized prefix or request path is `/__mounts` or lies below it. */
export function isReservedPath(path: string): boolean {
  return path.startsWith(RESERVED_PREFIX) && (path.length === RESERVED_PREFIX.length || path.charCodeAt(RESERVED_PREFIX.length) === 47);
}
