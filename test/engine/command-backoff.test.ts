/** The restart back-off of command mounts (apps/command/restart.ts), with the clock passed in. */
import assert from 'node:assert/strict';
import { Backoff, DEFAULT_BACKOFF, type RestartDecision } from '../../src/engine/kinds/command/restart';

/** The delays of failures at `times` (ms), each after a run of `uptimeMs`; 'loop' for a crash loop. */
function delays(backoff: Backoff, times: readonly number[], uptimeMs = 0): (number | 'loop')[] {
  return times.map((at) => {
    const decision: RestartDecision = backoff.next(uptimeMs, at);
    return decision.crashLoop ? 'loop' : decision.delayMs;
  });
}

/** The delays for a command that fails `runMs` after each start, restarted after each delay. */
function failingEvery(runMs: number, count: number): (number | 'loop')[] {
  const backoff = new Backoff();
  const result: (number | 'loop')[] = [];
  let now = 0;
  for (let i = 0; i < count; i++) {
    now += runMs;
    const decision = backoff.next(0, now);
    if (decision.crashLoop) {
      result.push('loop');
      break;
    }
    result.push(decision.delayMs);
    now += decision.delayMs;
  }
  return result;
}

describe('command restart back-off', () => {
  it('doubles from 250 ms per failure', () => {
    // A minute apart: never a crash loop, so only the doubling shows.
    assert.deepEqual(delays(new Backoff(), [0, 60_000, 120_000, 180_000]), [250, 500, 1000, 2000]);
  });

  it('stops doubling at the 10 s cap', () => {
    const times = Array.from({ length: 9 }, (_, i) => i * 60_000);
    assert.deepEqual(delays(new Backoff(), times), [250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });

  it('starts over after a run that stayed up 10 s', () => {
    const backoff = new Backoff();
    assert.deepEqual(delays(backoff, [0, 60_000, 120_000], 1000), [250, 500, 1000]);
    assert.deepEqual(delays(backoff, [180_000], 10_000), [250]);
    assert.deepEqual(delays(backoff, [240_000], 9_999), [500]);
  });

  it('reset() (a reload) starts over too', () => {
    const backoff = new Backoff();
    delays(backoff, [0, 1, 2, 3]);
    backoff.reset();
    assert.deepEqual(delays(backoff, [4]), [250]);
  });

  it('calls 5 failures within 10 s a crash loop, and says how long they took', () => {
    const backoff = new Backoff();
    assert.deepEqual(delays(backoff, [0, 300, 1000, 2000]), [250, 500, 1000, 2000]);
    assert.deepEqual(backoff.next(0, 4000), { crashLoop: true, exits: 5, withinMs: 4000 });
  });

  it('forgets failures older than the window', () => {
    assert.deepEqual(delays(new Backoff(), [0, 100, 200, 300, 10_001]), [250, 500, 1000, 2000, 4000]);
  });

  it('with the defaults, a command that dies at once is a crash loop before 5 s', () => {
    const seen = failingEvery(50, 10);
    assert.deepEqual(seen, [250, 500, 1000, 2000, 'loop']);
  });

  it('with the defaults, a command that fails a few seconds after each start reaches the cap and is retried for good', () => {
    // E.g. an app that waits 2 s for its database, then gives up: the cap is what paces it.
    const seen = failingEvery(2000, 20);
    assert.equal(seen.length, 20);
    assert.ok(!seen.includes('loop'), `${seen}`);
    assert.deepEqual(seen.slice(0, 8), [250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    assert.equal(seen.at(-1), DEFAULT_BACKOFF.maxMs);
  });
});
