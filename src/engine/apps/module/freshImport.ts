/**
 * Fresh ESM imports for hot reload. A query string on the entry's URL makes the ESM loader treat
 * it as a new module, but the files it imports would still come from the cache. A resolve hook
 * passes the entry's generation down to every workspace file it imports (never to node_modules),
 * so a reload re-evaluates the app's own files and nothing else. Hand-written because Node has no
 * public way to evict ESM modules and no maintained library does this for a host we share.
 */
import * as nodeModule from 'node:module';
import { pathToFileURL } from 'node:url';

const MARKER = 'mounts-generation';

// Runs on the loader thread. Only URLs imported by a module that carries the marker are touched.
const HOOKS = `
const marker = ${JSON.stringify(MARKER)};
export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  const parent = context.parentURL;
  if (!parent || !parent.includes(marker + '=') || !result.url.startsWith('file:')) return result;
  if (result.url.includes('/node_modules/') || result.url.includes(marker + '=')) return result;
  const generation = new URL(parent).searchParams.get(marker);
  const url = new URL(result.url);
  url.searchParams.set(marker, generation);
  return { ...result, url: url.href };
}
`;

let hooksRegistered = false;

/** Imports `file` as generation `generation`: a new generation re-evaluates it and its workspace imports. */
export function importFresh(file: string, generation: number): Promise<unknown> {
  if (!hooksRegistered) {
    hooksRegistered = true;
    // module.register exists from Node 20.6; without it only the entry file is re-evaluated.
    const register = (nodeModule as { register?: (specifier: string) => void }).register;
    register?.(`data:text/javascript,${encodeURIComponent(HOOKS)}`);
  }
  const url = pathToFileURL(file);
  url.searchParams.set(MARKER, String(generation));
  return import(url.href);
}
