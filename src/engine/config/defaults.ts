/** Defaults and bounds of mounts.json's fields, shared by the config and the kinds. */
import type { CommandMountSpec, RestartPolicy } from '../spec';

/** Defaults filled in for absent fields (the schema publishes the same values). */
export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  spa: false,
  listing: false,
  stripPrefix: true,
  secure: true,
  liveReload: true,
  timeout: 60,
  commandPort: 0,
  readyTimeout: 30,
  restart: 'on-failure' as RestartPolicy,
  start: 'eager' as CommandMountSpec['start'],
  idleTimeout: 300,
  reload: true,
  headersTimeout: 10,
  keepAliveTimeout: 5,
} as const;

/**
 * The longest time a seconds field may say: Node's timers hold at most 2^31 - 1 ms and fire after
 * 1 ms for anything longer, so a larger value would be the shortest timeout, not the longest.
 */
export const MAX_SECONDS = 2147483;

export const RESTART_POLICIES: readonly RestartPolicy[] = ['on-failure', 'always', 'never'];
export const START_MODES: readonly CommandMountSpec['start'][] = ['eager', 'onRequest'];
