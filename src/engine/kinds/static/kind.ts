/** A folder of files served as they are. */
import * as path from 'node:path';
import type { StaticMountSpec } from '../../spec';
import type { MountKind } from '../kind';

export const staticKind: MountKind<StaticMountSpec> = {
  name: 'static',
  capabilities: { runsCode: false, reloadable: false, revealable: true, runsProcess: false },
  icon: 'file-directory',
  keys: ['static', 'spa', 'listing'],
  spec: (base, fields) => ({ ...base, kind: 'static', root: fields.root!, spa: fields.spa, listing: fields.listing }),
  describe: (spec, show) => {
    const root = show(spec.root);
    return root.endsWith('/') || root.endsWith(path.sep) ? root : `${root}/`;
  },
  reveal: (spec) => ({ open: 'folder', path: spec.root }),
  liveFilesFolder: (spec) => spec.root,
  heldPort: () => undefined,
  usesDefaultInterpreter: () => false,
  exportRoute: (spec) => ({ serve: 'folder', root: spec.root, spa: spec.spa, listing: spec.listing }),
};
