/**
 * How `mounts serve` and `mounts export` read their arguments: node's parseArgs, whose config the
 * caller gives (with a `help` option). A bad option prints node's message and the usage and gives
 * exit code 64 (EX_USAGE, as for every bad argument of the CLI); --help prints the usage and gives 0.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The exit code for arguments the CLI cannot use. */
export const EXIT_USAGE = 64;

export function readArguments<T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> | number {
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
    return EXIT_USAGE;
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  return parsed;
}

/** --port: a whole number from 0 to 65535; undefined when not given; a usage exit code (message written) when bad. */
export function portArgument(value: string | undefined): { port: number | undefined } | number {
  if (value === undefined) return { port: undefined };
  const port = Number(value);
  if (Number.isInteger(port) && port >= 0 && port <= 65535) return { port };
  process.stderr.write(`--port must be an integer from 0 to 65535, got "${value}".\n`);
  return EXIT_USAGE;
}
