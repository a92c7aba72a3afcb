/**
 * Where Mounts' Python runner lives. Bundled, the engine is dist/cli.js (or dist/extension.js) and
 * esbuild.js copies the runner to dist/python/; compiled by tsc for the tests, this file is
 * out/src/engine/kinds/python/runnerFiles.js and the runner is still in src/engine/kinds/python/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The files the runner is made of; esbuild.js copies the same list. */
export const RUNNER_FILES = ['runner.py', 'mounts_serve.py', 'mounts_stdlib.py', 'mounts_django.py'] as const;

let runnerFile: string | undefined;

/** The runner's entry script; throws when the installation lacks it (a load error, not a 503 later). */
export function locateRunner(): string {
  if (runnerFile) return runnerFile;
  const candidates = [
    path.join(__dirname, 'python', 'runner.py'),
    path.join(__dirname, '..', '..', '..', '..', '..', 'src', 'engine', 'kinds', 'python', 'runner.py'),
  ];
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (!found) throw new Error(`the Python runner is missing (looked for ${candidates.join(' and ')}); rebuild Mounts`);
  runnerFile = found;
  return found;
}
