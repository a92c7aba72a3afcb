/**
 * The sizes the style holds the source to (no file over 450 lines, no class over about 300, no
 * function over about 60), measured on the syntax tree by the TypeScript compiler so that a class
 * or a function is its real body, not a guess from indentation. `architecture.test.ts` keeps the
 * limits; run this file with node for the full list:
 * `node out/test/engine/sourceSizes.js [function-limit]`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

export const REPO = path.resolve(__dirname, '../../..');

export interface Measured {
  /** Relative to the repository, with forward slashes. */
  readonly file: string;
  /** The class or function's name as a reader would search for it; the file's name for files. */
  readonly name: string;
  readonly lines: number;
}

export interface Sizes {
  readonly files: Measured[];
  readonly classes: Measured[];
  readonly functions: Measured[];
}

/** Every .ts file under src/, relative to the repository. */
export function sourceFiles(): string[] {
  return fs
    .readdirSync(path.join(REPO, 'src'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(REPO, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

export function measure(files: readonly string[] = sourceFiles()): Sizes {
  const sizes: Sizes = { files: [], classes: [], functions: [] };
  for (const file of files) {
    const text = fs.readFileSync(path.join(REPO, file), 'utf8');
    // Lines as `wc -l` counts them, so the number matches what a reader checks by hand.
    sizes.files.push({ file, name: file, lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0) });
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const linesOf = (node: ts.Node): number =>
      source.getLineAndCharacterOfPosition(node.getEnd()).line - source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    const visit = (node: ts.Node): void => {
      if (ts.isClassLike(node)) sizes.classes.push({ file, name: nameOf(node, source), lines: linesOf(node) });
      else if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        sizes.functions.push({ file, name: nameOf(node, source), lines: linesOf(node) });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return sizes;
}

/** A declaration's own name, else the name it is assigned to, else where it starts. */
function nameOf(node: ts.Node, source: ts.SourceFile): string {
  const named = node as ts.Node & { name?: ts.Node };
  if (named.name) {
    const owner = ts.isClassLike(node.parent) ? `${nameOf(node.parent, source)}.` : '';
    return owner + named.name.getText(source);
  }
  if (ts.isConstructorDeclaration(node)) return `${nameOf(node.parent, source)}.constructor`;
  const parent = node.parent as ts.Node & { name?: ts.Node };
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyDeclaration(parent) || ts.isPropertyAssignment(parent)) && parent.name) {
    return parent.name.getText(source);
  }
  return `(anonymous, line ${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1})`;
}

export function over(measured: readonly Measured[], limit: number): Measured[] {
  return measured.filter((one) => one.lines > limit).sort((a, b) => b.lines - a.lines);
}

if (require.main === module) {
  const functionLimit = Number(process.argv[2] ?? 60);
  const sizes = measure();
  const print = (title: string, list: Measured[]): void => {
    console.log(`${title} (${list.length})`);
    for (const one of list) console.log(`  ${String(one.lines).padStart(4)}  ${one.file}  ${one.name === one.file ? '' : one.name}`);
  };
  print('files over 450 lines', over(sizes.files, 450));
  print('classes over 300 lines', over(sizes.classes, 300));
  print(`functions over ${functionLimit} lines`, over(sizes.functions, functionLimit));
}
