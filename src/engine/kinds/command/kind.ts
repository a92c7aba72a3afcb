/** A command that listens on $PORT, supervised, proxied to. */
import { DEFAULTS, RESTART_POLICIES, START_MODES } from '../../config/defaults';
import type { CommandMountSpec } from '../../spec';
import { createCommandApp } from './app';
import type { MountKind } from '../kind';

export const commandKind: MountKind<CommandMountSpec> = {
  name: 'command',
  capabilities: { runsCode: true, reloadable: true, revealable: false, runsProcess: true },
  icon: 'terminal',
  keys: ['command', 'cwd', 'env', 'port', 'readyPath', 'readyTimeout', 'restart', 'stripPrefix', 'start', 'idleTimeout', 'timeout'],
  read: (fields, base) => {
    const readyPath = fields.urlPath('readyPath');
    return {
      ...base,
      kind: 'command',
      command: fields.command('command')!,
      cwd: fields.path('cwd') ?? fields.dir,
      env: fields.env('env') ?? {},
      port: fields.port('port', DEFAULTS.commandPort),
      ...(readyPath ? { readyPath } : {}),
      readyTimeout: fields.seconds('readyTimeout', DEFAULTS.readyTimeout),
      restart: fields.oneOf('restart', RESTART_POLICIES) ?? DEFAULTS.restart,
      stripPrefix: fields.flag('stripPrefix', DEFAULTS.stripPrefix),
      ...(fields.has('stripPrefix') ? { stripPrefixSet: true as const } : {}),
      start: fields.oneOf('start', START_MODES) ?? DEFAULTS.start,
      idleTimeout: fields.seconds('idleTimeout', DEFAULTS.idleTimeout),
      timeout: fields.seconds('timeout', DEFAULTS.timeout),
    };
  },
  describe: (spec) => spec.command,
  // Nothing in the workspace to open but its entry.
  reveal: () => undefined,
  liveFilesFolder: () => undefined,
  // 0 picks a free port: nothing to wait for.
  heldPort: (spec) => (spec.port === 0 ? undefined : spec.port),
  usesDefaultInterpreter: () => false,
  exportRoute: () => ({ serve: 'appServer' }),
  createApp: createCommandApp,
};
