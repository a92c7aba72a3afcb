/**
 * The size rules of the style stay true: no source file over 450 lines, no class over 300, measured
 * on the syntax tree (sourceSizes.ts) so a class is its real body. What is over the limit and not
 * split yet is named below with its measured size: it may shrink, never grow, and leaves the list
 * once it is within the limit.
 */
import * as assert from 'node:assert/strict';
import { measure, over, type Measured } from './sourceSizes';

const FILE_LIMIT = 450;
const CLASS_LIMIT = 300;

/** Files over FILE_LIMIT today, by path, with the lines they had when listed. */
const FILES_ALLOWED: ReadonlyMap<string, number> = new Map();
/** Classes over CLASS_LIMIT today, by `path name`, with the lines they had when listed. */
const CLASSES_ALLOWED: ReadonlyMap<string, number> = new Map();

/** Offenders not allowed (or grown past their allowance), and allowances no longer needed. */
function check(measured: readonly Measured[], limit: number, allowed: ReadonlyMap<string, number>, key: (one: Measured) => string): { offenders: string[]; stale: string[] } {
  const offenders = over(measured, limit)
    .filter((one) => one.lines > (allowed.get(key(one)) ?? limit))
    .map((one) => `${key(one)}: ${one.lines} lines${allowed.has(key(one)) ? ` (allowed ${allowed.get(key(one))})` : ''}`);
  const present = new Map(measured.map((one) => [key(one), one.lines]));
  const stale = [...allowed.keys()].filter((name) => (present.get(name) ?? 0) <= limit);
  return { offenders, stale };
}

describe('source sizes', () => {
  const sizes = measure();

  it('measures what is there', () => {
    // Far fewer files or classes means the walk stopped finding them, and the checks below pass vacuously.
    assert.ok(sizes.files.length >= 100, `only ${sizes.files.length} source files found`);
    assert.ok(sizes.classes.length >= 30, `only ${sizes.classes.length} classes found`);
    assert.ok(over(sizes.files, 300).length > 0, 'no file over 300 lines: the line count is broken');
  });

  it(`no source file under src/ is over ${FILE_LIMIT} lines`, () => {
    const { offenders, stale } = check(sizes.files, FILE_LIMIT, FILES_ALLOWED, (one) => one.file);
    assert.deepEqual(offenders, [], `split these files by job:\n  ${offenders.join('\n  ')}`);
    assert.deepEqual(stale, [], `within the limit now: remove them from FILES_ALLOWED:\n  ${stale.join('\n  ')}`);
  });

  it(`no class under src/ is over ${CLASS_LIMIT} lines`, () => {
    const { offenders, stale } = check(sizes.classes, CLASS_LIMIT, CLASSES_ALLOWED, (one) => `${one.file} ${one.name}`);
    assert.deepEqual(offenders, [], `split these classes by job:\n  ${offenders.join('\n  ')}`);
    assert.deepEqual(stale, [], `within the limit now: remove them from CLASSES_ALLOWED:\n  ${stale.join('\n  ')}`);
  });
});
