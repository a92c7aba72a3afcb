/**
 * Refused mounts: what stands in for a module or command mount while the workspace is untrusted
 * (restricted mode). It runs nothing from the workspace and answers 503 with the reason.
 */
import { sendPage } from '../pages';
import type { MountSpec } from '../spec';
import type { App, AppStatus } from './app';

export function refusedStatus(spec: MountSpec): AppStatus {
  return {
    state: 'refused',
    reason: `${spec.kind} mounts run code from the workspace; trust the workspace to start them`,
  };
}

export function createRefusedApp(spec: MountSpec): App {
  const status = refusedStatus(spec);
  return {
    status,
    handle(req, res) {
      sendPage(req, res, { status: 503, message: `Mount "${spec.name}" is refused: ${status.reason}.` });
    },
    close: async () => {},
  };
}
