import type { RootPaths } from '../../app';

/**
 * What a framework preset knows: how to recognise the framework's dev server from a package's dev
 * script, and how that server takes its port, bind address and base path from outside.
 */

/** The package script a command mount runs (`npm run dev`), as read from its package.json. */
export interface DevScript {
  /** Folder of the package.json. */
  readonly dir: string;
  /** The script's text, e.g. `vite --open`. */
  readonly text: string;
  /** Its words after leading `NAME=value` assignments and `cross-env`: `['vite', '--open']`. */
  readonly words: readonly string[];
  /** Names in `dependencies` and `devDependencies`. */
  readonly dependencies: ReadonlySet<string>;
}

/** Where the dev server is served from, as Mounts routes it. */
export interface Placement {
  /** The base path the framework should serve under: '' for a `/` mount (or when the prefix is stripped), else the prefix. */
  readonly base: string;
  /** The mount's host name, when it has one. */
  readonly host?: string;
}

export interface FrameworkPreset {
  /** As users know it: `Vite`, `Next.js`. */
  readonly name: string;
  matches(script: DevScript): boolean;
  /** Arguments appended to the dev script so that it listens on 127.0.0.1:`port` under `placement.base`. */
  args(port: number, placement: Placement): string[];
  /** Environment variables the framework reads its base path (or the like) from. */
  env?(placement: Placement): Record<string, string>;
  /**
   * Paths its dev server serves at the root of the origin whatever its base path, which its pages
   * ask for there: under a prefix, Mounts routes them to it where no mount's prefix matches them.
   */
  readonly rootPaths?: RootPaths;
  /**
   * What the user must write where the framework takes a setting only from its own config file:
   * one message per line to add, naming the file; none when the config already has it.
   */
  advice?(script: DevScript, placement: Placement): Promise<string[]>;
}

/** `vite`, `vite dev` and `vite serve` start Vite's dev server; `vite build` and `vite preview` do not. */
export function runsDevCommand(words: readonly string[], cli: string, devCommands: readonly string[]): boolean {
  if (words[0] !== cli) return false;
  const sub = words.slice(1).find((word) => !word.startsWith('-'));
  return sub === undefined || devCommands.includes(sub);
}
