/**
 * Regression: a command mount whose `cwd` does not exist failed with Node's "could not be started:
 * spawn /bin/sh ENOENT", which blames the shell. The folder is checked first and the message names
 * the mount and the folder.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { SERVER, statusOf, waitFor } from './fixtures/command/helpers';
import { get, startEngine, type RunningEngine } from './helpers';

describe('issue: a missing cwd was reported as "spawn /bin/sh ENOENT"', () => {
  let running: RunningEngine | undefined;

  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('says the cwd does not exist, on the status, the 503 page and the log, naming the mount', async () => {
    running = await startEngine({ mounts: [{ prefix: '/api', name: 'api', command: SERVER, cwd: 'no-such-folder' }] });
    const cwd = path.join(running.dir, 'no-such-folder');
    const status = await waitFor('error', () => statusOf(running!, '/api').state === 'error' && statusOf(running!, '/api'), 5000);
    assert.equal(status.reason, `could not be started: cwd ${cwd} does not exist`);
    const page = await get(`${running.origin}/api/`);
    assert.equal(page.status, 503);
    assert.ok(page.body.includes(`api is not available: could not be started: cwd ${cwd} does not exist.`), page.body);
    assert.ok(running.logs.includes(`error api could not be started: cwd ${cwd} does not exist `), running.logs.join('\n'));
  });

  it('says so when the cwd is a file', async () => {
    running = await startEngine({ mounts: [{ prefix: '/api', name: 'api', command: SERVER, cwd: 'a-file' }] }, { 'a-file': '' });
    const status = await waitFor('error', () => statusOf(running!, '/api').state === 'error' && statusOf(running!, '/api'), 5000);
    assert.equal(status.reason, `could not be started: cwd ${path.join(running.dir, 'a-file')} is not a folder`);
  });
});
