/** Astro: port, bind address and base path are all CLI flags of `astro dev`; it serves under the base itself. */
import { runsDevCommand, type FrameworkPreset } from './types';

export const astro: FrameworkPreset = {
  name: 'Astro',
  matches: (script) => script.dependencies.has('astro') && runsDevCommand(script.words, 'astro', ['dev']),
  args: (port, { base }) => ['--port', String(port), '--host', '127.0.0.1', ...(base ? ['--base', base] : [])],
};
