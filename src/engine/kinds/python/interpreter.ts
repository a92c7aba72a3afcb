/**
 * Which Python runs a `wsgi` or `asgi` mount: the mount's `python`, else the engine's default (the
 * CLI's `--python`, or the interpreter the editor's Python extension selected), else `python3` on
 * the PATH. Every choice carries where it came from, so an error and the log can say so.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PythonChoice } from '../app';

/** The fallback when neither the mount nor the engine names an interpreter. */
export const PATH_PYTHON: PythonChoice = { command: 'python3', source: 'python3 on the PATH' };

/** The mount's own choice wins over the engine's default, which wins over the PATH. */
export function choosePython(mountPython: string | undefined, engineDefault: PythonChoice | undefined): PythonChoice {
  if (mountPython !== undefined) return { command: mountPython, source: 'the mount\'s "python" in mounts.json' };
  return engineDefault ?? PATH_PYTHON;
}

/**
 * The absolute path of the interpreter to spawn (symbolic links kept: a virtual environment's
 * python is one, and it finds its environment by the path it was started as). Rejects with a
 * message naming the interpreter and where it came from.
 */
export async function resolvePython(choice: PythonChoice, searchPath: string | undefined): Promise<string> {
  const named = `python ${JSON.stringify(choice.command)} (${choice.source})`;
  if (choice.command.includes('/') || choice.command.includes(path.sep)) {
    const problem = await executableProblem(choice.command);
    if (problem) throw new Error(`${named} ${problem}`);
    return path.resolve(choice.command);
  }
  for (const folder of (searchPath ?? '').split(path.delimiter)) {
    if (folder === '') continue;
    const candidate = path.resolve(folder, choice.command);
    if ((await executableProblem(candidate)) === undefined) return candidate;
  }
  throw new Error(`${named} is not on the PATH`);
}

async function executableProblem(file: string): Promise<string | undefined> {
  try {
    const stats = await fs.promises.stat(file);
    if (!stats.isFile()) return 'is not a file';
    await fs.promises.access(file, fs.constants.X_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : code === 'EACCES' ? 'is not executable' : (error as Error).message;
  }
}
