/**
 * A mount's fields as its kind reads them: each checked once, on first read, by the shared
 * checkers (or the kind's own), so a field two kinds share (`cwd`, `timeout`) reports one problem.
 * Fields not allowed on this mount read as absent: `index.ts` has already said they do not belong.
 */
import type { Node } from 'jsonc-parser';
import type { FieldReport, MountReader } from '../kinds/kind';
import type { FieldChecker, Properties, Property } from './fields';
import { join } from './wording';

export class FieldReader implements MountReader {
  private readonly read = new Map<string, unknown>();

  constructor(
    private readonly checker: FieldChecker,
    private readonly props: Properties,
    private readonly allowed: ReadonlySet<string>,
    /** The mount's own field, `mounts[2]`. */
    private readonly field: string,
  ) {}

  get dir(): string {
    return this.checker.dir;
  }

  has(key: string): boolean {
    return this.props.has(key);
  }

  string(key: string): string | undefined {
    return this.value(key, (p, f) => this.checker.nonEmptyString(p, f));
  }

  path(key: string): string | undefined {
    return this.value(key, (p, f) => this.checker.path(p, f));
  }

  command(key: string): string | undefined {
    return this.value(key, (p, f) => this.checker.command(p, f));
  }

  urlPath(key: string): string | undefined {
    return this.value(key, (p, f) => this.checker.readyPath(p, f));
  }

  env(key: string): Readonly<Record<string, string>> | undefined {
    return this.value(key, (p, f) => this.checker.env(p, f));
  }

  flag(key: string, fallback: boolean): boolean {
    return this.value(key, (p, f) => this.checker.boolean(p, f, fallback)) ?? fallback;
  }

  seconds(key: string, fallback: number): number {
    return this.value(key, (p, f) => this.checker.seconds(p, f, fallback)) ?? fallback;
  }

  port(key: string, fallback: number): number {
    return this.value(key, (p, f) => this.checker.port(p, f, fallback)) ?? fallback;
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T | undefined {
    return this.value(key, (p, f) => this.checker.oneOf(p, f, values));
  }

  check<T>(key: string, check: (node: Node, field: string, report: FieldReport) => T | undefined): T | undefined {
    return this.value(key, (p, f) => (p ? check(p.value, f, this.checker) : undefined));
  }

  private value<T>(key: string, check: (prop: Property | undefined, field: string) => T): T | undefined {
    if (!this.allowed.has(key)) return undefined;
    if (!this.read.has(key)) this.read.set(key, check(this.props.get(key), join(this.field, key)));
    return this.read.get(key) as T | undefined;
  }
}
