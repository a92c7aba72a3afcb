/** A folder of files served as they are. */
import * as path from 'node:path';
import { DEFAULTS } from '../../config/defaults';
import type { StaticMountSpec } from '../../spec';
import { createStaticApp } from './app';
import type { MountKind } from '../kind';

export const staticKind: MountKind<StaticMountSpec> = {
  name: 'static',
  capabilities: { runsCode: false, reloadable: false, revealable: true, runsProcess: false },
  icon: 'file-directory',
  keys: ['static', 'spa', 'listing'],
  read: (fields, base) => ({ ...base, kind: 'static', root: fields.path('static')!, spa: fields.flag('spa', DEFAULTS.spa), listing: fields.flag('listing', DEFAULTS.listing) }),
  describe: (spec, show) => {
    const root = show(spec.root);
    return root.endsWith('/') || root.endsWith(path.sep) ? root : `${root}/`;
  },
  reveal: (spec) => ({ open: 'folder', path: spec.root }),
  liveFilesFolder: (spec) => spec.root,
  heldPort: () => undefined,
  usesDefaultInterpreter: () => false,
  exportRoute: (spec) => ({ serve: 'folder', root: spec.root, spa: spec.spa, listing: spec.listing }),
  createApp: createStaticApp,
};
