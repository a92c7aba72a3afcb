/**
 * `mounts export <caddy|nginx|gateway> [PATH] [--app-server URL] [--out FILE]`: writes the
 * configuration of a production front for PATH/mounts.json. Warnings go to stderr (they are in
 * the file too). Exit codes: 0 written, 2 invalid mounts.json or unusable URL, 1 cannot write,
 * 64 bad arguments.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT_USAGE, readArguments } from './cliArguments';
import { EXPORT_TARGETS, ExportConfigError, exportMounts, isExportTarget } from './engine/index';

export const EXPORT_USAGE = `Usage: mounts export <${EXPORT_TARGETS.join('|')}> [PATH] [--app-server URL] [--out FILE]

Writes a Caddyfile, an nginx server configuration or Kubernetes Gateway API HTTPRoutes that serve
PATH/mounts.json the way Mounts does (PATH: a folder or the file; default: the current folder).
Static and proxy mounts are served by the front itself; every other mount is proxied to the app
server, \`mounts serve PATH --only <kinds>\`, which the file's header spells out.
  --app-server URL   where the app server listens (default http://127.0.0.1:<port + 1>)
  --out FILE         write to FILE instead of standard output`;

export async function exportMain(argv: string[], resolveConfigFile: (target: string) => string): Promise<number> {
  const parsed = readArguments(
    {
      args: argv,
      allowPositionals: true,
      options: {
        'app-server': { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    EXPORT_USAGE,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [target, where, extra] = positionals;
  if (target === undefined || !isExportTarget(target)) {
    process.stderr.write(`${target === undefined ? 'Which target?' : `Unknown target "${target}".`} Choose one of ${EXPORT_TARGETS.join(', ')}.\n\n${EXPORT_USAGE}\n`);
    return EXIT_USAGE;
  }
  if (extra !== undefined) {
    process.stderr.write(`Unexpected argument "${extra}".\n\n${EXPORT_USAGE}\n`);
    return EXIT_USAGE;
  }
  let result;
  try {
    result = await exportMounts(target, resolveConfigFile(where ?? '.'), { appServer: values['app-server'] });
  } catch (error) {
    process.stderr.write(`${error instanceof ExportConfigError ? '' : 'mounts export: '}${(error as Error).message}\n`);
    return 2;
  }
  for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
  if (values.out === undefined) {
    process.stdout.write(result.text);
    return 0;
  }
  try {
    fs.writeFileSync(path.resolve(values.out), result.text);
  } catch (error) {
    process.stderr.write(`mounts export: cannot write ${values.out}: ${(error as Error).message}\n`);
    return 1;
  }
  process.stderr.write(`wrote ${values.out}\n`);
  return 0;
}
