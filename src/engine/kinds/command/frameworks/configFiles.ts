/** Reading a framework's config file to tell whether the user already set what a preset would ask for. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ConfigFile {
  readonly name: string;
  readonly text: string;
}

/** The first of `stem` + each extension that exists in `dir`. */
export async function findConfig(dir: string, stem: string, extensions: readonly string[]): Promise<ConfigFile | undefined> {
  for (const extension of extensions) {
    const name = stem + extension;
    try {
      return { name, text: await fs.promises.readFile(path.join(dir, name), 'utf8') };
    } catch {
      // Not this one.
    }
  }
  return undefined;
}

/**
 * Whether `pattern` occurs outside comments. A textual check, not a parse: it only decides whether
 * to print advice, and a config that computes the setting some other way should not be nagged.
 */
export function mentions(text: string, pattern: RegExp): boolean {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  return pattern.test(code);
}
