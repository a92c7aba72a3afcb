/**
 * Reads, validates and normalizes mounts.json (JSON with comments and trailing commas) into a
 * `MountsConfig`. Every problem is reported at once, each with its position and JSON path, and every
 * message starts with the field it is about, so it reads on its own in an editor diagnostic.
 *
 * The same rules are published as a JSON Schema in `schema/mounts.schema.json`;
 * `test/engine/schema.test.ts` checks that the two agree.
 */
import { isIP } from 'node:net';
import * as path from 'node:path';
import { createScanner, parseTree, ParseErrorCode, SyntaxKind, type Node, type ParseError } from 'jsonc-parser';
import damerauLevenshtein from 'damerau-levenshtein';
import type {
  CommandMountSpec,
  ConnectionLimits,
  ConfigProblem,
  MountKindName,
  MountsConfig,
  MountSpec,
  RestartPolicy,
  SourceRange,
} from './spec';
import { readConfigText } from './configFile';
import { isReservedPath, RESERVED_PREFIX } from './live/namespace';
import { KINDS, kindOf } from './kinds/registry';

/** What `parseConfig` and `readConfig` return: `config` only when `problems` is empty. */
export interface ConfigResult {
  readonly config?: MountsConfig;
  readonly problems: ConfigProblem[];
  /** Which version of the file was read (`configFile.ts`'s identityOf); unset when none was. */
  readonly identity?: string;
}

export const MOUNT_KINDS: readonly MountKindName[] = KINDS.map((kind) => kind.name);

/** Keys allowed at the top of mounts.json. */
export const TOP_LEVEL_KEYS: readonly string[] = ['$schema', 'host', 'port', 'https', 'allowedHosts', 'connections', 'mounts'];

/** Keys of `connections`. */
export const CONNECTION_KEYS: readonly string[] = ['max', 'headersTimeout', 'idleTimeout'];

/** Keys every mount may have. */
export const COMMON_MOUNT_KEYS: readonly string[] = ['prefix', 'name', 'host', 'liveReload'];

/** Keys of each kind of mount, its own kind key first. */
export const KIND_KEYS: Readonly<Record<MountKindName, readonly string[]>> = Object.fromEntries(KINDS.map((kind) => [kind.name, kind.keys])) as Record<MountKindName, readonly string[]>;

/** Defaults filled in for absent fields (the schema publishes the same values). */
export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  spa: false,
  listing: false,
  stripPrefix: true,
  secure: true,
  liveReload: true,
  timeout: 60,
  commandPort: 0,
  readyTimeout: 30,
  restart: 'on-failure' as RestartPolicy,
  start: 'eager' as CommandMountSpec['start'],
  idleTimeout: 300,
  reload: true,
  headersTimeout: 10,
  keepAliveTimeout: 5,
} as const;

/**
 * The longest time a seconds field may say: Node's timers hold at most 2^31 - 1 ms and fire after
 * 1 ms for anything longer, so a larger value would be the shortest timeout, not the longest.
 */
export const MAX_SECONDS = 2147483;

const RESTART_POLICIES: readonly RestartPolicy[] = ['on-failure', 'always', 'never'];
const START_MODES: readonly CommandMountSpec['start'][] = ['eager', 'onRequest'];

const ALL_MOUNT_KEYS: readonly string[] = [
  ...new Set([...COMMON_MOUNT_KEYS, ...MOUNT_KINDS.flatMap((kind) => KIND_KEYS[kind])]),
];

/**
 * Maps offsets to one-based lines and columns. Lines end at `\n`, `\r\n` or `\r`, as in VS Code;
 * columns count UTF-16 code units, as editor positions do.
 */
export class LineIndex {
  private readonly lineStarts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 13 /* \r */ && text.charCodeAt(i + 1) === 10 /* \n */) i++;
      if (ch === 10 || ch === 13) this.lineStarts.push(i + 1);
    }
  }

  rangeAt(offset: number, length: number): SourceRange {
    const starts = this.lineStarts;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid] <= offset) low = mid;
      else high = mid - 1;
    }
    return { offset, length, line: low + 1, column: offset - starts[low] + 1 };
  }
}

/** The one-based line and column of `offset` in `text`. For many lookups, reuse a `LineIndex`. */
export function sourceRangeAt(text: string, offset: number, length: number): SourceRange {
  return new LineIndex(text).rangeAt(offset, length);
}

/**
 * `mounts.json:7:5: mounts[2].prefix "/blog/" duplicates mounts[0].prefix "/blog"`.
 *
 * The file is shown relative to the current directory when it is inside it (so a terminal or an
 * editor's problem matcher can open it), else as an absolute path.
 */
export function formatProblem(p: ConfigProblem): string {
  return `${displayPath(p.file)}:${p.line}:${p.column}: ${p.message}`;
}

function displayPath(file: string): string {
  const absolute = path.resolve(file);
  const relative = path.relative(process.cwd(), absolute);
  const inside = relative !== '' && !path.isAbsolute(relative) && relative.split(path.sep)[0] !== '..';
  return inside ? relative : absolute;
}

class Problem implements ConfigProblem {
  readonly offset: number;
  readonly length: number;
  readonly line: number;
  readonly column: number;

  constructor(
    readonly file: string,
    range: SourceRange,
    readonly field: string,
    readonly message: string,
  ) {
    this.offset = range.offset;
    this.length = range.length;
    this.line = range.line;
    this.column = range.column;
  }

  toString(): string {
    return formatProblem(this);
  }
}

/**
 * Reads mounts.json and validates it. A missing, unreadable or oversized file, or one that is not a
 * regular file, is one problem at 1:1 naming what went wrong; `file` is kept as given in problems
 * and resolved in the config.
 */
export async function readConfig(file: string): Promise<ConfigResult> {
  const read = await readConfigText(file);
  if ('error' in read) return { problems: [new Problem(file, { offset: 0, length: 0, line: 1, column: 1 }, '', read.error)] };
  return { ...parseConfig(read.text, file), identity: read.identity };
}

/**
 * Validates the text of mounts.json. Pure: no I/O. `file` names the file in problems (kept as
 * given) and anchors relative paths (its folder, resolved against the current directory).
 */
export function parseConfig(text: string, file: string): ConfigResult {
  const validator = new Validator(text, file);
  const config = validator.run();
  const problems = validator.problems.sort((a, b) => a.offset - b.offset);
  return problems.length === 0 && config ? { config, problems } : { problems };
}

const SYNTAX_MESSAGES: Partial<Record<ParseErrorCode, string>> = {
  [ParseErrorCode.InvalidSymbol]: 'unexpected character',
  [ParseErrorCode.InvalidNumberFormat]: 'invalid number',
  [ParseErrorCode.PropertyNameExpected]: 'expected a property name in double quotes',
  [ParseErrorCode.ValueExpected]: 'expected a value',
  [ParseErrorCode.ColonExpected]: 'expected ":"',
  [ParseErrorCode.CommaExpected]: 'expected ","',
  [ParseErrorCode.CloseBraceExpected]: 'expected "}"',
  [ParseErrorCode.CloseBracketExpected]: 'expected "]"',
  [ParseErrorCode.EndOfFileExpected]: 'expected the end of the file',
  [ParseErrorCode.InvalidCommentToken]: 'invalid comment',
  [ParseErrorCode.UnexpectedEndOfComment]: 'unterminated comment',
  [ParseErrorCode.UnexpectedEndOfString]: 'unterminated string',
  [ParseErrorCode.UnexpectedEndOfNumber]: 'unterminated number',
  [ParseErrorCode.InvalidUnicode]: 'invalid unicode escape',
  [ParseErrorCode.InvalidEscapeCharacter]: 'invalid escape character',
  [ParseErrorCode.InvalidCharacter]: 'invalid character in string',
};

/** mounts.json itself needs 4 levels (root, mounts, a mount, env); far below any stack limit. */
const NEEDED_NESTING = 4;
const MAX_NESTING = 64;

/**
 * The offset of the first `{` or `[` that opens level `max + 1`, or undefined. A token scan with
 * a counter, so no depth of input can exhaust the stack; strings and comments are skipped by the
 * scanner, so brackets inside them do not count.
 */
function bracketBeyondDepth(text: string, max: number): number | undefined {
  const scanner = createScanner(text, false);
  let depth = 0;
  for (let token = scanner.scan(); token !== SyntaxKind.EOF; token = scanner.scan()) {
    if (token === SyntaxKind.OpenBraceToken || token === SyntaxKind.OpenBracketToken) {
      if (++depth > max) return scanner.getTokenOffset();
    } else if (token === SyntaxKind.CloseBraceToken || token === SyntaxKind.CloseBracketToken) {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}

interface Property {
  readonly key: Node;
  readonly value: Node;
}

type Properties = Map<string, Property>;

class Validator {
  readonly problems: Problem[] = [];
  /** The prefix as written, by mount index, for messages about duplicates. */
  private readonly prefixNodes = new Map<number, Node>();
  private readonly lines: LineIndex;
  private readonly dir: string;

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {
    this.lines = new LineIndex(text);
    this.dir = path.dirname(path.resolve(file));
  }

  run(): MountsConfig | undefined {
    const errors: ParseError[] = [];
    // A byte order mark is not JSON; blank it rather than strip it so offsets stay true.
    const source = this.text.startsWith('\uFEFF') ? ` ${this.text.slice(1)}` : this.text;
    // jsonc-parser builds the tree recursively: a deep enough file overflows the stack.
    const tooDeep = bracketBeyondDepth(source, MAX_NESTING);
    if (tooDeep !== undefined) {
      this.report(tooDeep, 1, '', `the file is nested more than ${MAX_NESTING} levels deep; mounts.json needs ${NEEDED_NESTING}`);
      return undefined;
    }
    const root = parseTree(source, errors, { allowTrailingComma: true });
    if (!root && errors.every((e) => e.error === ParseErrorCode.ValueExpected && e.offset === source.length)) {
      this.report(0, 0, '', 'the file is empty; expected an object with "mounts"');
      return undefined;
    }
    if (errors.length > 0) {
      // A broken file yields a guessed tree; validating it would only add noise.
      for (const e of errors) {
        this.report(e.offset, e.length, '', `syntax error: ${SYNTAX_MESSAGES[e.error] ?? 'invalid JSON'}`);
      }
      return undefined;
    }
    if (!root || root.type !== 'object') {
      if (root) this.at(root, '', `the file must contain an object, found ${describe(root)}`);
      return undefined;
    }

    const props = this.properties(root, '');
    for (const [key, { key: keyNode }] of props) {
      if (!TOP_LEVEL_KEYS.includes(key)) {
        this.at(keyNode, key, `${key} is not a top-level field${suggest(key, TOP_LEVEL_KEYS)}`);
      }
    }

    const schema = props.get('$schema');
    if (schema && schema.value.type !== 'string') this.expected(schema.value, '$schema', 'a string');

    const host = this.bindHost(props.get('host'));
    const port = this.port(props.get('port'), 'port', DEFAULTS.port);
    const https = this.boolean(props.get('https'), 'https', false);
    const allowedHosts = this.allowedHosts(props.get('allowedHosts'));
    const connections = this.connections(props.get('connections'));

    const mountsProp = props.get('mounts');
    const mounts: MountSpec[] = [];
    if (!mountsProp) {
      this.report(root.offset, 1, 'mounts', 'mounts is required');
    } else if (mountsProp.value.type !== 'array') {
      this.expected(mountsProp.value, 'mounts', 'an array of mounts');
    } else {
      (mountsProp.value.children ?? []).forEach((node, index) => {
        const mount = this.mount(node, index);
        if (mount) mounts.push(mount);
      });
      this.checkDuplicates(mounts);
    }

    if (this.problems.length > 0) return undefined;
    const portProp = props.get('port');
    return {
      file: path.resolve(this.file),
      dir: this.dir,
      host,
      port,
      https,
      allowedHosts,
      connections,
      mounts,
      ...(portProp ? { portRange: this.range(portProp.value) } : {}),
    };
  }

  // --- reporting -------------------------------------------------------------------------------

  private range(node: Node): SourceRange {
    return this.lines.rangeAt(node.offset, node.length);
  }

  private report(offset: number, length: number, field: string, message: string): void {
    this.problems.push(new Problem(this.file, this.lines.rangeAt(offset, length), field, message));
  }

  private at(node: Node, field: string, message: string): void {
    this.report(node.offset, node.length, field, message);
  }

  /** `port must be an integer from 0 to 65535, found string "8080"`. */
  private expected(node: Node, field: string, what: string): void {
    this.at(node, field, `${field} must be ${what}, found ${describe(node)}`);
  }

  // --- structure -------------------------------------------------------------------------------

  /** The properties of an object, reporting repeated keys (JSON would silently keep the last). */
  private properties(node: Node, field: string): Properties {
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

  private mount(node: Node, index: number): MountSpec | undefined {
    const field = `mounts[${index}]`;
    if (node.type !== 'object') {
      this.expected(node, field, 'an object');
      return undefined;
    }
    const before = this.problems.length;
    const props = this.properties(node, field);

    const kinds = MOUNT_KINDS.filter((kind) => props.has(kind));
    if (kinds.length === 0) {
      this.report(node.offset, 1, field, `${field} needs one of ${orList(MOUNT_KINDS)}`);
    } else if (kinds.length > 1) {
      const names = kinds.map((kind) => `"${kind}"`);
      const both = names.length === 2 ? `both ${names.join(' and ')}` : andList(kinds);
      this.at(props.get(kinds[1])!.key, field, `${field} has ${both}; a mount has exactly one of ${orList(MOUNT_KINDS)}`);
    }
    // Until the kind is clear, a field of any kind may be meant; judge only the ones of no kind.
    const allowed = new Set(
      kinds.length > 0 ? [...COMMON_MOUNT_KEYS, ...kinds.flatMap((kind) => KIND_KEYS[kind])] : ALL_MOUNT_KEYS,
    );
    for (const [key, { key: keyNode }] of props) {
      const keyField = join(field, key);
      if (!ALL_MOUNT_KEYS.includes(key)) {
        this.at(keyNode, keyField, `${keyField} is not a mount field${suggest(key, ALL_MOUNT_KEYS)}`);
      } else if (!allowed.has(key)) {
        const owners = MOUNT_KINDS.filter((kind) => KIND_KEYS[kind].includes(key));
        this.at(keyNode, keyField, `${keyField} belongs to ${owners.join(' and ')} mounts, not ${kinds.join(' or ')} mounts`);
      }
    }

    const prefixProp = props.get('prefix');
    let prefix: string | undefined;
    if (!prefixProp) this.report(node.offset, 1, `${field}.prefix`, `${field}.prefix is required`);
    else {
      prefix = this.prefix(prefixProp.value, `${field}.prefix`);
      this.prefixNodes.set(index, prefixProp.value);
    }
    const name = this.displayName(props.get('name'), `${field}.name`);
    const hostProp = props.get('host');
    const host = hostProp ? this.hostName(hostProp.value, `${field}.host`) : undefined;
    const liveReload = this.boolean(props.get('liveReload'), `${field}.liveReload`, DEFAULTS.liveReload);

    const value = <T>(key: string, check: (prop: Property | undefined, field: string) => T): T | undefined =>
      allowed.has(key) ? check(props.get(key), join(field, key)) : undefined;
    const flag = (key: string, fallback: boolean) => value(key, (p, f) => this.boolean(p, f, fallback)) ?? fallback;
    const seconds = (key: string, fallback: number) => value(key, (p, f) => this.seconds(p, f, fallback)) ?? fallback;

    const kind = kinds.length === 1 ? kinds[0] : undefined;
    // Check every field present even when the mount is already wrong, so all problems show at once.
    const fields = {
      module: value('module', (p, f) => this.path(p, f)),
      exportName: value('export', (p, f) => this.nonEmptyString(p, f)),
      root: value('static', (p, f) => this.path(p, f)),
      spa: flag('spa', DEFAULTS.spa),
      listing: flag('listing', DEFAULTS.listing),
      target: value('proxy', (p, f) => (p ? this.proxyTarget(p.value, f) : undefined)),
      stripPrefix: flag('stripPrefix', DEFAULTS.stripPrefix),
      timeout: seconds('timeout', DEFAULTS.timeout),
      secure: flag('secure', DEFAULTS.secure),
      command: value('command', (p, f) => this.command(p, f)),
      cwd: value('cwd', (p, f) => this.path(p, f)) ?? this.dir,
      env: value('env', (p, f) => this.env(p, f)) ?? {},
      port: value('port', (p, f) => this.port(p, f, DEFAULTS.commandPort)) ?? DEFAULTS.commandPort,
      readyPath: value('readyPath', (p, f) => this.readyPath(p, f)),
      readyTimeout: seconds('readyTimeout', DEFAULTS.readyTimeout),
      restart: value('restart', (p, f) => this.oneOf(p, f, RESTART_POLICIES)) ?? DEFAULTS.restart,
      start: value('start', (p, f) => this.oneOf(p, f, START_MODES)) ?? DEFAULTS.start,
      idleTimeout: seconds('idleTimeout', DEFAULTS.idleTimeout),
      wsgi: value('wsgi', (p, f) => this.pythonApp(p, f)),
      asgi: value('asgi', (p, f) => this.pythonApp(p, f)),
      python: value('python', (p, f) => this.interpreter(p, f)),
      reload: flag('reload', DEFAULTS.reload),
    };

    if (this.problems.length > before || !kind || prefix === undefined) return undefined;
    const base = { index, prefix, name: name ?? prefix, ...(host ? { host } : {}), liveReload, range: this.range(node) };
    return kindOf({ kind }).spec(base, { ...fields, stripPrefixSet: props.has('stripPrefix') });
  }

  /** Same host (or none) and same normalized prefix: the later mount is the error. */
  private checkDuplicates(mounts: readonly MountSpec[]): void {
    const seen = new Map<string, MountSpec>();
    for (const mount of mounts) {
      const key = `${mount.host ?? ''} ${mount.prefix}`;
      const earlier = seen.get(key);
      if (!earlier) {
        seen.set(key, mount);
        continue;
      }
      const node = this.prefixNodes.get(mount.index)!;
      const written = (m: MountSpec) => JSON.stringify(this.prefixNodes.get(m.index)!.value);
      const field = `mounts[${mount.index}].prefix`;
      const onHost = mount.host ? ` on host "${mount.host}"` : '';
      this.at(node, field, `${field} ${written(mount)} duplicates mounts[${earlier.index}].prefix ${written(earlier)}${onHost}`);
    }
  }

  // --- values ----------------------------------------------------------------------------------

  private nonEmptyString(prop: Property | undefined, field: string): string | undefined {
    if (!prop) return undefined;
    const node = prop.value;
    if (node.type !== 'string') return void this.expected(node, field, 'a string');
    if (node.value === '') return void this.at(node, field, `${field} must not be empty`);
    return node.value as string;
  }

  /** A name shown in the editor, the log and exported files' comments: one line of text. */
  private displayName(prop: Property | undefined, field: string): string | undefined {
    const name = this.nonEmptyString(prop, field);
    if (name === undefined || !LINE_BREAKING.test(name)) return name;
    return void this.at(prop!.value, field, `${field} ${JSON.stringify(name)} must not contain control characters or line breaks`);
  }

  private boolean(prop: Property | undefined, field: string, fallback: boolean): boolean {
    if (!prop) return fallback;
    if (prop.value.type !== 'boolean') {
      this.expected(prop.value, field, 'true or false');
      return fallback;
    }
    return prop.value.value as boolean;
  }

  private port(prop: Property | undefined, field: string, fallback: number): number {
    if (!prop) return fallback;
    const value = prop.value.value;
    if (prop.value.type !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
      this.expected(prop.value, field, 'an integer from 0 to 65535');
      return fallback;
    }
    return value as number;
  }

  private seconds(prop: Property | undefined, field: string, fallback: number): number {
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

  private oneOf<T extends string>(prop: Property | undefined, field: string, values: readonly T[]): T | undefined {
    if (!prop) return undefined;
    const value = prop.value.value;
    if (prop.value.type === 'string' && values.includes(value)) return value as T;
    const hint = prop.value.type === 'string' ? suggest(value as string, values) : '';
    this.at(prop.value, field, `${field} must be one of ${orList(values)}, found ${describe(prop.value)}${hint}`);
    return undefined;
  }

  /** A file or folder; relative paths resolve against the folder of mounts.json. */
  private path(prop: Property | undefined, field: string): string | undefined {
    if (!prop) return undefined;
    const node = prop.value;
    if (node.type !== 'string') return void this.expected(node, field, 'a path');
    if (node.value === '') {
      return void this.at(node, field, `${field} must not be empty; use "." for the folder of mounts.json`);
    }
    if ((node.value as string).includes('\0')) return void this.at(node, field, `${field} must not contain a NUL character`);
    return path.resolve(this.dir, node.value as string);
  }

  private command(prop: Property | undefined, field: string): string | undefined {
    if (!prop) return undefined;
    const node = prop.value;
    if (node.type !== 'string') return void this.expected(node, field, 'a string');
    if ((node.value as string).trim() === '') return void this.at(node, field, `${field} must not be empty`);
    if ((node.value as string).includes('\0')) return void this.at(node, field, `${field} must not contain a NUL character`);
    return node.value as string;
  }

  /** `module:attribute` or `module:factory()`: what the Python runner imports and serves. */
  private pythonApp(prop: Property | undefined, field: string): string | undefined {
    if (!prop) return undefined;
    const node = prop.value;
    if (node.type !== 'string') return void this.expected(node, field, 'a string like "module:app"');
    const raw = node.value as string;
    const fail = (why: string) => void this.at(node, field, `${field} ${JSON.stringify(raw)} ${why}`);
    if (raw.trim() === '') return void this.at(node, field, `${field} must not be empty; write "module:attribute", like "app:app"`);
    const colon = raw.indexOf(':');
    if (colon < 0) return fail(`must be "module:attribute", like "${raw.replace(/\.py$/, '').replaceAll('/', '.')}:app"`);
    const module = raw.slice(0, colon);
    const attribute = raw.slice(colon + 1);
    if (module.endsWith('.py') || module.includes('/') || module.includes('\\')) {
      return fail(`names a file; write the module's dotted name, like "${module.replace(/\.py$/, '').replace(/[\\/]+/g, '.')}:${attribute || 'app'}"`);
    }
    if (!DOTTED_NAME.test(module)) return fail(`has an invalid module name ${JSON.stringify(module)}; write a dotted Python module path, like "pkg.app"`);
    if (!DOTTED_NAME.test(attribute.endsWith('()') ? attribute.slice(0, -2) : attribute)) {
      return fail(`has an invalid attribute ${JSON.stringify(attribute)}; write an attribute, like "app", or a factory called with no arguments, like "create_app()"`);
    }
    return raw;
  }

  /** A path (relative to the folder of mounts.json) or a name looked up on the PATH, like "python3.12". */
  private interpreter(prop: Property | undefined, field: string): string | undefined {
    if (!prop) return undefined;
    const node = prop.value;
    if (node.type !== 'string') return void this.expected(node, field, 'a path or a name, like ".venv/bin/python"');
    const raw = node.value as string;
    if (raw.trim() === '') return void this.at(node, field, `${field} must not be empty; leave it out to use the editor's or the PATH's python3`);
    if (raw.includes('\0')) return void this.at(node, field, `${field} must not contain a NUL character`);
    return raw.includes('/') || raw.includes(path.sep) ? path.resolve(this.dir, raw) : raw;
  }

  private readyPath(prop: Property | undefined, field: string): string | undefined {
    if (!prop) return undefined;
    const node = prop.value;
    if (node.type !== 'string') return void this.expected(node, field, 'a string');
    if (!(node.value as string).startsWith('/')) {
      return void this.at(node, field, `${field} ${JSON.stringify(node.value)} must start with "/"`);
    }
    return node.value as string;
  }

  private env(prop: Property | undefined, field: string): Record<string, string> | undefined {
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
  private prefix(node: Node, field: string): string | undefined {
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
  private hostName(node: Node, field: string): string | undefined {
    if (node.type !== 'string') return void this.expected(node, field, 'a host name');
    const raw = node.value as string;
    const host = raw.toLowerCase();
    const fail = (why: string) => void this.at(node, field, `${field} ${JSON.stringify(raw)} ${why}`);
    if (raw === '') return void this.at(node, field, `${field} must not be empty`);
    const problem = hostNameProblem(host);
    return problem ? fail(problem) : host;
  }

  private allowedHosts(prop: Property | undefined): string[] {
    if (!prop) return [];
    if (prop.value.type !== 'array') {
      this.expected(prop.value, 'allowedHosts', 'an array of host names');
      return [];
    }
    const hosts: string[] = [];
    (prop.value.children ?? []).forEach((node, index) => {
      const host = this.hostName(node, `allowedHosts[${index}]`);
      if (host !== undefined) hosts.push(host);
    });
    return hosts;
  }

  private connections(prop: Property | undefined): ConnectionLimits {
    const defaults: ConnectionLimits = { headersTimeout: DEFAULTS.headersTimeout, idleTimeout: DEFAULTS.keepAliveTimeout };
    if (!prop) return defaults;
    if (prop.value.type !== 'object') {
      this.expected(prop.value, 'connections', 'an object');
      return defaults;
    }
    const props = this.properties(prop.value, 'connections');
    for (const [key, { key: keyNode }] of props) {
      if (!CONNECTION_KEYS.includes(key)) {
        const field = join('connections', key);
        this.at(keyNode, field, `${field} is not a field of connections${suggest(key, CONNECTION_KEYS)}`);
      }
    }
    let max: number | undefined;
    const maxProp = props.get('max');
    if (maxProp) {
      const value = maxProp.value.value;
      if (maxProp.value.type !== 'number' || !Number.isInteger(value) || value < 1) this.expected(maxProp.value, 'connections.max', 'a positive integer');
      else max = value as number;
    }
    return {
      ...(max !== undefined ? { max } : {}),
      headersTimeout: this.seconds(props.get('headersTimeout'), 'connections.headersTimeout', DEFAULTS.headersTimeout),
      idleTimeout: this.seconds(props.get('idleTimeout'), 'connections.idleTimeout', DEFAULTS.keepAliveTimeout),
    };
  }

  /** The address to bind: a name or an IP address (IPv6 unbracketed, as `listen()` takes it). */
  private bindHost(prop: Property | undefined): string {
    if (!prop) return DEFAULTS.host;
    const node = prop.value;
    if (node.type !== 'string') {
      this.expected(node, 'host', 'a string');
      return DEFAULTS.host;
    }
    const raw = node.value as string;
    const fail = (why: string) => this.at(node, 'host', `host ${JSON.stringify(raw)} ${why}`);
    if (raw === '') this.at(node, 'host', 'host must not be empty');
    else if (raw.includes('/')) fail('must be an address to bind, like "127.0.0.1", not a URL');
    else if (/^[^:[\]]+:\d*$/.test(raw)) fail('must not include a port; set "port" instead');
    else if (/\s/.test(raw)) fail('must not contain spaces');
    else if (/^\[.*\]$/.test(raw) && isIP(raw.slice(1, -1)) === 6) fail(`must be written without brackets, like "${raw.slice(1, -1)}"`);
    // An exported nginx or Caddy file writes it as a listen address: only what an address can be.
    else if (isIP(raw) === 0 && !BIND_NAME.test(raw)) fail('must be an IP address or a host name, like "127.0.0.1", "::" or "localhost"');
    else return raw;
    return DEFAULTS.host;
  }

  /** An absolute http: or https: URL with no query, fragment or credentials; a trailing '/' is dropped. */
  private proxyTarget(node: Node, field: string): string | undefined {
    if (node.type !== 'string') return void this.expected(node, field, 'an http: or https: URL');
    const raw = node.value as string;
    const fail = (why: string) => void this.at(node, field, `${field} ${JSON.stringify(raw)} ${why}`);
    if (raw === '') return void this.at(node, field, `${field} must not be empty`);
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
    if (scheme === undefined) return fail(`must be an absolute http: URL, like "http://${raw.replace(/^\/+/, '')}"`);
    if (scheme === 'ws' || scheme === 'wss') {
      const http = scheme === 'ws' ? 'http' : 'https';
      return fail(`must be an http: or https: URL; WebSocket upgrades are proxied to the same target, like "${http}://${raw.slice(scheme.length + 3)}"`);
    }
    if (scheme !== 'http' && scheme !== 'https') return fail(`must be an http: or https: URL, not ${scheme}:`);
    if (/\s/.test(raw)) return fail('must not contain spaces');
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return fail('is not a valid URL');
    }
    const authority = raw.slice(scheme.length + 3).split(/[/?#]/)[0];
    if (authority.includes('@')) {
      return fail('must not contain credentials ("user@")');
    }
    if (raw.includes('?')) return fail('must not have a query ("?")');
    if (raw.includes('#')) return fail('must not have a fragment ("#")');
    // nginx reads `$name` as a variable: a target written into an export would let a request header pick the upstream.
    if (raw.includes('$')) return fail('must not contain "$"');
    if (raw.includes('\\')) return fail('must not contain "\\"; write "/"');
    // The URL parser keeps `; { } ' !` and the like in a host name, and they are no host's.
    if (!TARGET_HOST.test(url.hostname)) return fail(`has an invalid host ${JSON.stringify(url.hostname)}: write a host name (letters, digits, "-", "_" and ".") or an IP address`);
    return url.origin + url.pathname.replace(/\/+$/, '');
  }
}

/** Why `host` (lower-cased, non-empty) is not a plain host name, or undefined when it is one. */
function hostNameProblem(host: string): string | undefined {
  if (host.includes('://')) {
    let name = '';
    try {
      name = new URL(host).hostname;
    } catch {
      // keep the generic advice
    }
    return `must be a host name without a scheme${name ? `, like "${name}"` : ''}`;
  }
  if (host.includes('*')) return 'must be a host name; wildcards are not supported';
  if (host.includes('/')) return `must be a host name without a path, like "${host.slice(0, host.indexOf('/'))}"`;
  if (/^[^:[\]]+:\d*$/.test(host) || /^\[[^\]]*\]:\d*$/.test(host)) {
    return `must be a host name without a port, like "${host.slice(0, host.lastIndexOf(':'))}"`;
  }
  if (!host.startsWith('[') && host.includes(':')) {
    return `is an IPv6 address; write it in brackets, like "[${host}]"`;
  }
  if (!HOST_NAME.test(host)) return 'is not a valid host name';
  return undefined;
}

/** A Python dotted name (`pkg.module`, `app.wsgi_app`): identifiers, which may be non-ASCII. */
const DOTTED_NAME = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*(?:\.[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*)*$/u;

/** A name to bind: DNS labels (underscores allowed inside, as in container names). */
const BIND_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?)*$/;

/** A target's host as the URL parser leaves it (lower case, IDNs in punycode): a name to look up, optionally fully qualified, or an IP address. */
const TARGET_HOST = /^(?:[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?)*\.?|\[[0-9a-f:.]+\])$/;

/** Control characters and the separators some readers take as a line break (NEL is a control character). */
const LINE_BREAKING = /[\p{Cc}\p{Zl}\p{Zp}]/u;

/** DNS-style names (underscores allowed, as in container names) or a bracketed IPv6 address. */
export const HOST_NAME = /^(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\])$/;

// --- wording -------------------------------------------------------------------------------------

/** `mounts[0]` + `env` is `mounts[0].env`; keys that are not identifiers use `["A-B"]`. */
function join(field: string, key: string): string {
  if (field === '') return key;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${field}.${key}` : `${field}[${JSON.stringify(key)}]`;
}

/** The JSON type of a node, with the value itself when it is a short scalar. */
function describe(node: Node): string {
  if (node.type === 'object' || node.type === 'array' || node.type === 'null') return node.type;
  const text = JSON.stringify(node.value);
  return `${node.type} ${text.length > 40 ? `${text.slice(0, 37)}...` : text}`;
}

function orList(values: readonly string[]): string {
  const quoted = values.map((v) => `"${v}"`);
  return quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

function andList(values: readonly string[]): string {
  const quoted = values.map((v) => `"${v}"`);
  return `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}`;
}

/** `; did you mean "prefix"?` when `word` is an obvious typo of one of `known`, else ''. */
function suggest(word: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    // Up to two edits, and fewer than half the word: "prefx" is "prefix", "port" is not "host".
    if (distance < bestDistance && distance <= 2 && distance * 2 < candidate.length) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best ? `; did you mean "${best}"?` : '';
}

/**
 * Edits (insert, delete, replace, swap two neighbours) between two words: "prot" is one from "port".
 * damerau-levenshtein rather than fastest-levenshtein because a swap must count as one edit; its
 * early exit (a diagonal cell over 4) cannot hide a distance of 2 or less, the most `suggest` takes.
 */
function editDistance(a: string, b: string): number {
  return damerauLevenshtein(a, b).steps;
}
