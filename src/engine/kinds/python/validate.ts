/** A Python mount's `wsgi`/`asgi` app and `python` interpreter, checked as written. */
import * as path from 'node:path';
import type { Node } from 'jsonc-parser';
import type { FieldReport } from '../kind';

/** A Python dotted name (`pkg.module`, `app.wsgi_app`): identifiers, which may be non-ASCII. */
const DOTTED_NAME = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*(?:\.[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*)*$/u;

/** `module:attribute` or `module:factory()`: what the Python runner imports and serves. */
export function pythonApp(node: Node, field: string, report: FieldReport): string | undefined {
  if (node.type !== 'string') return void report.expected(node, field, 'a string like "module:app"');
  const raw = node.value as string;
  const fail = (why: string) => void report.at(node, field, `${field} ${JSON.stringify(raw)} ${why}`);
  if (raw.trim() === '') return void report.at(node, field, `${field} must not be empty; write "module:attribute", like "app:app"`);
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
export function interpreter(node: Node, field: string, report: FieldReport): string | undefined {
  if (node.type !== 'string') return void report.expected(node, field, 'a path or a name, like ".venv/bin/python"');
  const raw = node.value as string;
  if (raw.trim() === '') return void report.at(node, field, `${field} must not be empty; leave it out to use the editor's or the PATH's python3`);
  if (raw.includes('\0')) return void report.at(node, field, `${field} must not contain a NUL character`);
  return raw.includes('/') || raw.includes(path.sep) ? path.resolve(report.dir, raw) : raw;
}
