/** A reverse proxy to an http: or https: upstream. */
import type { ProxyMountSpec } from '../../spec';
import type { MountKind } from '../kind';

export const proxyKind: MountKind<ProxyMountSpec> = {
  name: 'proxy',
  capabilities: { runsCode: false, reloadable: false, revealable: false, runsProcess: false },
  icon: 'arrow-swap',
  keys: ['proxy', 'stripPrefix', 'timeout', 'secure'],
  spec: (base, fields) => ({ ...base, kind: 'proxy', target: fields.target!, stripPrefix: fields.stripPrefix, timeout: fields.timeout, secure: fields.secure }),
  describe: (spec) => spec.target,
  // Nothing in the workspace to open but its entry.
  reveal: () => undefined,
  liveFilesFolder: () => undefined,
  heldPort: () => undefined,
  usesDefaultInterpreter: () => false,
  exportRoute: (spec) => ({ serve: 'upstream', target: spec.target, strip: spec.stripPrefix, timeout: spec.timeout }),
};
