/**
 * Regression: the restart policy gave up after one failed restart. A restarted run that exited
 * before it was ready went straight to `error` and was never retried, so an app that had been
 * ready, crashed, then failed on each restart (its database still down) stayed down for good even
 * with "restart": "always". Such an exit must count as a failure (uptime 0) that backs off and,
 * repeated, ends in the crash-loop state; only a first start goes straight to `error`.
 */
import assert from 'node:assert/strict';
import { commandApp, NODE, waitFor } from './fixtures/command/helpers';
import { get, startEngine, type RunningEngine } from './helpers';

/** Listens the first time (then crashes); every later run fails at once, like an app whose database is down. */
const FLAKY = `
const fs = require('node:fs');
if (fs.existsSync('started-once')) {
  console.error('database is down');
  process.exit(1);
}
fs.writeFileSync('started-once', '');
require('node:http')
  .createServer((req, res) => res.end('up'))
  .listen(Number(process.env.PORT), process.env.HOST, () => setTimeout(() => process.exit(2), 300));
`;

/** Listens the first time (then crashes); every later run hangs without listening. */
const HANGS_ON_RESTART = `
const fs = require('node:fs');
if (fs.existsSync('started-once')) {
  console.error('waiting for the database');
  setInterval(() => {}, 1000);
} else {
  fs.writeFileSync('started-once', '');
  require('node:http')
    .createServer((req, res) => res.end('up'))
    .listen(Number(process.env.PORT), process.env.HOST, () => setTimeout(() => process.exit(2), 300));
}
`;

describe('issue: a restarted command that exits before it is ready is retried with back-off', function () {
  this.timeout(30_000);
  let running: RunningEngine | undefined;

  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('backs off again after each failed restart and ends in the crash-loop state', async () => {
    running = await startEngine({ mounts: [{ prefix: '/f', command: `${NODE} flaky.js`, restart: 'always' }] }, { 'flaky.js': FLAKY });
    const reasons: string[] = [];
    commandApp(running, '/f').onDidChangeStatus((status) => reasons.push(`${status.state}: ${status.reason ?? ''}`));
    assert.equal((await get(`${running.origin}/f/`)).body, 'up');

    await waitFor(`the crash loop (so far: ${reasons.join(' | ')})`, () => reasons.some((reason) => reason.startsWith('error:')), 15_000);
    const backoffs = reasons.filter((reason) => reason.includes('restarting in'));
    assert.deepEqual(backoffs, [
      'starting: exited (exit code 2); restarting in 0.25 s',
      'starting: exited before it was ready (exit code 1); restarting in 0.5 s',
      'starting: exited before it was ready (exit code 1); restarting in 1 s',
      'starting: exited before it was ready (exit code 1); restarting in 2 s',
    ]);
    assert.match(reasons.at(-1)!, /^error: crash loop: exited 5 times in \d+(\.\d)? s \(last: exit code 1\); not restarting until it is reloaded$/);
    const page = await get(`${running.origin}/f/`);
    assert.equal(page.status, 503);
    assert.match(page.body, /database is down/);
  });

  it('backs off in the same way when a restart hangs without becoming ready', async () => {
    running = await startEngine(
      { mounts: [{ prefix: '/h', command: `${NODE} hangs.js`, restart: 'on-failure', readyTimeout: 1 }] },
      { 'hangs.js': HANGS_ON_RESTART },
    );
    const reasons: string[] = [];
    commandApp(running, '/h').onDidChangeStatus((status) => reasons.push(`${status.state}: ${status.reason ?? ''}`));
    assert.equal((await get(`${running.origin}/h/`)).body, 'up');

    await waitFor(`three restarts (so far: ${reasons.join(' | ')})`, () => reasons.filter((reason) => reason.includes('restarting in')).length >= 3, 15_000);
    const backoffs = reasons.filter((reason) => reason.includes('restarting in'));
    assert.deepEqual(backoffs.slice(0, 3), [
      'starting: exited (exit code 2); restarting in 0.25 s',
      'starting: was not ready after 1 s (nothing accepted connections on port ' + /port (\d+)/.exec(backoffs[1])![1] + '); restarting in 0.5 s',
      'starting: was not ready after 1 s (nothing accepted connections on port ' + /port (\d+)/.exec(backoffs[2])![1] + '); restarting in 1 s',
    ]);
    assert.ok(!reasons.some((reason) => reason.startsWith('error:')), reasons.join(' | '));
  });
});
