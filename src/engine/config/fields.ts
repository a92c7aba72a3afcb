/**
 * The checks every part of mounts.json shares: where a problem is reported, an object's properties,
 * and the checkers of values that more than one field (or kind) uses. Each message starts with the
 * field it is about.
 */
import * as path from 'node:path';
import type { Node } from 'jsonc-parser';
import { isReservedPath, RESERVED_PREFIX } from '../live/namespace';
import type { SourceRange } from '../spec';
import { MAX_SECONDS } from './defaults';
import { hostNameProblem } from './hostNames';
import { LineIndex, Problem } from './positions';
import { describe, join, orList, suggest } from './wording';

export interface Property {
  readonly key: Node;
  readonly value: Node;
}

export type Properties = Map<string, Property>;

/** Control characters and the separators some readers take as a line break (NEL is a control character). */
const LINE_BREAKING = /[\p{Cc}\p{Zl}\p{Zp}]/u;

export class FieldChecker {
  readonly problems: Problem[] = [];
  private readonly lines: LineIndex;
  /** Folder of mounts.json: relative paths resolve against it. */
  readonly dir: string;

  constructor(
    protected readonly text: string,
    protected readonly file: string,
  ) {
    this.lines = new LineIndex(text);
    this.dir = path.dirname(path.resolve(file));
  }

  // --- reporting -------------------------------------------------------------------------------

  range(node: Node): SourceRange {
    return this.lines.rangeAt(node.offset, node.length);
  }

  report(offset: number, length: number, field: string, message: string): void {
    this.problems.push(new Problem(this.file, this.lines.rangeAt(offset, length), field, message));
  }

  at(node: Node, field: string, message: string): void {
    this.report(node.offset, node.length, field, message);
  }

  /** `port must be an integer from 0 to 65535, found string "8080"`. */
  expected(node: Node, field: string, what: string): void {
    this.at(node, field, `${field} must be ${what}, found ${describe(node)}`);
  }

  // --- structure -------------------------------------------------------------------------------

  /** The properties of an object, reporting repeated keys (JSON would silently keep the last). */
  properties(node: Node, field: string): Properties {
    const props: Properties = new Map();
    for (const property of node.children ?? []) {
      const [key, value] = property.children ?? [];
      if (!key || !value) continue;
      const name = String(key.value);
      if (props.has(name)) {
        this.at(key, join(field, name), `${join(field, name)} is given more than once`);
        continue;
      }
      props.set(name, { key, value });
    }
    return props;
  }

  nonEmptyString(prop: Property | undefined, field: string): string | undefined {
    if (!prop) return undefined;
    const node = prop.value;
    if (node.type !== 'string') return void this.expected(node, field, 'a string');
    if (node.value === '') return void this.at(node, field, `${field} must not be empty`);
    return node.value as string;
  }

  /** A name shown in the editor, the log and exported files' comments: one line of text. */
  displayName(prop: Property | undefined, field: string): string | undefined {
    const name = this.nonEmptyString(prop, field);
    if (name === undefined || !LINE_BREAKING.test(name)) return name;
    return void this.at(prop!.value, field, `${field} ${JSON.stringify(name)} must not contain control characters or line breaks`);
  }

  boolean(prop: Property | undefined, field: string, fallback: boolean): boolean {
    if (!prop) return fallback;
    if (prop.value.type !== 'boolean') {
      this.expected(prop.value, field, 'true or false');
      return fallback;
    }
    return prop.value.value as boolean;
  }

  port(prop: Property | undefined, field: string, fallback: number): number {
    if (!prop) return fallback;
    const value = prop.value.value;
    if (prop.value.type !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
      this.expected(prop.value, field, 'an integer from 0 to 65535');
      return fallback;
    }
    return value as number;
  }

  seconds(prop: Property | undefined, field: string, fallback: number): number {
    if (!prop) return fallback;
    const value = prop.value.value;
    if (prop.value.type !== 'number' || !Number.isFinite(value) || value <= 0) {
      this.expected(prop.value, field, 'a positive number of seconds');
      return fallback;
    }
    if (value > MAX_SECONDS) {
      this.at(prop.value, field, `${field} must be at most ${MAX_SECONDS} seconds (about 24 days), found ${describe(prop.value)}`);
      return fallback;
    }
    return value as number;
  }

  oneOf<T extends string>(prop: Property | undefined, field: string, values: readonly T[]): T | undefined {
    if (!prop) return undefined;
    const value = prop.value.value;
    if (prop.value.type === 'string' && values.includes(value)) return value as T;
    const hint = prop.value.type === 'string' ? suggest(value as string, values) : '';
    this.at(prop.value, field, `${field} must be one of ${orList(values)}, found ${describe(prop.value)}${hint}`);
    return undefined;
  }

  /** A file or folder; relative paths resolve against the folder of mounts.json. */
  path(prop: Property | undefined, field: string): string | undefined {
    if (!prop) return undefined;
    const node = prop.value;
    if (node.type !== 'string') return void this.expected(node, field, 'a path');
    if (node.value === '') {
      return void this.at(node, field, `${field} must not be empty; use "." for the folder of mounts.json`);
    }
    if ((node.value as string).includes('\0')) return void this.at(node, field, `${field} must not contain a NUL character`);
    return path.resolve(this.dir, node.value as string);
  }

  command(prop: Property | undefined, field: string): string | undefined {
    if (!prop) return undefined;
    const node = prop.value;
    if (node.type !== 'string') return void this.expected(node, field, 'a string');
    if ((node.value as string).trim() === '') return void this.at(node, field, `${field} must not be empty`);
    if ((node.value as string).includes('\0')) return void this.at(node, field, `${field} must not contain a NUL character`);
    return node.value as string;
  }

  readyPath(prop: Property | undefined, field: string): string | undefined {
    if (!prop) return undefined;
    const node = prop.value;
    if (node.type !== 'string') return void this.expected(node, field, 'a string');
    if (!(node.value as string).startsWith('/')) {
      return void this.at(node, field, `${field} ${JSON.stringify(node.value)} must start with "/"`);
    }
    return node.value as string;
  }

  env(prop: Property | undefined, field: string): Record<string, string> | undefined {
    if (!prop) return undefined;
    if (prop.value.type !== 'object') return void this.expected(prop.value, field, 'an object of strings');
    const env: Record<string, string> = {};
    for (const [name, { key, value }] of this.properties(prop.value, field)) {
      const entry = join(field, name);
      if (name === '' || name.includes('=') || name.includes('\0')) {
        this.at(key, entry, `${entry} is not a valid environment variable name`);
      } else if (value.type !== 'string') {
        const quoted = value.type === 'number' || value.type === 'boolean' ? `; write "${String(value.value)}"` : '';
        this.at(value, entry, `${entry} must be a string, found ${describe(value)}${quoted}`);
      } else if ((value.value as string).includes('\0')) {
        // The operating system ends an environment string at NUL: spawn refuses it, so the app would fail only at start.
        this.at(value, entry, `${entry} must not contain a NUL character`);
      } else {
        env[name] = value.value as string;
      }
    }
    return env;
  }

  /** Normalizes a prefix so that equal prefixes match alike: '/blog/' is '/blog', '/' stays '/'. */
  prefix(node: Node, field: string): string | undefined {
    if (node.type !== 'string') return void this.expected(node, field, 'a string');
    const raw = node.value as string;
    const fail = (why: string) => void this.at(node, field, `${field} ${JSON.stringify(raw)} ${why}`);
    if (!raw.startsWith('/')) return fail('must start with "/"');
    const forbidden = ['?', '#', '%', '*'].find((ch) => raw.includes(ch));
    if (forbidden) return fail(`must not contain "${forbidden}"`);
    if (/[\s\x00-\x1f\x7f]/.test(raw)) return fail('must not contain spaces or control characters');
    if (raw.includes('//')) return fail('must not contain an empty segment ("//")');
    const prefix = raw.length > 1 && raw.endsWith('/') ? raw.slice(0, -1) : raw;
    if (prefix.split('/').some((segment) => segment === '.' || segment === '..')) {
      return fail('must not contain a "." or ".." segment');
    }
    if (isReservedPath(prefix)) return fail(`is reserved: ${RESERVED_PREFIX}/ serves the live reload script and socket`);
    // Requests are matched on their raw (percent-encoded) path, so '/café' is kept as '/caf%C3%A9'.
    return encodeURI(prefix);
  }

  /** A Host name for `allowedHosts` and a mount's `host`: lower-cased, no scheme, path or port. */
  hostName(node: Node, field: string): string | undefined {
    if (node.type !== 'string') return void this.expected(node, field, 'a host name');
    const raw = node.value as string;
    const host = raw.toLowerCase();
    const fail = (why: string) => void this.at(node, field, `${field} ${JSON.stringify(raw)} ${why}`);
    if (raw === '') return void this.at(node, field, `${field} must not be empty`);
    const problem = hostNameProblem(host);
    return problem ? fail(problem) : host;
  }
}
