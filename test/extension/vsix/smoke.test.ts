// Smoke test of the packaged extension: the copy installed from mounts.vsix (not the source tree)
// activates, finds what it needs inside its own folder, and serves.
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, firstFolder, get, getApi, isListening } from '../helpers';

describe('packaged extension (.vsix)', () => {
  it('is the installed copy, not the source tree', () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, 'installed');
    assert.ok(!fs.existsSync(path.join(extension.extensionPath, 'src')), `${extension.extensionPath} is a package, not the repository`);
    assert.ok(!fs.existsSync(path.join(extension.extensionPath, 'node_modules')), 'dependencies are bundled');
  });

  it('contains every file the manifest refers to', () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    const manifest = extension.packageJSON;
    const referenced = [
      manifest.main,
      manifest.icon,
      ...manifest.contributes.jsonValidation.map((entry: { url: string }) => entry.url),
      ...manifest.contributes.viewsContainers.activitybar.map((entry: { icon: string }) => entry.icon),
    ];
    for (const file of referenced) assert.ok(fs.existsSync(path.join(extension.extensionPath, file)), `${file} is in the package`);
    JSON.parse(fs.readFileSync(path.join(extension.extensionPath, 'schema', 'mounts.schema.json'), 'utf8'));
  });

  it('activates, serves every kind it was given, and stops', async () => {
    const api = await getApi();
    assert.strictEqual(await vscode.commands.executeCommand('mounts.start', firstFolder().uri), true);
    assert.match((await get(api.urlOf('/')!)).body, /static site/);
    assert.strictEqual((await get(api.urlOf('/hello')!)).body, 'hello from /hello /');
    // A command mount runs under the packaged supervisor (dist/supervisor.js).
    assert.match((await get(api.urlOf('/cmd')!)).body, /^cmd pid \d+ prefix \/cmd url \/$/);
    const port = api.engines()[0].engine.port!;
    await vscode.commands.executeCommand('mounts.stop');
    assert.strictEqual(await isListening(port), false);
  });
});
