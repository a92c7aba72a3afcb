#!/usr/bin/env node
/**
 * The engine from a terminal: `mounts [serve] [PATH] [--port N] [--host H] [--watch] [--quiet]`.
 * Exit codes: 0 after a clean stop (SIGINT/SIGTERM), 1 when the server cannot listen,
 * 2 for an invalid mounts.json or an app that cannot load, 64 for bad arguments.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine, EngineStartError, type MountInfo } from './engine/engine';
import { formatProblem } from './engine/config';
import { describeTarget } from './engine/describe';
import { describeError, errorMessage, type Logger } from './engine/logger';
import { MOUNT_KINDS } from './engine/config';
import { EXPORT_USAGE, exportMain } from './cliExport';

const USAGE = `Usage: mounts [serve] [PATH] [--port N] [--host H] [--watch] [--quiet] [--only KINDS]

Serves every mount of PATH/mounts.json (PATH: a folder or the file; default: the current folder).
  --port N   listen on port N instead of mounts.json's (0: a free port)
  --host H   bind address instead of mounts.json's
  --watch    reload mounts.json and module apps when their files change
  --quiet    no access log
  --only K   serve only mounts of these kinds (comma-separated, e.g. module,command): the app
             server behind an exported front, which trusts its forwarded headers from loopback

${EXPORT_USAGE}`;

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'export') return exportMain(argv.slice(1), resolveConfigFile);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        watch: { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        only: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 64;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const args = positionals[0] === 'serve' ? positionals.slice(1) : positionals;
  if (args.length > 1) {
    process.stderr.write(`Unexpected argument "${args[1]}".\n\n${USAGE}\n`);
    return 64;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    process.stderr.write(`--port must be an integer from 0 to 65535, got "${values.port}".\n`);
    return 64;
  }
  const only = values.only?.split(',').map((kind) => kind.trim());
  const unknownKind = only?.find((kind) => !(MOUNT_KINDS as readonly string[]).includes(kind));
  if (unknownKind !== undefined) {
    process.stderr.write(`--only: unknown kind "${unknownKind}"; kinds are ${MOUNT_KINDS.join(', ')}.\n`);
    return 64;
  }
  const configFile = resolveConfigFile(args[0] ?? '.');

  const logger = terminalLogger();
  // An app's stray asynchronous throw (a timer, an event handler) must not take every mount down.
  process.on('uncaughtException', (error) => logger.error('uncaught exception in an app; still serving', error));
  process.on('unhandledRejection', (error) => logger.error('unhandled rejection in an app; still serving', error));
  const engine = new Engine({ configFile, logger, port, host: values.host, accessLog: !values.quiet, only, trustLoopbackFront: only !== undefined });
  try {
    await engine.start();
  } catch (error) {
    if (error instanceof EngineStartError && (error.reason === 'config' || error.reason === 'app')) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    process.stderr.write(`mounts: cannot start: ${errorMessage(error)}\n`);
    return 1;
  }
  process.stdout.write(`Mounts serving ${engine.url}\n${mountTable(engine.mounts())}\n`);
  const watcher = values.watch ? watch(engine) : undefined;

  return new Promise((resolve) => {
    const shutdown = (signal: string) => {
      process.stdout.write(`\n${signal}: stopping...\n`);
      watcher?.close();
      engine.stop().then(
        () => resolve(0),
        (error) => {
          process.stderr.write(`${describeError(error)}\n`);
          resolve(1);
        },
      );
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
}

/** A folder means its mounts.json. */
function resolveConfigFile(target: string): string {
  const absolute = path.resolve(target);
  try {
    if (fs.statSync(absolute).isDirectory()) return path.join(absolute, 'mounts.json');
  } catch {
    // A missing path is reported by the engine, with the file name.
  }
  return absolute;
}

function mountTable(mounts: readonly MountInfo[]): string {
  const rows = mounts.map((mount) => [mount.url ?? '', mount.spec.kind, mount.spec.name, describeTarget(mount.spec)]);
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column].length), 0));
  return rows.map((row) => '  ' + row.map((cell, column) => (column < 3 ? cell.padEnd(widths[column]) : cell)).join('  ')).join('\n');
}

function terminalLogger(): Logger {
  const tag = (source?: string) => `[${source ?? 'mounts'}]`;
  return {
    info: (message, source) => process.stdout.write(`${tag(source)} ${message}\n`),
    warn: (message, source) => process.stderr.write(`${tag(source)} warning: ${message}\n`),
    error: (message, error, source) =>
      process.stderr.write(`${tag(source)} ${message}${error === undefined ? '' : `\n${describeError(error)}`}\n`),
    access: (line) => process.stdout.write(`${line}\n`),
  };
}

/** --watch: mounts.json changes reload the config; other workspace files hot-reload module apps. */
function watch(engine: Engine): fs.FSWatcher {
  const dir = path.dirname(engine.configFile);
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const flush = async () => {
    const files = [...pending];
    pending.clear();
    for (const file of files) {
      if (file === engine.configFile) {
        const result = await engine.reload();
        if (!result.ok) process.stderr.write(`mounts.json not applied; still serving the previous mounts:\n${[...result.problems.map(formatProblem), ...result.errors].join('\n')}\n`);
      } else {
        await engine.fileChanged(file);
      }
    }
  };
  const watcher = fs.watch(dir, { recursive: true }, (_event, name) => {
    if (!name || name.split(path.sep).includes('node_modules')) return;
    pending.add(path.join(dir, name.toString()));
    clearTimeout(timer);
    timer = setTimeout(() => void flush(), 50);
  });
  watcher.on('error', (error) => process.stderr.write(`[mounts] file watching stopped: ${error.message}\n`));
  return watcher;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`${describeError(error)}\n`);
      process.exit(1);
    },
  );
}
