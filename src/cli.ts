#!/usr/bin/env node
/**
 * The engine from a terminal: `mounts [serve] [PATH] [--port N] [--host H] [--https] [--python PATH] [--watch] [--quiet] [--no-live-reload] [--only KINDS]`, and `mounts export …`.
 * Exit codes: 0 after a clean stop (SIGINT/SIGTERM), 1 when the server cannot listen,
 * 2 for an invalid mounts.json or an app that cannot load, 64 for bad arguments.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT_USAGE, portArgument, readArguments } from './cliArguments';
import { describeError, describeTarget, Engine, EngineStartError, errorMessage, MOUNT_KINDS, type EngineOptions, type Logger, type MountInfo, type PythonChoice } from './engine/index';
import { EXPORT_USAGE, exportMain } from './cliExport';
import { MCP_USAGE, mcpMain } from './mcp/main';
import { watch, type FolderWatch } from './cliWatch';
import { caMain, TRUST_USAGE, trustMain } from './cliTrust';

const USAGE = `Usage: mounts [serve] [PATH] [--port N] [--host H] [--https] [--python PATH] [--watch] [--quiet] [--no-live-reload] [--only KINDS]

Serves every mount of PATH/mounts.json (PATH: a folder or the file; default: the current folder).
  --port N   listen on port N instead of mounts.json's (0: a free port)
  --host H   bind address instead of mounts.json's
  --https    serve HTTPS, as "https": true in mounts.json does (see mounts trust)
  --python PATH  interpreter of wsgi and asgi mounts without their own "python"
             (default: python3 on the PATH)
  --watch    reload mounts.json and module apps when their files change
  --quiet    no access log
  --no-live-reload
             serve pages byte for byte: no script that reloads them when their app changes
  --only K   serve only mounts of these kinds (comma-separated, e.g. module,command): the app
             server behind an exported front, which trusts its forwarded headers from loopback
             and injects no live reload script

${EXPORT_USAGE}

${MCP_USAGE}

${TRUST_USAGE}`;

export async function main(argv: string[]): Promise<number> {
  dropOutputOnceClosed();
  if (argv[0] === 'export') return exportMain(argv.slice(1), resolveConfigFile);
  if (argv[0] === 'mcp') return mcpMain(argv.slice(1), resolveConfigFile);
  if (argv[0] === 'trust') return trustMain(argv.slice(1));
  if (argv[0] === 'ca') return caMain(argv.slice(1));
  const serving = readServeArguments(argv);
  return typeof serving === 'number' ? serving : serve(serving);
}

/** What `mounts [serve] …` asks for: the engine's options (but its logger), and --watch. */
interface ServeArguments {
  readonly engine: Omit<EngineOptions, 'logger'>;
  readonly watch: boolean;
}

/** `mounts [serve] …` read and checked, or the exit code of arguments that are wrong (usage printed). */
function readServeArguments(argv: string[]): ServeArguments | number {
  const parsed = readArguments(
    {
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        python: { type: 'string' },
        watch: { type: 'boolean', default: false },
        https: { type: 'boolean' },
        quiet: { type: 'boolean', default: false },
        'no-live-reload': { type: 'boolean', default: false },
        only: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    USAGE,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const args = positionals[0] === 'serve' ? positionals.slice(1) : positionals;
  if (args.length > 1) {
    process.stderr.write(`Unexpected argument "${args[1]}".\n\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  const portGiven = portArgument(values.port);
  if (typeof portGiven === 'number') return portGiven;
  const only = values.only?.split(',').map((kind) => kind.trim());
  const unknownKind = only?.find((kind) => !(MOUNT_KINDS as readonly string[]).includes(kind));
  if (unknownKind !== undefined) {
    process.stderr.write(`--only: unknown kind "${unknownKind}"; kinds are ${MOUNT_KINDS.join(', ')}.\n`);
    return EXIT_USAGE;
  }
  const python = pythonOption(values.python);
  const engine: ServeArguments['engine'] = {
    configFile: resolveConfigFile(args[0] ?? '.'),
    port: portGiven.port,
    host: values.host,
    accessLog: !values.quiet,
    // Behind an exported front, pages go out as the app made them: the front has no /__mounts/ route.
    liveReload: !values['no-live-reload'] && only === undefined,
    ...(python ? { python } : {}),
    only,
    trustLoopbackFront: only !== undefined,
    // Behind an exported front, TLS is the front's: the app server speaks plain HTTP to it.
    ...(values.https ? { https: true } : only !== undefined ? { https: false } : {}),
  };
  return { engine, watch: values.watch };
}

/** Serves until SIGINT or SIGTERM; resolves with the exit code. */
async function serve(serving: ServeArguments): Promise<number> {
  const logger = terminalLogger();
  // An app's stray asynchronous throw (a timer, an event handler) must not take every mount down.
  process.on('uncaughtException', (error) => logger.error('uncaught exception in an app; still serving', error));
  process.on('unhandledRejection', (error) => logger.error('unhandled rejection in an app; still serving', error));
  const engine = new Engine({ ...serving.engine, logger });
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
  let watcher: FolderWatch | undefined;
  if (serving.watch) {
    try {
      watcher = await watch(engine);
    } catch (error) {
      process.stderr.write(`[mounts] cannot watch ${path.dirname(engine.configFile)} for changes: ${errorMessage(error)}\n`);
    }
  }
  // The handlers go in before the banner: a signal that comes before node listens for it ends the
  // process at once (the default action), and whoever read the banner may send one straight away.
  const stopped = stopOnSignal(engine, watcher);
  // Printed once watching is in place: a change made after the URL shows is seen.
  process.stdout.write(`Mounts serving ${engine.url}\n${mountTable(engine.mounts())}\n`);
  const fromNetwork = engine.networkUrls;
  if (fromNetwork.length) process.stdout.write(`Reachable from the network at ${fromNetwork.join(' ')}\n`);
  if (watcher) process.stdout.write(`Watching ${path.dirname(engine.configFile)} for changes\n`);
  return stopped;
}

/** Stops the engine (and the watcher) at SIGINT or SIGTERM; resolves with the exit code. */
function stopOnSignal(engine: Engine, watcher: FolderWatch | undefined): Promise<number> {
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      process.stdout.write(`\n${signal}: stopping...\n`);
      void watcher?.close().catch(() => undefined);
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

/**
 * `mounts serve | head -1`, or a log collector that dies: a write to the closed pipe fails with
 * EPIPE (node ignores SIGPIPE). Unhandled, that error is an uncaught exception, whose report is
 * itself a write to the pipe: with `2>&1` that loops forever at full CPU and starves requests and
 * signals. Nobody reads that output any more, so it is dropped; serving goes on.
 */
function dropOutputOnceClosed(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
}

/** --python: a path (relative to the current folder) or a name looked up on the PATH. */
function pythonOption(value: string | undefined): PythonChoice | undefined {
  if (value === undefined) return undefined;
  return { command: value.includes('/') || value.includes(path.sep) ? path.resolve(value) : value, source: '--python' };
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

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`${describeError(error)}\n`);
      process.exit(1);
    },
  );
}
