/**
 * Regression: a reload still loading when the mount closed installed a version that nothing ever
 * closed, its timers alive after engine.stop().
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { waitFor } from '../waitFor';
import { startEngine, type RunningEngine } from './helpers';

/** What each loaded version reports: its timer, and how far its loading got. */
interface Versions {
  readonly timers: Set<NodeJS.Timeout>;
  started: number;
  finished: number;
}
const registry = globalThis as unknown as { mountsReloadAfterClose?: Versions };

// A slow top-level await, and a timer each version owns until its close().
const APP = `
const versions = globalThis.mountsReloadAfterClose;
versions.started++;
await new Promise((resolve) => setTimeout(resolve, 300));
versions.finished++;
const timer = setInterval(() => {}, 1000);
versions.timers.add(timer);
export default (req, res) => res.end('ok');
export function close() { clearInterval(timer); versions.timers.delete(timer); }
`;

describe('issue: a reload in flight when the mount closes', () => {
  let server: RunningEngine | undefined;

  beforeEach(() => {
    registry.mountsReloadAfterClose = { timers: new Set(), started: 0, finished: 0 };
  });

  afterEach(async () => {
    await server?.stop();
    server = undefined;
    // Whatever the outcome, leave no timer keeping the test process alive.
    for (const timer of registry.mountsReloadAfterClose?.timers ?? []) clearInterval(timer);
    delete registry.mountsReloadAfterClose;
  });

  it('stop() waits for it, and what it loaded is closed, not served', async () => {
    server = await startEngine({ mounts: [{ prefix: '/app', module: 'app.mjs' }] }, { 'app.mjs': APP });
    const versions = registry.mountsReloadAfterClose!;
    assert.equal(versions.timers.size, 1);
    const reloading = server.engine.fileChanged(path.join(server.dir, 'app.mjs'));
    // The new version is inside its slow top-level await: the reload is in flight.
    await waitFor('the new version to start loading', () => versions.started === 2, 5000);
    await server.stop();
    server = undefined;
    assert.equal(versions.timers.size, 0, 'no version is left running after stop()');
    await reloading;
    // Its body has run to the end, so a timer it was left holding would be there now.
    await waitFor('the new version to finish loading', () => versions.finished === 2, 5000);
    assert.equal(versions.timers.size, 0, 'no version is left running after the reload settled');
  });
});
