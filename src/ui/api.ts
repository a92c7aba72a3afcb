/**
 * The API `activate()` returns, for other extensions and for the tests:
 *
 *   const api = vscode.extensions.getExtension<MountsApi>('mounts-dev.mounts')!.exports;
 *   api.state();                        // 'serving' — of the first folder, or of `folder`
 *   api.urlOf('/blog');                 // 'http://localhost:8080/blog/' while serving
 *   api.onDidChangeState(({ folder, state }) => ...);
 *   api.recentLog();                    // ['[info] [blog] listening on 40123', ...]
 *   api.engines()[0].engine.pid;        // the folder's engine process, where its apps run
 *
 * URLs are the server's own (loopback); `mounts.copyUrl` gives the browser's (port-forwarded) one.
 */
import type * as vscode from 'vscode';
import type { MountInfo } from '../engine/index';
import type { EngineClient } from '../engineProcess/client';
import type { AgentTools } from './agentTools';
import type { MountsFolders } from './folders';
import type { StatusModel } from './statusBar';
import type { FolderState } from './state';
import type { MountsTreeProvider } from './tree';

export interface MountsStateChange {
  readonly folder: vscode.Uri;
  readonly state: FolderState;
}

export interface MountsApi {
  readonly version: 1;
  /**
   * Workspace folders that have a config, each with its engine as the editor sees it: the client of
   * the folder's engine process (state, mounts, problems, port, the process's pid and Node).
   */
  engines(): { readonly folder: vscode.Uri; readonly configFile: vscode.Uri; readonly engine: EngineClient }[];
  /** The state of `folder`'s server (default: the first folder with a config); undefined without one. */
  state(folder?: vscode.Uri): FolderState | undefined;
  /** The mounts of `folder` (default: the first) with their live status. */
  mounts(folder?: vscode.Uri): MountInfo[];
  /** The server's URL of a mount (`MountInfo.id`, e.g. `/blog`) while serving. */
  urlOf(mountId: string, folder?: vscode.Uri): string | undefined;
  /** Fires when a folder's server changes state (including a failed start: 'error'). */
  readonly onDidChangeState: vscode.Event<MountsStateChange>;
  /** Stops every server; what `deactivate()` returns. Resolves when every port is free. */
  stopAll(): Promise<void>;
  /** The tree view's data, as the view shows it. */
  readonly tree: MountsTreeProvider;
  /** What the status bar item shows now. */
  statusBar(): StatusModel;
  /**
   * The last messages (at most 500) the "Mounts" log channel wrote, oldest first: the level, then
   * the message as the channel shows it, e.g. `[info] [cmd] listening on 40123` for a line a
   * command mount named `cmd` printed. A copy; for reading only.
   */
  recentLog(): readonly string[];
  /**
   * The agent tools as registered with `vscode.lm.registerTool` (empty where the editor has none),
   * and the `mounts mcp` servers offered to the editor (undefined before VS Code 1.101). The tests
   * call a control tool's implementation here: through `vscode.lm.invokeTool` it first asks the
   * user in a modal dialog, which a test cannot answer.
   */
  readonly agentTools: Pick<AgentTools, 'registered' | 'mcpServers'>;
}

export function createApi(
  folders: MountsFolders,
  tree: MountsTreeProvider,
  statusBar: () => StatusModel,
  log: { recentLog(): readonly string[] },
  agentTools: AgentTools,
): MountsApi {
  const onDidChangeState: vscode.Event<MountsStateChange> = (listener, thisArgs, disposables) =>
    folders.onDidChangeState((f) => listener.call(thisArgs, { folder: f.folder.uri, state: f.state }), undefined, disposables);
  const find = (folder?: vscode.Uri) => (folder ? folders.get(folder) : folders.list()[0]);
  return {
    version: 1,
    engines: () => folders.list().map((f) => ({ folder: f.folder.uri, configFile: f.configUri, engine: f.engine })),
    state: (folder) => find(folder)?.state,
    mounts: (folder) => find(folder)?.engine.mounts() ?? [],
    urlOf: (mountId, folder) => {
      const engine = find(folder)?.engine;
      const mount = engine?.mounts().find((candidate) => candidate.id === mountId);
      return mount && engine?.urlOf(mount.spec);
    },
    onDidChangeState,
    stopAll: () => folders.stopAll(),
    tree,
    statusBar,
    recentLog: () => log.recentLog(),
    agentTools,
  };
}
