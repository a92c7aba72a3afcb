/**
 * Fresh ESM imports for hot reload. A query string on the entry's URL makes the ESM loader treat
 * it as a new module, but the files it imports would still come from the cache. A resolve hook
 * passes the entry's generation down to every workspace file it imports (never to node_modules),
 * so a reload re-evaluates the app's own files and nothing else. The same hook records which
 * files each generation imported: the import graph a mount watches. Hand-written because Node has
 * no public way to evict ESM modules and no maintained library does this for a host we share.
 */
import * as nodeModule from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

/**
 * What the resolve hook does with `url`, imported by `parentURL`: a workspace file imported by a
 * module of some generation inherits that generation's marker, and is reported as imported by it.
 * Self-contained (its source is also sent to the loader thread as text).
 */
function markImport(parentURL: string | undefined, url: string): { url: string; generation?: string } {
  const marker = 'mounts-generation';
  if (!parentURL || !parentURL.includes(`${marker}=`) || !url.startsWith('file:')) return { url };
  if (url.includes('/node_modules/') || url.includes(`${marker}=`)) return { url };
  const generation = new URL(parentURL).searchParams.get(marker) ?? '';
  const next = new URL(url);
  next.searchParams.set(marker, generation);
  return { url: next.href, generation };
}

const MARKER = 'mounts-generation';

interface Resolved {
  readonly url: string;
}
type NextResolve = (specifier: string, context: unknown) => Resolved;
interface NodeModuleHooks {
  /** Node 22.15+: in-thread, synchronous hooks (module.register is deprecated from Node 26). */
  registerHooks?(hooks: { resolve(specifier: string, context: { parentURL?: string }, next: NextResolve): Resolved }): unknown;
  /** Node 20.6+: hooks on a loader thread, given as a module; `data` reaches its initialize(). */
  register?(specifier: string, options: { data: unknown; transferList: MessagePort[] }): void;
}

// For module.register: runs on the loader thread, so it reports imports over a MessagePort.
const LOADER_THREAD_HOOKS = `
const markImport = ${markImport.toString()};
let imports;
// Each file is reported once per generation: a handler's lazy import() runs on every request, and
// the engine drains the port only when a file changes.
const reported = new Set();
export function initialize(data) {
  imports = data.imports;
}
export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  const marked = markImport(context.parentURL, result.url);
  if (marked.generation !== undefined) {
    const key = marked.generation + ' ' + result.url;
    if (!reported.has(key)) {
      reported.add(key);
      imports.postMessage([marked.generation, result.url]);
    }
  }
  return { ...result, url: marked.url };
}
`;

/**
 * The files each tracked generation imported, as paths. Only tracked generations record: an
 * import a forgotten version makes later (lazily, in a handler) is not kept.
 */
const importsByGeneration = new Map<number, Set<string>>();

function recordImport(generation: string, url: string): void {
  importsByGeneration.get(Number(generation))?.add(fileURLToPath(url));
}

/**
 * The loader thread's reports. Drained synchronously: a hook posts before its resolve returns, so
 * every import of a finished import() is already queued here. Never listened to, so it holds no
 * event loop open.
 */
let fromLoaderThread: MessagePort | undefined;

function drainLoaderThread(): void {
  if (!fromLoaderThread) return;
  for (let received = receiveMessageOnPort(fromLoaderThread); received; received = receiveMessageOnPort(fromLoaderThread)) {
    const [generation, url] = received.message as [string, string];
    recordImport(generation, url);
  }
}

let hooksInstalled: boolean | undefined;

/** Installs the resolve hook once; false when this Node has no way to. */
function installHooks(): boolean {
  if (hooksInstalled !== undefined) return hooksInstalled;
  const hooks = nodeModule as NodeModuleHooks;
  if (hooks.registerHooks) {
    hooks.registerHooks({
      resolve(specifier, context, next) {
        const result = next(specifier, context);
        const marked = markImport(context.parentURL, result.url);
        if (marked.generation !== undefined) recordImport(marked.generation, result.url);
        return { ...result, url: marked.url };
      },
    });
    hooksInstalled = true;
  } else if (hooks.register) {
    const { port1, port2 } = new MessageChannel();
    fromLoaderThread = port1;
    hooks.register(`data:text/javascript,${encodeURIComponent(LOADER_THREAD_HOOKS)}`, { data: { imports: port2 }, transferList: [port2] });
    hooksInstalled = true;
  } else {
    hooksInstalled = false;
  }
  return hooksInstalled;
}

/**
 * Imports `file` as generation `generation`: a new generation re-evaluates it and its workspace
 * imports, and `importsOf(generation)` tells which they were. On a Node without module hooks
 * (before 20.6; Mounts asks for 20) only `file` itself is re-evaluated.
 */
export function importFresh(file: string, generation: number): Promise<unknown> {
  if (installHooks()) importsByGeneration.set(generation, new Set());
  const url = pathToFileURL(file);
  url.searchParams.set(MARKER, String(generation));
  return import(url.href);
}

/**
 * The files outside node_modules that modules of `generation` imported so far (not the entry
 * itself), lazy imports in handlers included; also what a failed import got as far as resolving.
 * Undefined when unknown: a generation not imported fresh, forgotten, or on a Node without hooks.
 */
export function importsOf(generation: number): ReadonlySet<string> | undefined {
  drainLoaderThread();
  return importsByGeneration.get(generation);
}

/** Stops recording `generation`'s imports: it no longer serves. */
export function forgetImports(generation: number): void {
  importsByGeneration.delete(generation);
}
