/**
 * Nuxt: port and bind address are flags of `nuxt dev`; the base path is `app.baseURL`, which Nuxt
 * reads from NUXT_APP_BASE_URL unless nuxt.config sets it, so nothing needs writing. Its HMR socket
 * is below the base (`/shop/_nuxt/`) on the dev server's own port, so the mount carries it; its host
 * check sees the Host Mounts sends (127.0.0.1), so any mount host passes.
 */
import { findConfig, mentions } from './configFiles';
import { runsDevCommand, type FrameworkPreset } from './types';

const CONFIG_EXTENSIONS = ['.ts', '.mjs', '.js', '.mts', '.cjs'];

export const nuxt: FrameworkPreset = {
  name: 'Nuxt',
  matches: (script) =>
    (script.dependencies.has('nuxt') || script.dependencies.has('nuxi')) && (runsDevCommand(script.words, 'nuxt', ['dev']) || runsDevCommand(script.words, 'nuxi', ['dev'])),
  args: (port) => ['--port', String(port), '--host', '127.0.0.1'],
  env: ({ base }): Record<string, string> => (base ? { NUXT_APP_BASE_URL: `${base}/` } : {}),
  advice: async (script, { base }) => {
    if (!base) return [];
    const config = await findConfig(script.dir, 'nuxt.config', CONFIG_EXTENSIONS);
    if (!config || !mentions(config.text, /\bbaseURL\s*:/) || mentions(config.text, /\b(NUXT_APP_BASE_URL|MOUNT_PREFIX)\b/)) return [];
    return [`${config.name} sets app.baseURL, which Nuxt takes over NUXT_APP_BASE_URL (${base}/): remove it, or write \`baseURL: process.env.NUXT_APP_BASE_URL ?? '/',\``];
  },
};
