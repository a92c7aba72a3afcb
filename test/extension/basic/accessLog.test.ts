// The Mounts log: one access line per request while `mounts.accessLog` is on (the default), none
// once it is turned off at run time; an app that throws while handling a request logs its stack.
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { firstFolder, get, getApi, waitFor } from '../helpers';

function accessLine(log: readonly string[], url: string): string | undefined {
  return log.find((line) => line.startsWith(`[info] GET ${url} -> `));
}

async function setAccessLog(value: boolean | undefined): Promise<void> {
  await vscode.workspace.getConfiguration('mounts').update('accessLog', value, vscode.ConfigurationTarget.Global);
  // The extension reads it in the same change event that makes it visible here.
  await waitFor(`mounts.accessLog to be ${value ?? 'the default'}`, () => vscode.workspace.getConfiguration('mounts').get('accessLog') === (value ?? true));
}

describe('the Mounts log', () => {
  before(async () => {
    assert.strictEqual(await vscode.commands.executeCommand('mounts.start', firstFolder().uri), true);
  });

  after(async () => {
    await setAccessLog(undefined);
    await vscode.commands.executeCommand('mounts.stop', firstFolder().uri);
  });

  it('writes one access line per request: method, URL, mount, status, time', async () => {
    const api = await getApi();
    assert.strictEqual((await get(`${api.urlOf('/hello')}logged?n=1`)).status, 200);
    const line = await waitFor('the access line', () => accessLine(api.recentLog(), '/hello/logged?n=1'));
    assert.match(line, /^\[info\] GET \/hello\/logged\?n=1 -> hello 200 \d+\.\dms$/);
    assert.strictEqual((await get(`${api.urlOf('/docs')}missing.txt`)).status, 404);
    assert.match(await waitFor('the 404 line', () => accessLine(api.recentLog(), '/docs/missing.txt')), / -> \/docs 404 /);
  });

  it('writes none once mounts.accessLog is turned off, and again once it is back on', async () => {
    const api = await getApi();
    await setAccessLog(false);
    assert.strictEqual((await get(`${api.urlOf('/hello')}while-off`)).status, 200);
    // A line for a later request shows every earlier one has been written, had there been any.
    await setAccessLog(true);
    assert.strictEqual((await get(`${api.urlOf('/hello')}back-on`)).status, 200);
    await waitFor('the line of the request made with the log on', () => accessLine(api.recentLog(), '/hello/back-on'));
    assert.strictEqual(accessLine(api.recentLog(), '/hello/while-off'), undefined);
  });

  it('logs the stack of an app that throws while handling a request', async () => {
    const api = await getApi();
    const file = path.join(firstFolder().uri.fsPath, 'apps', 'hello.js');
    const original = fs.readFileSync(file, 'utf8');
    const throwing = `module.exports = (req, res) => {
  if (req.url === '/boom') throw new Error('boom from hello');
  res.end('throwing version');
};`;
    try {
      fs.writeFileSync(file, throwing);
      await waitFor('the throwing version to answer', async () => (await get(api.urlOf('/hello')!)).body === 'throwing version');
      assert.strictEqual((await get(`${api.urlOf('/hello')}boom`)).status, 500);
      const entry = await waitFor('the error in the log', () => api.recentLog().find((line) => line.startsWith('[error] [hello] GET /hello/boom failed')));
      const [, message, ...frames] = entry.split('\n');
      assert.strictEqual(message, 'Error: boom from hello', entry);
      // The first frame is the line that threw.
      assert.match(frames[0] ?? '', /^\s+at .*[\\/]apps[\\/]hello\.js:2:\d+\)?$/, entry);
    } finally {
      fs.writeFileSync(file, original);
    }
    await waitFor('the old code to answer again', async () => (await get(api.urlOf('/hello')!)).body.startsWith('hello from'));
  });
});
