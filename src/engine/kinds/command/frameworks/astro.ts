/**
 * Astro: port, bind address and base path are all CLI flags of `astro dev`. Its pages follow the
 * base, but its dev server loads the pages' modules from the root (`/@vite/client`, `/src/…`)
 * whatever the base, which a prefix cannot carry: under one, the advice is a host of its own.
 */
import { runsDevCommand, type FrameworkPreset } from './types';

export const astro: FrameworkPreset = {
  name: 'Astro',
  matches: (script) => script.dependencies.has('astro') && runsDevCommand(script.words, 'astro', ['dev']),
  args: (port, { base }) => ['--port', String(port), '--host', '127.0.0.1', ...(base ? ['--base', base] : [])],
  advice: async (_script, { base }) =>
    base
      ? [`Astro's dev server loads its modules from the root (/@vite/client, /src/…) whatever its base, so its pages break under ${base}: give this mount a host of its own instead ("host": "astro.localhost", "prefix": "/")`]
      : [],
};
