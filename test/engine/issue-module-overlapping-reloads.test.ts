/**
 * Regression: two reloads of one mount at once loaded three versions, closed the first twice and
 * never closed the second.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { startEngine, type RunningEngine } from './helpers';

interface Versions {
  loaded: number[];
  closed: number[];
}

const registry = globalThis as unknown as { mountsOverlappingReloads?: Versions };

// Each version registers itself when it loads and when its close() is called.
const APP = `
const versions = globalThis.mountsOverlappingReloads;
const id = versions.loaded.length + 1;
versions.loaded.push(id);
await new Promise((resolve) => setTimeout(resolve, 50));
export default (req, res) => res.end(String(id));
export function close() { versions.closed.push(id); }
`;

describe('issue: overlapping reloads of one mount', () => {
  let server: RunningEngine | undefined;

  beforeEach(() => {
    registry.mountsOverlappingReloads = { loaded: [], closed: [] };
  });

  afterEach(async () => {
    await server?.stop();
    server = undefined;
    delete registry.mountsOverlappingReloads;
  });

  it('run one after the other: every version but the serving one is closed, each once', async () => {
    server = await startEngine({ mounts: [{ prefix: '/app', module: 'app.mjs' }] }, { 'app.mjs': APP });
    const file = path.join(server.dir, 'app.mjs');
    await Promise.all([server.engine.fileChanged(file), server.engine.fileChanged(file)]);
    await Promise.all([server.engine.fileChanged(file), server.engine.fileChanged(file), server.engine.fileChanged(file)]);
    const versions = registry.mountsOverlappingReloads!;
    assert.ok(versions.loaded.length >= 2, `reloaded at all (${versions.loaded.length} versions)`);
    const serving = versions.loaded[versions.loaded.length - 1];
    assert.deepEqual(versions.closed, versions.loaded.slice(0, -1), 'closed in order, each once, not the serving one');
    await server.stop();
    server = undefined;
    assert.deepEqual(versions.closed, [...versions.loaded.slice(0, -1), serving], 'stop closes the serving one');
  });
});
