/**
 * Module mounts: a Node request handler loaded from the workspace at run time (never bundled).
 * Accepts `(req, res, next?)` (plain Node, Express, Connect), Koa (`callback()`), and fetch-style
 * `{ fetch(request) }` apps (Hono and friends) through @hono/node-server's request listener.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { Emitter } from '../events';
import { describeError } from '../logger';
import type { ModuleMountSpec } from '../spec';
import { importFresh } from './module/freshImport';
import { HttpError, type App, type AppFactory, type AppStatus, type FailRequest, type MountedRequest } from './app';

type Handler = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => unknown;

interface Loaded {
  readonly handler: Handler;
  readonly exported: unknown;
  /** Fetch-style handlers report failures through the request (see `fetchHandler`). */
  readonly failsThroughRequest: boolean;
}

const FAIL = Symbol('mounts.fail');
/** Thrown through @hono/node-server after we already answered, so it writes nothing itself. */
const ALREADY_ANSWERED = Symbol('mounts.answered');

/** Thrown for a module that loads but exports nothing we can serve. */
export class ModuleShapeError extends Error {}

let importGeneration = 0;

const MODULE_FILE = /\.(?:m?js|cjs|json)$/;

export const createModuleApp: AppFactory<ModuleMountSpec> = async (spec, context) => {
  let current = await load(spec, ++importGeneration);
  let status: AppStatus = { state: 'ready' };
  const onDidChangeStatus = new Emitter<AppStatus>();
  const setStatus = (next: AppStatus) => {
    status = next;
    onDidChangeStatus.fire(next);
  };

  const app: App & { dependsOn(file: string): boolean } = {
    get status() {
      return status;
    },
    onDidChangeStatus: onDidChangeStatus.event,

    handle(req: MountedRequest, res: ServerResponse, fail: FailRequest) {
      const next = (error?: unknown) => {
        if (error !== undefined && error !== null && error !== 'route' && error !== 'router') fail(error);
        else fail(new HttpError(404, `${spec.name} has no route for ${req.originalUrl}.`));
      };
      if (current.failsThroughRequest) (req as unknown as Record<symbol, FailRequest>)[FAIL] = fail;
      const result = current.handler(req, res, next);
      if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
        (result as Promise<unknown>).then(undefined, fail);
      }
    },

    async reload() {
      const previous = current;
      try {
        forgetWorkspaceModules(context.config.dir);
        current = await load(spec, ++importGeneration);
        await closeExport(previous.exported);
        setStatus({ state: 'ready' });
        context.logger.info(`reloaded ${path.relative(context.config.dir, spec.module)}`, spec.name);
      } catch (error) {
        current = previous;
        setStatus({ state: 'error', reason: `reload failed, still serving the previous version: ${firstLine(error)}` });
        context.logger.error('reload failed; the previous version keeps serving', error, spec.name);
        throw error;
      }
    },

    /** True when `file` is the module or something it required from the workspace. */
    dependsOn(file: string) {
      if (file === spec.module) return true;
      // An ES module's imports are not visible from here: any module file beside it counts (not
      // data or log files the app itself writes, which would reload it in a loop).
      if (!require.cache[spec.module]) {
        return MODULE_FILE.test(file) && file.startsWith(path.dirname(spec.module) + path.sep) && !file.includes(`${path.sep}node_modules${path.sep}`);
      }
      return requiredFiles(spec.module).has(file);
    },

    async close() {
      onDidChangeStatus.dispose();
      await closeExport(current.exported);
    },
  };
  return app;
};

async function load(spec: ModuleMountSpec, generation: number): Promise<Loaded> {
  const moduleNamespace = await importModule(spec.module, generation);
  const exported = pickExport(moduleNamespace, spec);
  const handler = toHandler(exported, spec);
  return { exported, handler, failsThroughRequest: FETCH_HANDLERS.has(handler) };
}

async function importModule(file: string, generation: number): Promise<unknown> {
  if (!isEsm(file)) {
    try {
      return require(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw error;
    }
  }
  return importFresh(file, generation);
}

function isEsm(file: string): boolean {
  return file.endsWith('.mjs');
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

const FETCH_HANDLERS = new WeakSet<Handler>();

type FetchFunction = (request: Request, env: unknown) => Response | Promise<Response>;

function fetchHandler(fetchFunction: FetchFunction): Handler {
  const listener = getRequestListener(
    (request, env) => {
      const fail = (env.incoming as unknown as Record<symbol, FailRequest>)[FAIL];
      const answered = (error: unknown): never => {
        fail(error);
        throw ALREADY_ANSWERED;
      };
      try {
        const response = fetchFunction(request, env);
        return response instanceof Promise ? response.catch(answered) : response;
      } catch (error) {
        return answered(error);
      }
    },
    {
      // The extension host is shared with other extensions: never replace global Request/Response.
      overrideGlobalObjects: false,
      errorHandler: (error) => (error === ALREADY_ANSWERED ? undefined : new Response(describeError(error), { status: 500 })),
    },
  );
  const handler: Handler = (req, res) => listener(req, res);
  FETCH_HANDLERS.add(handler);
  return handler;
}

/** Drops every CommonJS module of the workspace (outside node_modules) so the next require is fresh. */
function forgetWorkspaceModules(workspaceDir: string): void {
  const root = workspaceDir + path.sep;
  for (const file of Object.keys(require.cache)) {
    if (file.startsWith(root) && !file.includes(`${path.sep}node_modules${path.sep}`)) delete require.cache[file];
  }
}

function requiredFiles(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (module: NodeJS.Module | undefined) => {
    if (!module || seen.has(module.filename)) return;
    seen.add(module.filename);
    if (module.filename.includes(`${path.sep}node_modules${path.sep}`)) return;
    for (const child of module.children) visit(child);
  };
  visit(require.cache[entry]);
  return seen;
}

async function closeExport(exported: unknown): Promise<void> {
  const closable = exported as { close?: unknown } | null;
  // Koa and Express apps have no close(); a plain handler may export one for its own resources.
  if (closable !== null && (typeof closable === 'object' || typeof closable === 'function') && typeof closable.close === 'function') {
    if (closable.close.length === 0) await (closable.close as () => unknown)();
  }
}

function describeFile(spec: ModuleMountSpec): string {
  return `mount "${spec.name}": module ${spec.module}`;
}

function listKeys(record: Record<string, unknown>): string {
  const keys = Object.keys(record);
  return keys.length ? keys.map((k) => `"${k}"`).join(', ') : 'nothing';
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
