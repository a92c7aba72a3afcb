/**
 * One version of a module mount's code: loaded fresh from the workspace (required, or imported
 * under a new generation so an edit is seen), its export read as a handler of one of the shapes
 * Mounts takes, and closed when a reload replaces it or the mount stops.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../logger';
import type { ModuleMountSpec } from '../../spec';
import type { ModuleTimeouts, MountedRequest } from '../app';
import { failsThroughRequest, fetchHandler, type Handler } from './fetchStyle';
import { importFresh } from './freshImport';
import { importedFiles, requiredFiles, type LoadedFiles } from './loadedFiles';
import { packageType } from './packageType';

type UpgradeHandler = (req: MountedRequest, socket: Duplex, head: Buffer) => unknown;

export interface Loaded {
  readonly handler: Handler;
  /** What has the close() to call on stop: the export, else the module beside it, else nothing. */
  readonly closable: unknown;
  /** Fetch-style handlers report failures through the request (see `fetchStyle.ts`). */
  readonly failsThroughRequest: boolean;
  readonly upgrade: UpgradeHandler | undefined;
  /** What this version loaded from the workspace, including what a handler loads lazily later. */
  readonly files: LoadedFiles;
  /** The upgraded connections handed to this version, closed with it. */
  readonly sockets: Set<Duplex>;
}

/** Thrown for a module that loads but exports nothing we can serve. */
export class ModuleShapeError extends Error {}

export async function load(spec: ModuleMountSpec, generation: number, workspace: string, loadMs: number): Promise<Loaded> {
  // Node's own "Cannot find module … Require stack: dist/cli.js" points at us, not at mounts.json.
  if (!fs.existsSync(spec.module)) throw new Error(`${describeFile(spec)} does not exist`);
  const { moduleNamespace, entryModule } = await withinLoadTimeout(importModule(spec.module, generation), spec, loadMs);
  const exported = pickExport(moduleNamespace, spec);
  const handler = toHandler(exported, spec);
  return {
    handler,
    failsThroughRequest: failsThroughRequest(handler),
    upgrade: pickUpgrade(exported, moduleNamespace),
    closable: ownerOf('close', exported, moduleNamespace),
    // The CommonJS module is held from the moment it loaded: its require graph says which files it
    // depends on even after another mount's reload evicted them from require.cache.
    files: entryModule ? requiredFiles(entryModule, workspace) : importedFiles(generation, workspace),
    sockets: new Set(),
  };
}

async function importModule(file: string, generation: number): Promise<{ moduleNamespace: unknown; entryModule: NodeJS.Module | undefined }> {
  // Decided before loading: from Node 20.19 require() also loads ES modules, which would then skip
  // the fresh import (stale hot reload, no known imports) and refuse a top-level await.
  if (!isEsm(file)) {
    try {
      const moduleNamespace: unknown = require(file);
      return { moduleNamespace, entryModule: require.cache[require.resolve(file)] };
    } catch (error) {
      // An ES module by its syntax alone, on a Node that detects it.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw error;
    }
  }
  return { moduleNamespace: await importFresh(file, generation), entryModule: undefined };
}

async function withinLoadTimeout<T>(loading: Promise<T>, spec: ModuleMountSpec, loadMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${describeFile(spec)} did not finish loading within ${loadMs / 1000} s: a top-level await that never settles?`)),
      loadMs,
    );
  });
  try {
    return await Promise.race([loading, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Node's rule: `.mjs`, or `.js` whose nearest package.json says `"type": "module"`. */
function isEsm(file: string): boolean {
  if (file.endsWith('.mjs')) return true;
  if (!file.endsWith('.js')) return false;
  return packageType(path.dirname(file)) === 'module';
}

function pickExport(moduleNamespace: unknown, spec: ModuleMountSpec): unknown {
  const record = moduleNamespace as Record<string, unknown>;
  if (spec.exportName !== undefined) {
    if (!(spec.exportName in record)) {
      throw new ModuleShapeError(`${describeFile(spec)} has no export named "${spec.exportName}" (it exports ${listKeys(record)}).`);
    }
    return record[spec.exportName];
  }
  if (record !== null && typeof record === 'object' && 'default' in record && record.default !== undefined) {
    // CommonJS seen through import() wraps module.exports in `default`.
    return record.default;
  }
  return moduleNamespace;
}

function toHandler(exported: unknown, spec: ModuleMountSpec): Handler {
  if (typeof exported === 'function') return exported as Handler;
  if (exported !== null && typeof exported === 'object') {
    const candidate = exported as { callback?: unknown; fetch?: unknown };
    if (typeof candidate.callback === 'function') {
      return (candidate.callback as () => Handler).call(exported);
    }
    if (typeof candidate.fetch === 'function') return fetchHandler(candidate.fetch.bind(exported));
  }
  const found =
    exported === null || typeof exported !== 'object'
      ? `a ${exported === null ? 'null' : typeof exported}`
      : `an object with keys ${listKeys(exported as Record<string, unknown>)}`;
  throw new ModuleShapeError(
    `${describeFile(spec)} exports ${found}; expected a function (req, res, next), ` +
      'an object with callback() (Koa) or an object with fetch(request) (fetch-style).',
  );
}

/** `upgrade` on the export (a function or object), else on the module beside a named or default export. */
function pickUpgrade(exported: unknown, moduleNamespace: unknown): UpgradeHandler | undefined {
  const owner = ownerOf('upgrade', exported, moduleNamespace) as Record<string, UpgradeHandler> | undefined;
  return owner?.upgrade.bind(owner);
}

/** The first of `owners` with a method `name`. */
function ownerOf(name: string, ...owners: unknown[]): unknown {
  return owners.find(
    (owner) => owner !== null && (typeof owner === 'object' || typeof owner === 'function') && typeof (owner as Record<string, unknown>)[name] === 'function',
  );
}

/** Drops these files from the CommonJS cache so the next require evaluates them again. */
export function forgetModules(files: ReadonlySet<string> | ((file: string) => boolean)): void {
  if (typeof files === 'function') {
    for (const file of Object.keys(require.cache)) if (files(file)) delete require.cache[file];
  } else {
    for (const file of files) delete require.cache[file];
  }
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * Closes a version that no longer serves: its export's close(), and the WebSockets it holds, so
 * clients reconnect to the new code. A `ws` server's close(callback) waits for its clients, so
 * they go right after close() was called, not after it finished.
 */
export async function closeVersion(version: Loaded, spec: ModuleMountSpec, logger: Logger, timeouts: ModuleTimeouts): Promise<void> {
  version.files.dispose();
  const closing = closeExport(version.closable, spec, logger, timeouts.closeMs);
  for (const socket of version.sockets) socket.destroy();
  version.sockets.clear();
  await closing;
}

/**
 * Awaits `closable.close()`, in either style: `close()` returning a promise (or nothing, when it
 * takes no parameter) or `close(callback)`, e.g. a `ws` server's. Waits `closeMs` at most.
 */
async function closeExport(closable: unknown, spec: ModuleMountSpec, logger: Logger, closeMs: number): Promise<void> {
  // Koa and Express apps have no close(); a plain handler may export one for its own resources.
  if (closable === undefined) return;
  const close = (closable as { close: (callback: (error?: unknown) => void) => unknown }).close;
  let timer: NodeJS.Timeout | undefined;
  const closed = new Promise<boolean>((resolve, reject) => {
    const callback = (error?: unknown) => (error ? reject(error) : resolve(true));
    const result: unknown = close.call(closable, callback);
    if (isThenable(result)) result.then(() => resolve(true), reject);
    else if (close.length === 0) resolve(true);
  });
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), closeMs);
  });
  try {
    if (!(await Promise.race([closed, timedOut]))) {
      logger.warn(`close() did not finish within ${closeMs / 1000} s; going on without it`, spec.name);
      void closed.catch((error: unknown) => logger.error('close() failed after its time was up', error, spec.name));
    }
  } finally {
    clearTimeout(timer);
  }
}

function describeFile(spec: ModuleMountSpec): string {
  return `module ${spec.module}`;
}

function listKeys(record: Record<string, unknown>): string {
  const keys = Object.keys(record);
  return keys.length ? keys.map((k) => `"${k}"`).join(', ') : 'nothing';
}
