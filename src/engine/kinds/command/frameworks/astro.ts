/**
 * Astro: port, bind address and base path are all CLI flags of `astro dev`. Its pages follow the
 * base, but its dev server (Vite's, at base `/`) loads the pages' modules from the root whatever the
 * base: `/@vite/client`, `/@id/…`, `/@fs/…`, `/src/…`, `/node_modules/.vite/deps/…`, and its HMR
 * socket at `/`. Giving Vite the base as well does not help: Astro's base middleware and Vite's
 * then redirect the page to itself. Under a prefix Mounts routes those root paths to it instead.
 */
import { runsDevCommand, type FrameworkPreset } from './types';

export const astro: FrameworkPreset = {
  name: 'Astro',
  matches: (script) => script.dependencies.has('astro') && runsDevCommand(script.words, 'astro', ['dev']),
  args: (port, { base }) => ['--port', String(port), '--host', '127.0.0.1', ...(base ? ['--base', base] : [])],
  // Vite's own paths, and the folders of the project Astro's pages import from (its `src`, and the deps Vite pre-bundles).
  rootPaths: { prefixes: ['/@vite', '/@id', '/@fs', '/src', '/node_modules'], sockets: ['/'] },
};
