/**
 * SvelteKit runs on Vite (`vite dev`), but its base path is `kit.paths.base` in svelte.config.js,
 * which overrides Vite's `--base`: under a prefix the user adds that one line, reading MOUNT_PREFIX.
 */
import { findConfig, mentions } from './configFiles';
import { runsDevCommand, type FrameworkPreset } from './types';

export const sveltekit: FrameworkPreset = {
  name: 'SvelteKit',
  matches: (script) => script.dependencies.has('@sveltejs/kit') && runsDevCommand(script.words, 'vite', ['dev', 'serve']),
  args: (port) => ['--port', String(port), '--strictPort', '--host', '127.0.0.1'],
  advice: async (script, { base }) => {
    if (!base) return [];
    const config = await findConfig(script.dir, 'svelte.config', ['.js', '.mjs', '.ts']);
    if (config && mentions(config.text, /\bbase\s*:/)) return [];
    const file = config?.name ?? 'svelte.config.js';
    return [`SvelteKit takes its base path only from ${file}: add \`paths: { base: process.env.MOUNT_PREFIX ?? '' },\` inside its \`kit: { … }\``];
  },
};
