/**
 * A save of mounts.json after the server read it but before `--watch` began watching must apply.
 * The watcher took the file's identity when it began, so that save passed for the version already
 * applied and was never seen. Here the save lands exactly in that gap: the engine has started (read
 * mounts.json), the file is replaced by rename, and only then does watching begin.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { watch, type FolderWatch } from '../../src/cliWatch';
import { currentIdentity } from '../../src/engine/configFile';
import { Engine } from '../../src/engine/index';
import { waitFor } from './cliProcess';
import { get, makeWorkspace } from './helpers';

describe('issue: a save of mounts.json made before watching began was lost', function () {
  this.timeout(30_000);
  let engine: Engine | undefined;
  let watcher: FolderWatch | undefined;
  afterEach(async () => {
    await watcher?.close();
    await engine?.stop();
  });

  it('applies a save made by rename between the read at start and the start of watching', async () => {
    const config = (mounts: object[]) => JSON.stringify({ port: 0, mounts });
    const dir = makeWorkspace({ 'mounts.json': config([{ prefix: '/a', static: 'a' }]), 'a/index.html': 'a', 'b/index.html': 'b' });
    const file = path.join(dir, 'mounts.json');
    engine = new Engine({ configFile: file, liveReload: false });
    await engine.start();
    const origin = `http://127.0.0.1:${engine.port}`;
    assert.equal((await get(`${origin}/b/`)).status, 404);
    fs.writeFileSync(`${file}.tmp`, config([{ prefix: '/a', static: 'a' }, { prefix: '/b', static: 'b' }]));
    fs.renameSync(`${file}.tmp`, file);
    watcher = await watch(engine);
    await waitFor('the saved mount /b to be applied', () => engine!.mounts().some((mount) => mount.spec.prefix === '/b'));
    assert.equal((await get(`${origin}/b/`)).body, 'b');
  });

  it('takes the file as read for applied: unsaved, it is not reloaded at the start of watching', async () => {
    const dir = makeWorkspace({ 'mounts.json': JSON.stringify({ port: 0, mounts: [] }) });
    const file = path.join(dir, 'mounts.json');
    engine = new Engine({ configFile: file, liveReload: false });
    await engine.start();
    // The watcher reloads when these differ: for a file left alone they must be equal.
    assert.equal(engine.configIdentity, currentIdentity(file));
    fs.writeFileSync(`${file}.tmp`, JSON.stringify({ port: 0, mounts: [] }));
    fs.renameSync(`${file}.tmp`, file);
    assert.notEqual(engine.configIdentity, currentIdentity(file));
  });
});
