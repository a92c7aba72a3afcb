/**
 * Python web apps run by Mounts' own runner: `wsgi` and `asgi` differ only in the protocol the
 * runner speaks, so one descriptor makes both.
 */
import type { AsgiMountSpec, PythonMountSpec, WsgiMountSpec } from '../../spec';
import type { MountFields, MountKind } from '../kind';

function pythonKind<S extends WsgiMountSpec | AsgiMountSpec>(name: S['kind']): MountKind<S> {
  return {
    name,
    capabilities: { runsCode: true, reloadable: true, revealable: false, runsProcess: true },
    icon: 'snake',
    // The start, readiness and restart fields are the command mount's.
    keys: [name, 'python', 'cwd', 'env', 'reload', 'readyTimeout', 'restart', 'start', 'idleTimeout', 'timeout'],
    spec: (base, fields: MountFields) => {
      const spec: PythonMountSpec = {
        ...base,
        kind: name,
        app: fields[name]!,
        ...(fields.python !== undefined ? { python: fields.python } : {}),
        cwd: fields.cwd,
        env: fields.env,
        reload: fields.reload,
        readyTimeout: fields.readyTimeout,
        restart: fields.restart,
        start: fields.start,
        idleTimeout: fields.idleTimeout,
        timeout: fields.timeout,
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
  };
}

export const wsgiKind = pythonKind<WsgiMountSpec>('wsgi');
export const asgiKind = pythonKind<AsgiMountSpec>('asgi');
