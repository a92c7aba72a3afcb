/**
 * Reads, validates and normalizes mounts.json (JSON with comments and trailing commas) into a
 * `MountsConfig`. Every problem is reported at once, each with its position and JSON path, and every
 * message starts with the field it is about, so it reads on its own in an editor diagnostic.
 *
 * This file reads the file's structure, the top-level fields and what every mount has; each kind
 * reads and checks its own fields (`kinds/<kind>/kind.ts`), with the checkers `config/fields.ts`
 * shares among them.
 *
 * The same rules are published as a JSON Schema in `schema/mounts.schema.json`;
 * `test/engine/schema.test.ts` checks that the two agree.
 */
import { isIP } from 'node:net';
import * as path from 'node:path';
import { createScanner, parseTree, ParseErrorCode, SyntaxKind, type Node, type ParseError } from 'jsonc-parser';
import { readConfigText } from './configFile';
import { KINDS, kindOf } from './kinds/registry';
import type { ConfigProblem, ConnectionLimits, MountKindName, MountsConfig, MountSpec } from './spec';
import { DEFAULTS } from './config/defaults';
import { FieldChecker, type Properties, type Property } from './config/fields';
import { BIND_NAME } from './config/hostNames';
import { FieldReader } from './config/mountReader';
import { Problem } from './config/positions';
import { andList, describe, join, orList, suggest } from './config/wording';

export { DEFAULTS, MAX_SECONDS } from './config/defaults';
export { HOST_NAME } from './config/hostNames';
export { formatProblem, LineIndex, sourceRangeAt } from './config/positions';

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

const ALL_MOUNT_KEYS: readonly string[] = [
  ...new Set([...COMMON_MOUNT_KEYS, ...MOUNT_KINDS.flatMap((kind) => KIND_KEYS[kind])]),
];

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

class Validator extends FieldChecker {
  /** The prefix as written, by mount index, for messages about duplicates. */
  private readonly prefixNodes = new Map<number, Node>();

  run(): MountsConfig | undefined {
    const root = this.parse();
    if (!root) return undefined;

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

  /** The file's object, or undefined after reporting why there is none (syntax, depth, not an object). */
  private parse(): Node | undefined {
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
    return root;
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
    const allowed = this.checkMountKeys(props, field, kinds);

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

    // Check every field present even when the mount is already wrong, so all problems show at once.
    const fields = new FieldReader(this, props, allowed, field);
    const kind = kinds.length === 1 ? kinds[0] : undefined;
    const base = { index, prefix: prefix ?? '/', name: name ?? prefix ?? '/', ...(host ? { host } : {}), liveReload, range: this.range(node) };
    const specs = (kinds.length > 0 ? kinds : MOUNT_KINDS).map((name) => kindOf({ kind: name }).read(fields, base));
    if (this.problems.length > before || !kind || prefix === undefined) return undefined;
    return specs[0];
  }

  /** Reports keys that are no mount's, or another kind's; returns the keys this mount may have. */
  private checkMountKeys(props: Properties, field: string, kinds: readonly MountKindName[]): ReadonlySet<string> {
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
    return allowed;
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
}
