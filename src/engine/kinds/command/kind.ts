/** A command that listens on $PORT, supervised, proxied to. */
import type { CommandMountSpec } from '../../spec';
import type { MountKind } from '../kind';

export const commandKind: MountKind<CommandMountSpec> = {
  name: 'command',
  capabilities: { runsCode: true, reloadable: true, revealable: false, runsProcess: true },
  icon: 'terminal',
  keys: ['command', 'cwd', 'env', 'port', 'readyPath', 'readyTimeout', 'restart', 'stripPrefix', 'start', 'idleTimeout', 'timeout'],
  spec: (base, fields) => ({
    ...base,
    kind: 'command',
    command: fields.command!,
    cwd: fields.cwd,
    env: fields.env,
    port: fields.port,
    ...(fields.readyPath ? { readyPath: fields.readyPath } : {}),
    readyTimeout: fields.readyTimeout,
    restart: fields.restart,
    stripPrefix: fields.stripPrefix,
    ...(fields.stripPrefixSet ? { stripPrefixSet: true as const } : {}),
    start: fields.start,
    idleTimeout: fields.idleTimeout,
    timeout: fields.timeout,
  }),
  describe: (spec) => spec.command,
  // Nothing in the workspace to open but its entry.
  reveal: () => undefined,
  liveFilesFolder: () => undefined,
  // 0 picks a free port: nothing to wait for.
  heldPort: (spec) => (spec.port === 0 ? undefined : spec.port),
  usesDefaultInterpreter: () => false,
  exportRoute: () => ({ serve: 'appServer' }),
};
