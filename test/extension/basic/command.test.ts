// A command mount in the editor: Start runs its process behind /cmd, the tree shows the process
// (pid and port), its output reaches the Mounts log tagged with the mount's name, Reload App
// restarts it, a command that exits before it is ready shows the error with its last output, and
// Stop ends it.
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { TreeNode } from '../../../src/ui/treeItems';
import { firstFolder, get, getApi, isAlive, waitFor } from '../helpers';

/** The server's answer names its own pid: the node process under the shell the engine started. */
const ANSWER = /^cmd pid (\d+) prefix \/cmd url \/x\?y=1$/;

async function treeNode(name = 'cmd'): Promise<TreeNode> {
  const api = await getApi();
  const node = api.tree.getChildren().find((candidate) => api.tree.getTreeItem(candidate).label === name);
  assert.ok(node, `the tree lists the ${name} mount`);
  return node;
}

const cmdNode = () => treeNode('cmd');

async function serverPid(): Promise<number> {
  const api = await getApi();
  const response = await get(`${api.urlOf('/cmd')}x?y=1`);
  assert.strictEqual(response.status, 200);
  const match = ANSWER.exec(response.body);
  assert.ok(match, response.body);
  return Number(match[1]);
}

function cmdStatus(api: Awaited<ReturnType<typeof getApi>>, id = '/cmd') {
  const mount = api.mounts().find((candidate) => candidate.id === id);
  assert.ok(mount, `the ${id} mount`);
  return mount.status;
}

describe('command mounts', () => {
  before(async () => {
    assert.strictEqual(await vscode.commands.executeCommand('mounts.start', firstFolder().uri), true);
  });

  after(async () => {
    await vscode.commands.executeCommand('mounts.stop', firstFolder().uri);
  });

  it('Start runs the command and /cmd answers through the engine', async () => {
    const api = await getApi();
    // Requests wait for the process to listen, so the first one already reaches it.
    const pid = await serverPid();
    assert.ok(isAlive(pid), `the server process ${pid} runs`);
    // The engine process reports in batches: the state follows within a moment.
    const status = await waitFor('the command to be ready', () => (cmdStatus(api).state === 'ready' ? cmdStatus(api) : undefined));
    assert.ok(status.pid !== undefined && isAlive(status.pid), `the command's process ${status.pid} runs`);
    assert.ok(status.port !== undefined && status.port > 0);
  });

  it('shows the running process in the tree: state, pid and port', async () => {
    const api = await getApi();
    const item = await waitFor('the tree to show cmd serving', async () => {
      const candidate = api.tree.getTreeItem(await cmdNode());
      return candidate.contextValue === 'mount.command.reloadable.serving' ? candidate : undefined;
    });
    const { pid, port } = cmdStatus(api);
    assert.strictEqual(item.description, `/cmd → node server.js · serving (pid ${pid}, port ${port})`);
    assert.strictEqual((item.iconPath as vscode.ThemeIcon).id, 'terminal');
    const tooltip = (item.tooltip as vscode.MarkdownString).value;
    assert.match(tooltip, /command mount/);
    assert.ok(tooltip.includes(`Process: pid ${pid}`), tooltip);
    assert.ok(tooltip.includes(`Port: ${port}`), tooltip);
    assert.ok(tooltip.includes(api.urlOf('/cmd')!), tooltip);
  });

  it("sends the command's output to the Mounts log, tagged with the mount's name", async () => {
    const api = await getApi();
    const { port } = cmdStatus(api);
    const pid = await serverPid();
    const line = `[info] [cmd] cmd server listening on port ${port} (pid ${pid})`;
    await waitFor(`the log to hold "${line}"`, () => api.recentLog().includes(line));
    // The engine's own lines about the mount carry the name too.
    assert.ok(api.recentLog().includes(`[info] [cmd] ready on port ${port}`), api.recentLog().slice(-20).join('\n'));
  });

  it('Reload App on the tree item restarts the process', async () => {
    const api = await getApi();
    const before = cmdStatus(api);
    const oldServer = await serverPid();
    await vscode.commands.executeCommand('mounts.reloadApp', await cmdNode());
    // The old process is gone before the new one starts (it may hold the port).
    await waitFor(`the old server ${oldServer} to end`, () => !isAlive(oldServer));
    assert.strictEqual(isAlive(before.pid!), false, `the old command process ${before.pid} ended`);
    const newServer = await serverPid();
    assert.notStrictEqual(newServer, oldServer);
    const after = await waitFor('a new ready process', () => {
      const status = cmdStatus(api);
      return status.state === 'ready' && status.pid !== before.pid ? status : undefined;
    });
    assert.ok(isAlive(after.pid!));
    await waitFor('the tree to show the new pid', async () =>
      String(api.tree.getTreeItem(await cmdNode()).description).endsWith(`· serving (pid ${after.pid}, port ${after.port})`),
    );
    await waitFor('the new start line in the log', () =>
      api.recentLog().includes(`[info] [cmd] cmd server listening on port ${after.port} (pid ${newServer})`),
    );
  });

  it('shows a command that exits before it is ready in error, with its last output', async () => {
    const api = await getApi();
    const configFile = api.engines()[0].configFile.fsPath;
    const original = fs.readFileSync(configFile, 'utf8');
    const bad = `{ "prefix": "/bad", "name": "bad", "command": "node -e \\"console.log('bad is giving up'); process.exit(3)\\"" },`;
    try {
      // Written outside the editor: the file watcher brings it in and the engine reloads.
      fs.writeFileSync(configFile, original.replace('"mounts": [', `"mounts": [\n    ${bad}`));
      const status = await waitFor('/bad to be in error', () =>
        api.mounts().some((mount) => mount.id === '/bad') && cmdStatus(api, '/bad').state === 'error' ? cmdStatus(api, '/bad') : undefined,
      );
      assert.strictEqual(status.reason, 'exited before it was ready (exit code 3)');
      const item = await waitFor('the tree to show bad in error', async () => {
        const candidate = api.tree.getTreeItem(await treeNode('bad'));
        return candidate.contextValue === 'mount.command.reloadable.error' ? candidate : undefined;
      });
      assert.strictEqual(item.description, '/bad → node -e "console.log(\'bad is giving up\'); process.exit(3)" · error: exited before it was ready (exit code 3)');
      assert.strictEqual((item.iconPath as vscode.ThemeIcon).id, 'error');
      const tooltip = (item.tooltip as vscode.MarkdownString).value;
      assert.match(tooltip, /Last output:\n+```text\nbad is giving up\n```/);
      assert.ok(api.recentLog().includes('[info] [bad] bad is giving up'), api.recentLog().slice(-20).join('\n'));
      assert.ok(api.recentLog().includes('[error] [bad] exited before it was ready (exit code 3)'), api.recentLog().slice(-20).join('\n'));
      // The other command mount kept serving through the reload.
      assert.match((await get(`${api.urlOf('/cmd')}x?y=1`)).body, ANSWER);
    } finally {
      fs.writeFileSync(configFile, original);
    }
    await waitFor('/bad to go', () => api.mounts().every((mount) => mount.id !== '/bad'));
  });

  it('Stop ends the process', async () => {
    const api = await getApi();
    const { pid } = cmdStatus(api);
    const server = await serverPid();
    await vscode.commands.executeCommand('mounts.stop', firstFolder().uri);
    assert.strictEqual(api.state(), 'stopped');
    // stop() resolves only when every child is gone: no waiting here.
    assert.strictEqual(isAlive(server), false, `the server process ${server} ended`);
    assert.strictEqual(isAlive(pid!), false, `the command process ${pid} ended`);
    const item = api.tree.getTreeItem(await cmdNode());
    assert.strictEqual(item.contextValue, 'mount.command.reloadable.stopped');
    assert.strictEqual(item.description, '/cmd → node server.js · not started');
  });
});
