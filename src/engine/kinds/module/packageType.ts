/**
 * Node's rule for whether a `.js` file is an ES module: the `type` of the nearest package.json.
 * Node 20 has no public API for the lookup (module.findPackageJSON came in 22.14), so it is done
 * here. It runs for every module mount on every start and reload: a stat per folder, no exception
 * per missing file, and each package.json parsed once until it changes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const parsed = new Map<string, { readonly mtimeMs: number; readonly size: number; readonly type: unknown }>();

/** The `type` field of the package.json nearest to `folder`, walking up to the filesystem root. */
export function packageType(folder: string): unknown {
  for (let dir = folder; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (stat?.isFile()) return typeOf(file, stat);
    if (path.dirname(dir) === dir) return undefined;
  }
}

function typeOf(file: string, stat: fs.Stats): unknown {
  const known = parsed.get(file);
  if (known && known.mtimeMs === stat.mtimeMs && known.size === stat.size) return known.type;
  let type: unknown;
  try {
    type = (JSON.parse(fs.readFileSync(file, 'utf8')) as { type?: unknown } | null)?.type;
  } catch {
    // Unreadable or broken: Node reports it when it loads the module.
    type = undefined;
  }
  parsed.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, type });
  return type;
}
