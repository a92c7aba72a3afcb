/**
 * Nuxt: port and bind address are flags of `nuxt dev`; the base path is `app.baseURL`, which Nuxt
 * also reads from NUXT_APP_BASE_URL at run time, so nothing needs writing.
 */
import { runsDevCommand, type FrameworkPreset } from './types';

export const nuxt: FrameworkPreset = {
  name: 'Nuxt',
  matches: (script) =>
    (script.dependencies.has('nuxt') || script.dependencies.has('nuxi')) && (runsDevCommand(script.words, 'nuxt', ['dev']) || runsDevCommand(script.words, 'nuxi', ['dev'])),
  args: (port) => ['--port', String(port), '--host', '127.0.0.1'],
  env: ({ base }): Record<string, string> => (base ? { NUXT_APP_BASE_URL: `${base}/` } : {}),
};
