/** How a mount is described to people, the same in the terminal and in the editor. */
import * as path from 'node:path';
import { kindOf } from './kinds/registry';
import type { MountSpec } from './spec';

/**
 * What the mount serves: a module's file (with `#export` when named), a static folder (ending in
 * `/`), a proxy's URL, a command line. Paths are relative to the folder `relativeTo` when given,
 * absolute otherwise.
 */
export function describeTarget(spec: MountSpec, relativeTo?: string): string {
  const show = (file: string) => (relativeTo === undefined ? file : path.relative(relativeTo, file) || '.');
  return kindOf(spec).describe(spec, show);
}
