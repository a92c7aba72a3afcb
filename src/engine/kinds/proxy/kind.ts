/** A reverse proxy to an http: or https: upstream. */
import { DEFAULTS } from '../../config/defaults';
import type { ProxyMountSpec } from '../../spec';
import { createProxyApp } from './app';
import type { MountKind } from '../kind';
import { proxyTarget } from './validate';

export const proxyKind: MountKind<ProxyMountSpec> = {
  name: 'proxy',
  capabilities: { runsCode: false, reloadable: false, revealable: false, runsProcess: false },
  icon: 'arrow-swap',
  keys: ['proxy', 'stripPrefix', 'timeout', 'secure'],
  read: (fields, base) => ({
    ...base,
    kind: 'proxy',
    target: fields.check('proxy', proxyTarget)!,
    stripPrefix: fields.flag('stripPrefix', DEFAULTS.stripPrefix),
    timeout: fields.seconds('timeout', DEFAULTS.timeout),
    secure: fields.flag('secure', DEFAULTS.secure),
  }),
  describe: (spec) => spec.target,
  // Nothing in the workspace to open but its entry.
  reveal: () => undefined,
  liveFilesFolder: () => undefined,
  heldPort: () => undefined,
  usesDefaultInterpreter: () => false,
  exportRoute: (spec) => ({ serve: 'upstream', target: spec.target, strip: spec.stripPrefix, timeout: spec.timeout }),
  createApp: createProxyApp,
};
