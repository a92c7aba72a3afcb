/**
 * Python web apps run by Mounts' own runner: `wsgi` and `asgi` differ only in the protocol the
 * runner speaks, so one descriptor makes both.
 */
import type { AsgiMountSpec, PythonMountSpec, WsgiMountSpec } from '../../spec';
import { DEFAULTS, RESTART_POLICIES, START_MODES } from '../../config/defaults';
import { createPythonApp } from './app';
import type { MountKind } from '../kind';
import { interpreter, pythonApp } from './validate';

function pythonKind<S extends WsgiMountSpec | AsgiMountSpec>(name: S['kind']): MountKind<S> {
  return {
    name,
    capabilities: { runsCode: true, reloadable: true, revealable: false, runsProcess: true },
    icon: 'snake',
    // The start, readiness and restart fields are the command mount's.
    keys: [name, 'python', 'cwd', 'env', 'reload', 'readyTimeout', 'restart', 'start', 'idleTimeout', 'timeout'],
    read: (fields, base) => {
      const app = fields.check(name, pythonApp);
      const python = fields.check('python', interpreter);
      const spec: PythonMountSpec = {
        ...base,
        kind: name,
        app: app!,
        ...(python !== undefined ? { python } : {}),
        cwd: fields.path('cwd') ?? fields.dir,
        env: fields.env('env') ?? {},
        reload: fields.flag('reload', DEFAULTS.reload),
        readyTimeout: fields.seconds('readyTimeout', DEFAULTS.readyTimeout),
        restart: fields.oneOf('restart', RESTART_POLICIES) ?? DEFAULTS.restart,
        start: fields.oneOf('start', START_MODES) ?? DEFAULTS.start,
        idleTimeout: fields.seconds('idleTimeout', DEFAULTS.idleTimeout),
        timeout: fields.seconds('timeout', DEFAULTS.timeout),
      };
      return spec as S;
    },
    describe: (spec) => spec.app,
    // Nothing in the workspace to open but its entry.
    reveal: () => undefined,
    liveFilesFolder: () => undefined,
    heldPort: () => undefined,
    usesDefaultInterpreter: (spec) => spec.python === undefined,
    exportRoute: () => ({ serve: 'appServer' }),
    createApp: createPythonApp,
  };
}

export const wsgiKind = pythonKind<WsgiMountSpec>('wsgi');
export const asgiKind = pythonKind<AsgiMountSpec>('asgi');
