/** A Node module that exports a request handler, loaded into the engine and hot-reloaded. */
import type { ModuleMountSpec } from '../../spec';
import { createModuleApp } from './app';
import type { MountKind } from '../kind';

export const moduleKind: MountKind<ModuleMountSpec> = {
  name: 'module',
  capabilities: { runsCode: true, reloadable: true, revealable: true, runsProcess: false },
  icon: 'symbol-module',
  keys: ['module', 'export'],
  read: (fields, base) => {
    const exportName = fields.string('export');
    return { ...base, kind: 'module', module: fields.path('module')!, ...(exportName ? { exportName } : {}) };
  },
  describe: (spec, show) => show(spec.module) + (spec.exportName ? `#${spec.exportName}` : ''),
  reveal: (spec) => ({ open: 'file', path: spec.module }),
  liveFilesFolder: () => undefined,
  heldPort: () => undefined,
  usesDefaultInterpreter: () => false,
  exportRoute: () => ({ serve: 'appServer' }),
  createApp: createModuleApp,
};
