/**
 * Fresh ESM imports for hot reload. A query string on the entry's URL makes the ESM loader treat
 * it as a new module, but the files it imports would still come from the cache. A resolve hook
 * passes the entry's generation down to every workspace file it imports (never to node_modules),
 * so a reload re-evaluates the app's own files and nothing else. Hand-written because Node has no
 * public way to evict ESM modules and no maintained library does this for a host we share.
 */
import * as nodeModule from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * The URL a workspace file imported by `parentURL` resolves to: it inherits the parent's
 * generation marker. Self-contained (its source is also sent to the loader thread as text).
 */
function withGeneration(parentURL: string | undefined, url: string): string {
  const marker = 'mounts-generation';
  if (!parentURL || !parentURL.includes(`${marker}=`) || !url.startsWith('file:')) return url;
  if (url.includes('/node_modules/') || url.includes(`${marker}=`)) return url;
  const next = new URL(url);
  next.searchParams.set(marker, new URL(parentURL).searchParams.get(marker) ?? '');
  return next.href;
}

const MARKER = 'mounts-generation';

interface Resolved {
  readonly url: string;
}
type NextResolve = (specifier: string, context: unknown) => Resolved;
interface NodeModuleHooks {
  /** Node 22.15+: in-thread, synchronous hooks (module.register is deprecated from Node 26). */
  registerHooks?(hooks: { resolve(specifier: string, context: { parentURL?: string }, next: NextResolve): Resolved }): unknown;
  /** Node 20.6+: hooks on a loader thread, given as a module. */
  register?(specifier: string): void;
}

// For module.register: runs on the loader thread. Only URLs imported by a marked module change.
const LOADER_THREAD_HOOKS = `
const withGeneration = ${withGeneration.toString()};
export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  return { ...result, url: withGeneration(context.parentURL, result.url) };
}
`;

let hooksInstalled: boolean | undefined;

/** Installs the resolve hook once; false when this Node has no way to. */
function installHooks(): boolean {
  if (hooksInstalled !== undefined) return hooksInstalled;
  const hooks = nodeModule as NodeModuleHooks;
  if (hooks.registerHooks) {
    hooks.registerHooks({
      resolve(specifier, context, next) {
        const result = next(specifier, context);
        return { ...result, url: withGeneration(context.parentURL, result.url) };
      },
    });
    hooksInstalled = true;
  } else if (hooks.register) {
    hooks.register(`data:text/javascript,${encodeURIComponent(LOADER_THREAD_HOOKS)}`);
    hooksInstalled = true;
  } else {
    hooksInstalled = false;
  }
  return hooksInstalled;
}

/**
 * Imports `file` as generation `generation`: a new generation re-evaluates it and its workspace
 * imports. On a Node without module hooks (before 20.6; Mounts asks for 20) only `file` itself is
 * re-evaluated.
 */
export function importFresh(file: string, generation: number): Promise<unknown> {
  installHooks();
  const url = pathToFileURL(file);
  url.searchParams.set(MARKER, String(generation));
  return import(url.href);
}
