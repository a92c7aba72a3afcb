/**
 * The words the UI uses for states. An engine that failed to start, or whose process crashed, is
 * back in 'stopped' with a `lastError`: people call that an error, so the UI does too. A serving
 * engine whose process stopped answering its heartbeat is 'unresponsive' ("not responding").
 */
import type { AppStatus, MountSpec } from '../engine/index';
import { kindOf, MENU_CAPABILITIES, type EngineClient } from '../engineProcess/client';

export type FolderState = 'stopped' | 'starting' | 'serving' | 'stopping' | 'error' | 'unresponsive';

export function folderState(engine: Pick<EngineClient, 'state' | 'lastError' | 'responsive'>): FolderState {
  switch (engine.state) {
    case 'started':
      return engine.responsive ? 'serving' : 'unresponsive';
    case 'starting':
    case 'stopping':
      return engine.state;
    case 'stopped':
      return engine.lastError ? 'error' : 'stopped';
  }
}

/** Start applies to a folder that is not running; Stop to one that is (or is on its way). */
export function canStart(state: FolderState): boolean {
  return state === 'stopped' || state === 'error';
}

export function canStop(state: FolderState): boolean {
  return state === 'serving' || state === 'starting' || state === 'unresponsive';
}

/** How a folder's state reads: `not responding` rather than the context-key word. */
export function describeFolderState(state: FolderState): string {
  return state === 'unresponsive' ? 'not responding' : state;
}

/**
 * A mount's state word, used in descriptions and at the end of `contextValue` (`mount.proxy.serving`).
 * An app that is ready serves; every other AppState keeps its own name, so a kind with a new state
 * shows up without changes here.
 */
export function mountStateWord(status: AppStatus): string {
  return status.state === 'ready' ? 'serving' : status.state;
}

/**
 * A mount's tree item `contextValue`: `mount.<kind>[.<capability>…].<state>`, e.g.
 * `mount.module.reloadable.revealable.serving`. package.json's menus key on the capabilities and the
 * state; the kind's name is there for people reading it and for tests.
 */
export function mountContextValue(spec: Pick<MountSpec, 'kind'>, state: string): string {
  const { capabilities } = kindOf(spec);
  return ['mount', spec.kind, ...MENU_CAPABILITIES.filter((capability) => capabilities[capability]), state].join('.');
}

/** What people read for a mount's state: `serving`, `not started`, `error: exited with code 1`. */
export function describeMountState(status: AppStatus): string {
  switch (status.state) {
    case 'ready':
      return 'serving';
    case 'stopped':
      // A command that exited and is not restarted says why; 'stopped' alone is a closed app.
      return status.reason && status.reason !== 'stopped' ? `stopped: ${status.reason}` : 'not started';
    case 'idle':
      return 'idle (starts on first request)';
    case 'refused':
      return 'refused in Restricted Mode';
    default:
      return status.reason ? `${status.state}: ${status.reason}` : status.state;
  }
}

/** A command mount's process as people read it: `pid 1234, port 40123`; undefined without one. */
export function describeProcess(status: AppStatus): string | undefined {
  const parts = [status.pid === undefined ? undefined : `pid ${status.pid}`, status.port === undefined ? undefined : `port ${status.port}`];
  const known = parts.filter((part): part is string => part !== undefined);
  return known.length ? known.join(', ') : undefined;
}
