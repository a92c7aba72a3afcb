/**
 * Where a command mount is in its life (the diagram in app.ts), and the status the editor shows
 * for it: `backoff` reads as starting, `closed` as stopped, and a pid and port only while it runs.
 */
import type { AppState, AppStatus } from '../app';

export type Phase = 'idle' | 'starting' | 'ready' | 'backoff' | 'error' | 'stopped' | 'closed';

export interface PhaseOf {
  readonly phase: Phase;
  readonly reason: string | undefined;
  readonly detail: string | undefined;
  readonly pid: number | undefined;
  readonly port: number | undefined;
}

export function statusOf({ phase, reason, detail, pid, port }: PhaseOf): AppStatus {
  const running = phase === 'starting' || phase === 'ready';
  const state: AppState = phase === 'backoff' ? 'starting' : phase === 'closed' ? 'stopped' : phase;
  return {
    state,
    ...(reason !== undefined ? { reason } : {}),
    ...(detail !== undefined ? { detail } : {}),
    ...(running && pid !== undefined ? { pid } : {}),
    ...(running && port !== undefined ? { port } : {}),
  };
}

/** Whether anything the editor shows differs. */
export function sameStatus(a: AppStatus, b: AppStatus): boolean {
  return a.state === b.state && a.reason === b.reason && a.detail === b.detail && a.pid === b.pid && a.port === b.port;
}
