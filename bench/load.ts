/** HTTP load with wrk (Debian), one thread and 64 connections, pinned to the load core. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './processes';

export const WRK = '/usr/bin/wrk';

export interface WrkResult {
  readonly requests: number;
  readonly rate: number;
  /** Answers that were not 2xx/3xx, and socket errors: a run with any is not a measurement. */
  readonly errors: string | undefined;
}

export async function wrk(url: string, seconds: number, options: { connections?: number; script?: string; headers?: Readonly<Record<string, string>> } = {}): Promise<WrkResult> {
  const args = ['-t1', `-c${options.connections ?? 64}`, `-d${seconds}s`];
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}: ${value}`);
  if (options.script) args.push('-s', options.script);
  const out = await run('load', WRK, [...args, url], (seconds + 60) * 1000);
  const rate = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  if (!Number.isFinite(rate) || !Number.isFinite(requests)) throw new Error(`cannot read wrk output:\n${out}`);
  const problems: string[] = [];
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (non2xx) problems.push(`${non2xx[1]} non-2xx answers`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (socket && socket.slice(1).some((n) => n !== '0')) problems.push(`socket errors ${socket[0].slice(15)}`);
  return { requests, rate, errors: problems.length ? problems.join(', ') : undefined };
}

/** A wrk script that cycles through `paths`, one per request. */
export function rotatingScript(dir: string, paths: readonly string[]): string {
  const file = path.join(dir, 'rotate.lua');
  fs.writeFileSync(
    file,
    `local paths = { ${paths.map((p) => JSON.stringify(p)).join(', ')} }
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
`,
  );
  return file;
}
