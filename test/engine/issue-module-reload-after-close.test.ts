/**
 * Regression: a reload still loading when the mount closed installed a version that nothing ever
 * closed, its timers alive after engine.stop().
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { startEngine, type RunningEngine } from './helpers';

const registry = globalThis as unknown as { mountsReloadAfterClose?: Set<NodeJS.Timeout> };

// A slow top-level await, and a timer each version owns until its close().
const APP = `
await new Promise((resolve) => setTimeout(resolve, 300));
const timers = globalThis.mountsReloadAfterClose;
const timer = setInterval(() => {}, 1000);
timers.add(timer);
export default (req, res) => res.end('ok');
export function close() { clearInterval(timer); timers.delete(timer); }
`;

describe('issue: a reload in flight when the mount closes', () => {
  let server: RunningEngine | undefined;

  beforeEach(() => {
    registry.mountsReloadAfterClose = new Set();
  });

  afterEach(async () => {
    await server?.stop();
    server = undefined;
    // Whatever the outcome, leave no timer keeping the test process alive.
    for (const timer of registry.mountsReloadAfterClose ?? []) clearInterval(timer);
    delete registry.mountsReloadAfterClose;
  });

  it('stop() waits for it, and what it loaded is closed, not served', async () => {
    server = await startEngine({ mounts: [{ prefix: '/app', module: 'app.mjs' }] }, { 'app.mjs': APP });
    const timers = registry.mountsReloadAfterClose!;
    assert.equal(timers.size, 1);
    const reloading = server.engine.fileChanged(path.join(server.dir, 'app.mjs'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await server.stop();
    server = undefined;
    assert.equal(timers.size, 0, 'no version is left running after stop()');
    await reloading;
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(timers.size, 0, 'no version is left running after the reload settled');
  });
});
