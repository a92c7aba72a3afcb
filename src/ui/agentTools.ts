/**
 * The agent tools (src/mcp/tools) as VS Code language model tools, answering from each folder's
 * engine process; and, where the editor takes MCP server definitions (1.101 and later), `mounts
 * mcp` for each folder, for agents that speak MCP. Both APIs are looked up at run time: the
 * extension runs on 1.100, whose types it builds against, and on editors without them.
 *
 * Tools that start, stop or restart something ask the user first (prepareInvocation's
 * confirmation); the MCP servers offered here run with --allow-control for the same reason: the
 * editor confirms each MCP tool call itself.
 */
import * as vscode from 'vscode';
import { errorMessage } from '../engineProcess/client';
import { AGENT_TOOLS, type AgentTool, type AgentWorkspace } from '../mcp/tools/index';
import { Disposable } from './dispose';
import type { MountsFolder, MountsFolders } from './folders';
import { nodeRuntime } from './settings';

/** The editor's name of a tool: tool names are global to the editor, so they carry the extension's. */
export const toolName = (tool: AgentTool): string => `mounts_${tool.name}`;

/** Every tool takes `folder` besides its own input: a multi-root workspace serves one engine per folder. */
export type ToolInput = { readonly folder?: string } & Record<string, unknown>;

export class AgentTools extends Disposable {
  /** What is registered under each name: the API gives it to the tests, which cannot answer a confirmation. */
  readonly registered = new Map<string, vscode.LanguageModelTool<ToolInput>>();
  /** The MCP servers offered, as the editor gets them; undefined where the editor has no MCP API. */
  mcpServers: (() => Promise<McpStdioServerDefinition[]>) | undefined;

  constructor(
    private readonly folders: MountsFolders,
    /** dist/cli.js of the installed extension. */
    private readonly cli: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    // Absent in an editor without language model support: the tree and commands work the same.
    if (typeof vscode.lm?.registerTool === 'function') {
      for (const tool of AGENT_TOOLS) {
        const implementation = this.implement(tool);
        this.registered.set(toolName(tool), implementation);
        this._register(vscode.lm.registerTool(toolName(tool), implementation));
      }
    }
    this.offerMcpServers();
  }

  private implement(tool: AgentTool): vscode.LanguageModelTool<ToolInput> {
    return {
      prepareInvocation: (options) => {
        const where = this.folderName(options.input.folder);
        if (!tool.control) return { invocationMessage: `Mounts: ${tool.title.toLowerCase()}${where}` };
        const subject = typeof options.input.mount === 'string' ? ` "${options.input.mount}"` : '';
        return {
          invocationMessage: `Mounts: ${tool.title.toLowerCase()}${subject}${where}`,
          confirmationMessages: { title: `Mounts: ${tool.title}${subject}${where}?`, message: tool.confirmation ?? tool.description },
        };
      },
      invoke: async (options) => {
        const { folder, ...input } = options.input;
        const result = await tool.call(workspaceOf(this.pick(folder)), input);
        return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(JSON.stringify(result))]);
      },
    };
  }

  /** The folder a call names, or the only one there is; an error tells the model which there are. */
  private pick(name: string | undefined): MountsFolder {
    const all = this.folders.list();
    const names = all.map((entry) => `"${entry.folder.name}"`).join(', ');
    if (name !== undefined) {
      const found = all.find((entry) => entry.folder.name === name);
      if (found) return found;
      throw new Error(`no workspace folder "${name}" has a mounts.json; ${all.length ? `those that do: ${names}` : 'none does'}`);
    }
    if (all.length === 1) return all[0];
    throw new Error(all.length ? `this workspace has ${all.length} folders with a mounts.json (${names}): give one as \`folder\`` : 'no workspace folder has a mounts.json');
  }

  private folderName(name: string | undefined): string {
    return name !== undefined && this.folders.list().length > 1 ? ` (${name})` : '';
  }

  /** `mounts mcp FOLDER --allow-control` for each served folder, run by the Node that runs its engine. */
  private offerMcpServers(): void {
    const lm = vscode.lm as Partial<McpApi> | undefined;
    const Definition = (vscode as Partial<McpClasses>).McpStdioServerDefinition;
    if (typeof lm?.registerMcpServerDefinitionProvider !== 'function' || !Definition) return;
    const changed = this._register(new vscode.EventEmitter<void>());
    this._register(this.folders.onDidChangeFolders(() => changed.fire()));
    const provide = () =>
      Promise.all(
        this.folders.list().map(async (entry) => {
          const runtime = await nodeRuntime(entry.folder);
          const definition = new Definition(`Mounts: ${entry.folder.name}`, runtime.execPath, [this.cli, 'mcp', entry.configUri.fsPath, '--allow-control'], { ...runtime.env });
          definition.cwd = entry.folder.uri;
          return definition;
        }),
      );
    try {
      this._register(lm.registerMcpServerDefinitionProvider('mounts.mcp', { onDidChangeMcpServerDefinitions: changed.event, provideMcpServerDefinitions: provide }));
      this.mcpServers = provide;
    } catch (error) {
      // VS Code 1.100 has the function before its release, and refuses a provider not declared under
      // a contribution point later renamed: there, agents use the language model tools only.
      this.log.info(`MCP server definitions are not offered in VS Code ${vscode.version}: ${errorMessage(error)}`);
    }
  }
}

function workspaceOf(entry: MountsFolder): AgentWorkspace {
  return { engine: entry.engine, log: entry.engine.recentLog };
}

// VS Code 1.101's MCP API, declared here: the extension builds against the 1.100 types.
export interface McpStdioServerDefinition {
  readonly label: string;
  readonly command: string;
  readonly args: string[];
  readonly env: Record<string, string | number | null>;
  cwd?: vscode.Uri;
}
interface McpClasses {
  McpStdioServerDefinition: new (label: string, command: string, args?: string[], env?: Record<string, string | number | null>, version?: string) => McpStdioServerDefinition;
}
interface McpApi {
  registerMcpServerDefinitionProvider(
    id: string,
    provider: {
      readonly onDidChangeMcpServerDefinitions?: vscode.Event<void>;
      provideMcpServerDefinitions(token: vscode.CancellationToken): vscode.ProviderResult<McpStdioServerDefinition[]>;
    },
  ): vscode.Disposable;
}
