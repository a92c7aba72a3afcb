/**
 * The port through which the engine reports. The CLI prints it; the editor writes it to its
 * LogOutputChannel. `source` is a mount's name for app output, undefined for the engine itself.
 */
export interface Logger {
  info(message: string, source?: string): void;
  warn(message: string, source?: string): void;
  error(message: string, error?: unknown, source?: string): void;
  /** One line per request: `GET /blog/x -> blog 200 3.2ms`. */
  access(line: string): void;
}

export const silentLogger: Logger = {
  info: () => {},
  warn: () => {},
  error: () => {},
  access: () => {},
};

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

/** The one-line message of anything thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
