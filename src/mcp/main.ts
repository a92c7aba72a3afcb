/**
 * `mounts mcp [PATH]`: the workspace's agent tools as an MCP server over stdio.
 *
 * It starts its own engine for PATH in this process, as `mounts serve` does, rather than attaching
 * to the editor's: that is the simplest design, and it works where no editor runs (a terminal
 * agent, CI, Claude Desktop). When mounts.json's port is taken (the editor, or a `mounts serve`,
 * already serves the folder there) it serves on a free port instead and says so in every answer
 * about the server, so the URLs an agent gets are the ones that answer its fetches.
 *
 * Nothing listens for the tools: they travel over stdin and stdout only. When stdin closes (the
 * client is gone) the engine stops, every app process ends with it, and the process exits.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { EXIT_USAGE, portArgument, readArguments } from '../cliArguments';
import { describeError, Engine, EngineStartError, errorMessage, LogRing, type Logger } from '../engine/index';
import { createMcpServer } from './server';
import { takeStdout } from './stdio';

export const MCP_USAGE = `Usage: mounts mcp [PATH] [--allow-control] [--port N]

Serves PATH/mounts.json (default: the current folder) and offers agent tools over stdio (the Model
Context Protocol): list_mounts, get_logs, fetch, get_problems, and restart_mount, start, stop.
  --allow-control  let agents start, stop and restart apps (off: those tools refuse)
  --port N         listen on port N instead of mounts.json's (0: a free port)`;

export async function mcpMain(argv: string[], resolveConfigFile: (target: string) => string): Promise<number> {
  const parsed = readArguments(
    {
      args: argv,
      allowPositionals: true,
      options: { 'allow-control': { type: 'boolean', default: false }, port: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
    },
    MCP_USAGE,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length > 1) {
    process.stderr.write(`Unexpected argument "${positionals[1]}".\n\n${MCP_USAGE}\n`);
    return EXIT_USAGE;
  }
  const portGiven = portArgument(values.port);
  if (typeof portGiven === 'number') return portGiven;
  const { port } = portGiven;
  const configFile = resolveConfigFile(positionals[0] ?? '.');
  const ring = new LogRing();
  const channel = takeStdout(ring);
  const logger = ring.logger(stderrLogger());
  // An app's stray asynchronous throw must not end every mount, nor the agent's tools.
  process.on('uncaughtException', (error) => logger.error('uncaught exception in an app; still serving', error));
  process.on('unhandledRejection', (error) => logger.error('unhandled rejection in an app; still serving', error));
  // The access log stays off: the ring does not keep it, and stderr is the client's log to read.
  const engine = new Engine({ configFile, logger, port, accessLog: false });
  const note = await startEngine(engine, port, logger);
  const server = createMcpServer({ engine, log: ring, note: () => note }, { allowControl: values['allow-control'], version: packageVersion() });
  await server.connect(new StdioServerTransport(process.stdin, channel));
  return new Promise((resolve) => {
    let leaving = false;
    const leave = () => {
      if (leaving) return;
      leaving = true;
      void server.close().catch(() => undefined);
      engine.stop().then(
        () => resolve(0),
        (error: unknown) => {
          process.stderr.write(`${describeError(error)}\n`);
          resolve(1);
        },
      );
    };
    process.stdin.once('end', leave);
    process.stdin.once('close', leave);
    process.once('SIGINT', leave);
    process.once('SIGTERM', leave);
  });
}

/**
 * Starts the engine, on a free port when mounts.json's is taken and none was given; resolves with
 * what every answer about the server then says. A start that fails leaves the tools answering.
 */
async function startEngine(engine: Engine, port: number | undefined, logger: Logger): Promise<string | undefined> {
  try {
    await engine.start();
    return undefined;
  } catch (error) {
    if (error instanceof EngineStartError && error.reason === 'port' && port === undefined) {
      const note = `${error.message} (is the editor or \`mounts serve\` already serving this folder?): this server listens on a free port instead`;
      logger.warn(note);
      engine.setPortOverride(0);
      await engine.start().catch((again: unknown) => logger.error(`cannot start: ${errorMessage(again)}`));
      return note;
    }
    // The tools still answer: list_mounts says why nothing serves, get_problems where mounts.json is wrong.
    logger.error(`cannot start: ${errorMessage(error)}`);
    return undefined;
  }
}

function stderrLogger(): Logger {
  const tag = (source?: string) => `[${source ?? 'mounts'}]`;
  return {
    info: (message, source) => process.stderr.write(`${tag(source)} ${message}\n`),
    warn: (message, source) => process.stderr.write(`${tag(source)} warning: ${message}\n`),
    error: (message, error, source) => process.stderr.write(`${tag(source)} ${message}${error === undefined ? '' : `\n${describeError(error)}`}\n`),
    access: () => undefined,
  };
}

/** The package's version, told to clients; the bundle sits in dist/, beside package.json's folder. */
function packageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
