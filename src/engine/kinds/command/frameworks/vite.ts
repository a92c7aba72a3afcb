/**
 * Vite (plain, or with a framework plugin such as React's): every setting Mounts needs has a CLI
 * flag. `--base` makes Vite serve under the prefix and write it into its URLs, so the prefix is
 * forwarded; the HMR client connects to the page's own origin at that base, which is Mounts.
 * `--strictPort` turns a taken port into an exit instead of a silent move to the next one.
 */
import { runsDevCommand, type FrameworkPreset } from './types';

export const vite: FrameworkPreset = {
  name: 'Vite',
  matches: (script) => script.dependencies.has('vite') && runsDevCommand(script.words, 'vite', ['dev', 'serve']),
  args: (port, { base }) => ['--port', String(port), '--strictPort', '--host', '127.0.0.1', ...(base ? ['--base', `${base}/`] : [])],
};
