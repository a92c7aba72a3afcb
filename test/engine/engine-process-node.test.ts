/** Which Node runs the engine process: the mounts.node setting, `node` on the PATH, the editor's own. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NodeRuntimeError, resolveNode } from '../../src/engineProcess/client';
import { makeWorkspace } from './helpers';

/** An executable that answers the probe the way a Node of `version` would. */
function fakeNode(dir: string, version: string): string {
  const file = path.join(dir, `node-${version}`);
  fs.writeFileSync(file, `#!/bin/sh\necho '["${version}","${file}"]'\n`, { mode: 0o755 });
  return file;
}

describe('engine process: which Node runs it', () => {
  it('mounts.node naming a missing file is an error that names the setting', async () => {
    const missing = path.join(makeWorkspace(), 'no-such-node');
    await assert.rejects(resolveNode(missing), (error: unknown) => {
      assert.ok(error instanceof NodeRuntimeError);
      assert.equal(error.message, `The setting mounts.node is "${missing}", which was not found. Set mounts.node to a Node 20 or later executable, or clear it.`);
      return true;
    });
  });

  it('mounts.node naming a Node older than 20 is an error that names the setting and the version', async () => {
    const old = fakeNode(makeWorkspace(), 'v18.19.0');
    await assert.rejects(resolveNode(old), { name: 'NodeRuntimeError', message: `The setting mounts.node is "${old}", which is Node v18.19.0; Mounts needs Node 20 or later.` });
  });

  it('mounts.node naming something that is not Node says so', async () => {
    const dir = makeWorkspace();
    const notNode = path.join(dir, 'not-node');
    fs.writeFileSync(notNode, '#!/bin/sh\necho hello\n', { mode: 0o755 });
    await assert.rejects(resolveNode(notNode), /mounts\.node is ".*not-node", which is not a Node executable/);
  });

  it('mounts.node naming a real Node uses it, with the version it reports', async () => {
    const runtime = await resolveNode(process.execPath);
    assert.deepEqual(runtime, { execPath: process.execPath, version: process.version, env: {}, source: 'setting' });
  });

  it('unset: node on the PATH when it is 20 or later', async () => {
    const runtime = await resolveNode(undefined, { ...process.env, PATH: path.dirname(process.execPath) });
    assert.equal(runtime.source, 'path');
    assert.equal(runtime.version, process.version);
  });

  it("unset, and the PATH's node too old or absent: the editor's own runtime, run as Node", async () => {
    const dir = makeWorkspace();
    fs.renameSync(fakeNode(dir, 'v16.20.0'), path.join(dir, 'node'));
    for (const PATH of [dir, makeWorkspace()]) {
      const runtime = await resolveNode('', { PATH });
      assert.deepEqual(runtime, { execPath: process.execPath, version: process.version, env: { ELECTRON_RUN_AS_NODE: '1' }, source: 'editor' });
    }
  });
});
