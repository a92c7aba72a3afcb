/**
 * What one loaded version of a module mount runs from the workspace: the files whose change
 * reloads it, and the CommonJS modules a reload evicts so they run again. Known from the require
 * graph for CommonJS and from the resolve hook (see freshImport.ts) for ES modules; guessed from
 * the entry's folder only where neither can tell.
 */
import * as path from 'node:path';
import { forgetImports, importsOf } from './freshImport';

export interface LoadedFiles {
  /** Which guess stands in while the files are unknown: CommonJS may require JSON, too. */
  readonly kind: 'commonjs' | 'esm';
  /** The files loaded so far, lazy loads in handlers included; undefined when unknown. */
  files(): ReadonlySet<string> | undefined;
  /** The CommonJS modules among them. */
  commonJs(): ReadonlySet<string>;
  /** The version no longer serves: stop recording for it. */
  dispose(): void;
}

/** A CommonJS version: `entry` and what it required, transitively. */
export function requiredFiles(entry: NodeJS.Module, workspace: string): LoadedFiles {
  const files = () => workspaceRequires([entry], workspace);
  return { kind: 'commonjs', files, commonJs: files, dispose: () => undefined };
}

/**
 * An ES module version imported as `generation`: what its modules imported, and what the CommonJS
 * modules among those required. Also for an import that failed: as far as it got.
 */
export function importedFiles(generation: number, workspace: string): LoadedFiles {
  // Held from the first look: another mount's reload may evict them from require.cache.
  const required = new Map<string, NodeJS.Module>();
  const commonJs = () => {
    for (const file of importsOf(generation) ?? []) {
      const module = require.cache[file];
      if (module && !required.has(file)) required.set(file, module);
    }
    return workspaceRequires([...required.values()], workspace);
  };
  commonJs();
  return {
    kind: 'esm',
    files() {
      const imported = importsOf(generation);
      return imported && new Set([...imported, ...commonJs()]);
    },
    commonJs,
    dispose: () => forgetImports(generation),
  };
}

/**
 * What the module at `entry` may have loaded, as far as a guess can tell: `files` in its folder
 * tree, outside node_modules, dot-folders (.vscode, .git) and the folders a static mount serves
 * (data and assets the app writes or serves, which would reload it in a loop).
 */
export function besideEntry(entry: string, files: RegExp, servedFolders: readonly string[]): (file: string) => boolean {
  const folder = path.dirname(entry) + path.sep;
  // A static root inside the entry's folder, unless the entry itself is in it.
  const served = servedFolders.filter((root) => root.startsWith(folder) && !entry.startsWith(root));
  return (file) =>
    files.test(file) &&
    file.startsWith(folder) &&
    !isInNodeModules(file) &&
    !file.slice(folder.length).split(path.sep).some((segment) => segment.startsWith('.')) &&
    !served.some((root) => file.startsWith(root));
}

/**
 * `roots` and the CommonJS modules they required, transitively, that live in the workspace outside
 * node_modules: its own code, which a reload of this mount evicts and nothing else. Walks the
 * module objects, never require.cache, which other mounts' reloads change.
 */
function workspaceRequires(roots: readonly NodeJS.Module[], workspace: string): ReadonlySet<string> {
  const root = workspace + path.sep;
  const files = new Set<string>(roots.map((module) => module.filename));
  const visit = (module: NodeJS.Module) => {
    for (const child of module.children) {
      if (files.has(child.filename) || !child.filename.startsWith(root) || isInNodeModules(child.filename)) continue;
      files.add(child.filename);
      visit(child);
    }
  };
  roots.forEach(visit);
  return files;
}

function isInNodeModules(file: string): boolean {
  return file.includes(`${path.sep}node_modules${path.sep}`);
}
