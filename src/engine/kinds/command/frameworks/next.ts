/**
 * Next.js: `next dev -p PORT -H 127.0.0.1`. Binding 127.0.0.1 by name also puts it on the list of
 * origins Next's dev server accepts (beside `localhost` and `*.localhost`). Its base path and any
 * other origin can be set only in next.config: under a prefix, or at a mount host that is not
 * `*.localhost`, the user adds that one line. Its dev overlay asks the root for its fonts and for
 * what it shows of an error whatever the base path, and the server answers them there.
 */
import { findConfig, mentions } from './configFiles';
import { runsDevCommand, type FrameworkPreset } from './types';

const CONFIG_EXTENSIONS = ['.ts', '.mjs', '.js', '.mts', '.cjs'];

export const next: FrameworkPreset = {
  name: 'Next.js',
  matches: (script) => script.dependencies.has('next') && runsDevCommand(script.words, 'next', ['dev']),
  args: (port) => ['--port', String(port), '--hostname', '127.0.0.1'],
  rootPaths: {
    prefixes: [
      '/__nextjs_font',
      '/__nextjs_original-stack-frames',
      '/__nextjs_server_status',
      '/__nextjs_restart_dev',
      '/__nextjs_devtools_config',
      '/__nextjs_disable_dev_indicator',
      '/__nextjs_attach-nodejs-inspector',
    ],
    sockets: [],
  },
  advice: async (script, { base, host }) => {
    const config = await findConfig(script.dir, 'next.config', CONFIG_EXTENSIONS);
    const file = config?.name ?? 'next.config.ts';
    const lines: string[] = [];
    if (base && !(config && mentions(config.text, /\bbasePath\b/))) {
      lines.push(`Next.js takes its base path only from ${file}: add \`basePath: process.env.MOUNT_PREFIX,\` to the config object`);
    }
    if (host !== undefined && host !== 'localhost' && !host.endsWith('.localhost') && !(config && mentions(config.text, /\ballowedDevOrigins\b/))) {
      lines.push(`Next.js accepts dev requests from ${host} only when ${file} says so: add \`allowedDevOrigins: ['${host}'],\` to the config object`);
    }
    return lines;
  },
};
