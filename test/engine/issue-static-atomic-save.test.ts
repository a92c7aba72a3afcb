/**
 * The static cache shares the risk of the --watch finding: a file replaced by a rename (an atomic
 * save), deleted and created again, or a folder renamed away and replaced, must never be served
 * stale. Its folder watches (one plain fs.watch per folder, which reports names whatever inode they
 * point to) survive all of these; this holds them to it, repeatedly.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { waitFor } from '../waitFor';
import { get, startEngine, type RunningEngine } from './helpers';

async function until(server: RunningEngine, urlPath: string, expected: string, what: string, ms = 5000): Promise<void> {
  let last = '';
  await waitFor(() => `${what}: ${urlPath} still answers ${last}`, async () => {
    const response = await get(`${server.origin}${urlPath}`);
    last = `${response.status} ${response.body}`;
    return response.status === 200 && response.body === expected;
  }, ms);
}

describe('static cache: atomic saves, delete-and-recreate and folder renames are never served stale', () => {
  let server: RunningEngine;
  before(async () => {
    server = await startEngine({ mounts: [{ prefix: '/s', static: 'www' }] }, { 'www/sub/a.txt': 'v0' });
  });
  after(() => server.stop());

  it('sees each of 20 atomic saves, then an in-place write', async () => {
    const file = path.join(server.dir, 'www/sub/a.txt');
    await until(server, '/s/sub/a.txt', 'v0', 'the first version');
    for (let i = 1; i <= 20; i++) {
      fs.writeFileSync(`${file}.tmp`, `v${i}`);
      fs.renameSync(`${file}.tmp`, file);
      await until(server, '/s/sub/a.txt', `v${i}`, `atomic save ${i}`);
    }
    fs.writeFileSync(file, 'in-place');
    await until(server, '/s/sub/a.txt', 'in-place', 'the in-place write after the atomic saves');
  });

  it('sees a file deleted and created again, and a folder renamed away and replaced', async () => {
    const file = path.join(server.dir, 'www/sub/a.txt');
    fs.rmSync(file);
    assert.equal((await get(`${server.origin}/s/sub/a.txt`)).status, 404);
    fs.writeFileSync(file, 'recreated');
    await until(server, '/s/sub/a.txt', 'recreated', 'the recreated file');
    fs.renameSync(path.join(server.dir, 'www/sub'), path.join(server.dir, 'www/old'));
    fs.mkdirSync(path.join(server.dir, 'www/sub'));
    fs.writeFileSync(file, 'new folder');
    await until(server, '/s/sub/a.txt', 'new folder', 'the file in the new folder');
    fs.writeFileSync(file, 'new folder 2');
    await until(server, '/s/sub/a.txt', 'new folder 2', 'a write in the new folder');
  });
});
