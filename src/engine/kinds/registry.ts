/** The kinds of mount, in the order mounts.json's messages list them. Adding a kind is one line here. */
import type { MountKindName, MountSpec } from '../spec';
import { commandKind } from './command/kind';
import type { MountKind } from './kind';
import { moduleKind } from './module/kind';
import { proxyKind } from './proxy/kind';
import { asgiKind, wsgiKind } from './python/kind';
import { staticKind } from './static/kind';

export const KINDS: readonly MountKind[] = [moduleKind, staticKind, proxyKind, commandKind, wsgiKind, asgiKind];

const BY_NAME: ReadonlyMap<string, MountKind> = new Map(KINDS.map((kind) => [kind.name, kind]));

/** Kinds that run workspace code; refused while the workspace is untrusted. */
export const RUNS_WORKSPACE_CODE: ReadonlySet<MountKindName> = new Set(KINDS.filter((kind) => kind.capabilities.runsCode).map((kind) => kind.name));

/** The kind of `spec`, or of the kind named `name`. */
export function kindOf(spec: Pick<MountSpec, 'kind'>): MountKind {
  return BY_NAME.get(spec.kind)!;
}
