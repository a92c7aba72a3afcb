/**
 * Framework presets for command mounts: a mount whose command is just a package script
 * (`npm run dev`, `pnpm dev`, `yarn dev`, `bun run dev`) that starts a dev server Mounts knows gets
 * that server's own flags appended (`npm run dev -- --port 41234 --base /shop/`), its environment,
 * and the prefix forwarded as the framework expects. A command written with arguments of its own,
 * or a script that chains several commands, runs exactly as written.
 *
 * Adding a framework is one file in this folder and one line in PRESETS.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandMountSpec } from '../../../spec';
import type { RootPaths } from '../../app';
import { astro } from './astro';
import { next } from './next';
import { nuxt } from './nuxt';
import { sveltekit } from './sveltekit';
import type { DevScript, FrameworkPreset, Placement } from './types';
import { vite } from './vite';

/** In order: the first that matches wins, so SvelteKit (a Vite app) comes before Vite. */
export const PRESETS: readonly FrameworkPreset[] = [next, sveltekit, astro, nuxt, vite];

/** `npm run dev`, `npm start`, `pnpm [run] dev`, `yarn [run] dev`, `bun run dev`, and nothing after. */
const SCRIPT_COMMAND = /^\s*(?:(npm)\s+(?:run(?:-script)?\s+([\w:.-]+)|(start))|(pnpm|yarn)\s+(?:run\s+)?([\w:.-]+)|(bun)\s+run\s+([\w:.-]+))\s*$/;
/** Shell syntax that would send appended arguments to some other command than the dev server. */
const CHAINED = /&&|\|\||[;|&<>`]|\$\(/;

export interface RecognisedFramework {
  readonly preset: FrameworkPreset;
  /** The spec to run: the preset's environment under the user's own, and the prefix forwarded when the framework serves under it. */
  readonly spec: CommandMountSpec;
  /** The command line for a run on `port`. */
  command(port: number): string;
  /** Lines the user must add to a config file (see `FrameworkPreset.advice`). */
  readonly advice: readonly string[];
  /** What it serves at the root beside its base path, when it serves under one (see `FrameworkPreset.rootPaths`). */
  readonly rootPaths: RootPaths | undefined;
}

/**
 * The framework whose dev server `spec.command` starts, or undefined. The prefix is forwarded
 * unstripped (the framework serves under it) unless the mount says `"stripPrefix": true` itself.
 */
export async function recogniseFramework(spec: CommandMountSpec): Promise<RecognisedFramework | undefined> {
  const match = SCRIPT_COMMAND.exec(spec.command);
  if (!match) return undefined;
  const manager = match[1] ?? match[4] ?? match[6];
  const scriptName = match[2] ?? match[3] ?? match[5] ?? match[7];
  const script = await readScript(spec.cwd, scriptName);
  if (!script) return undefined;
  const preset = PRESETS.find((candidate) => candidate.matches(script));
  if (!preset) return undefined;
  const strip = spec.stripPrefixSet === true && spec.stripPrefix;
  const placement: Placement = { base: strip || spec.prefix === '/' ? '' : spec.prefix, ...(spec.host !== undefined ? { host: spec.host } : {}) };
  // npm passes arguments to the script only after `--`; pnpm, yarn and bun pass them as they come.
  const separator = manager === 'npm' ? ' --' : '';
  return {
    preset,
    spec: { ...spec, stripPrefix: strip, env: { ...preset.env?.(placement), ...spec.env } },
    command: (port) => `${spec.command.trim()}${separator} ${preset.args(port, placement).map(shellQuote).join(' ')}`,
    advice: (await preset.advice?.(script, placement)) ?? [],
    rootPaths: placement.base ? preset.rootPaths : undefined,
  };
}

async function readScript(dir: string, name: string): Promise<DevScript | undefined> {
  let manifest: { scripts?: Record<string, unknown>; dependencies?: Record<string, unknown>; devDependencies?: Record<string, unknown> };
  try {
    manifest = JSON.parse(await fs.promises.readFile(path.join(dir, 'package.json'), 'utf8'));
  } catch {
    return undefined; // No package.json, or one npm itself would refuse: the command runs as written.
  }
  const text = manifest?.scripts?.[name];
  if (typeof text !== 'string' || CHAINED.test(text)) return undefined;
  const words = text.trim().split(/\s+/);
  while (words.length > 0 && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]) || words[0] === 'cross-env')) words.shift();
  const dependencies = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})]);
  return { dir, text, words, dependencies };
}

/** Arguments come from the mount's prefix and host as well as from numbers: quoted for /bin/sh unless plainly safe. */
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
