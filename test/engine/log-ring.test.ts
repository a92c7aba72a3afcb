/** The engine's log ring: a bounded memory of recent lines, read with a cursor that says what was missed. */
import assert from 'node:assert/strict';
import { LogRing } from '../../src/engine/logRing';
import { recordingLogger } from './helpers';

describe('log ring', () => {
  it('keeps the last lines only, and a cursor from before them counts what fell out', () => {
    const ring = new LogRing({ lines: 3 });
    for (let n = 1; n <= 5; n++) ring.record('info', `line ${n}`, n % 2 ? 'odd' : 'even');
    const page = ring.read({ limit: 10 });
    assert.deepEqual(page.lines.map((line) => line.message), ['line 3', 'line 4', 'line 5']);
    assert.deepEqual({ next: page.next, missed: page.missed, more: page.more }, { next: 5, missed: 2, more: false });
    assert.equal(ring.read({ since: 1, limit: 10 }).missed, 1);
    assert.equal(ring.read({ since: 2, limit: 10 }).missed, 0);
    assert.deepEqual(ring.read({ since: 5, limit: 10 }), { lines: [], next: 5, missed: 0, more: false });
  });

  it('pages by source: the cursor moves past other sources, and `more` says a matching line waits', () => {
    const ring = new LogRing();
    for (const source of ['a', 'b', 'a', 'b', 'b', 'a']) ring.record('info', `${source} says`, source);
    const first = ring.read({ source: 'a', limit: 2 });
    assert.deepEqual(first.lines.map((line) => line.seq), [1, 3]);
    assert.equal(first.more, true);
    const second = ring.read({ source: 'a', since: first.next, limit: 2 });
    assert.deepEqual(second.lines.map((line) => line.seq), [6]);
    assert.deepEqual({ next: second.next, more: second.more }, { next: 6, more: false });
    // Lines of other sources after the last match are read past: the next read starts after them.
    ring.record('info', 'b again', 'b');
    assert.equal(ring.read({ source: 'a', since: second.next, limit: 2 }).next, 7);
  });

  it('cuts long lines and stacks, and its logger records then passes every line on (but access lines)', () => {
    const ring = new LogRing({ lineLength: 10 });
    const passed: string[] = [];
    const logger = ring.logger(recordingLogger(passed));
    logger.info('x'.repeat(25), 'app');
    logger.error('failed', new Error('boom'), 'app');
    logger.access('GET / -> site 200 1ms');
    const lines = ring.read({ limit: 10 }).lines;
    assert.equal(lines.length, 2);
    assert.equal(lines[0].message, `${'x'.repeat(10)}… (15 more characters)`);
    assert.equal(lines[1].level, 'error');
    assert.match(lines[1].error ?? '', /^Error: boo…/);
    assert.equal(passed.length, 3);
  });
});
