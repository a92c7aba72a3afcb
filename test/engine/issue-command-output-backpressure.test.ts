/**
 * Regression: the supervisor relayed every chunk of a command's output over IPC without looking at
 * back-pressure, so a command printing as fast as it could (`yes`, a runaway log loop) grew the
 * supervisor's memory by tens of MB a second, as fast as the engine fell behind. The supervisor must
 * stop reading the command's pipes while the channel is backed up; the command then waits on its
 * writes, as it would on a slow terminal.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Logger } from '../../src/engine/logger';
import { commandApp, delay, SERVER, statusOf, waitFor } from './fixtures/command/helpers';
import { get, startEngine, type RunningEngine } from './helpers';

/** Resident memory of `pid` in MB, from /proc. */
function rssMb(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

/** A logger that costs about what a real one does per line (an editor channel is slower still). */
function countingLogger(): Logger & { lines: number; last: string } {
  const logger = {
    lines: 0,
    last: '',
    info(message: string) {
      logger.lines++;
      logger.last = message;
    },
    warn: () => undefined,
    error: () => undefined,
    access: () => undefined,
  };
  return logger;
}

describe('issue: a command printing as fast as it can grew the supervisor without bound', function () {
  this.timeout(30_000);
  let running: RunningEngine | undefined;

  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it("keeps the supervisor's memory bounded for 2 s of `yes`, and the engine keeps serving", async () => {
    const logger = countingLogger();
    // The server's output goes elsewhere: Node makes a pipe it shares non-blocking, and `yes` would
    // then die of EAGAIN as soon as the pipe is full.
    running = await startEngine(
      { mounts: [{ prefix: '/loud', command: `${SERVER} >/dev/null 2>&1 & exec yes 'a line from a command that logs far too much'` }] },
      {},
      { logger },
    );
    await waitFor('ready', () => statusOf(running!, '/loud').state === 'ready', 5000);
    const supervisor = commandApp(running, '/loud').process!.supervisorPid!;
    let peak = 0;
    const until = Date.now() + 2000;
    while (Date.now() < until) {
      peak = Math.max(peak, rssMb(supervisor));
      const started = Date.now();
      assert.equal((await get(`${running.origin}/loud/`)).status, 200);
      assert.ok(Date.now() - started < 1000, `a request took ${Date.now() - started} ms`);
      await delay(50);
    }
    assert.ok(logger.lines > 10_000, `output still reached the log (${logger.lines} lines)`);
    assert.ok(peak < 100, `supervisor RSS peaked at ${peak.toFixed(0)} MB`);
  });

  it('reports the exit only after the last output, even while the channel is backed up', async () => {
    // 200 000 lines then a crash message: the logger's cost per line backs the channel up, so the
    // pipes are paused when the command exits. Its last words must still come before the exit.
    const print = `let s = ''; for (let i = 0; i < 200000; i++) s += 'line ' + i + ' padding padding\\n'; process.stdout.write(s + 'FINAL: database is down\\n'); process.exitCode = 1;`;
    const logger = countingLogger();
    const slow = { ...logger, info(message: string) { logger.info(message); const until = process.hrtime.bigint() + 10_000n; while (process.hrtime.bigint() < until); } };
    running = await startEngine({ mounts: [{ prefix: '/c', command: `${JSON.stringify(process.execPath)} -e ${JSON.stringify(print)}`, restart: 'never' }] }, {}, { logger: slow });
    const status = await waitFor('the exit', () => statusOf(running!, '/c').state === 'error' && statusOf(running!, '/c'), 25_000);
    assert.match(status.detail ?? '', /FINAL: database is down$/);
    assert.equal(logger.last, 'FINAL: database is down');
  });
});
