/**
 * The agent tools as an MCP server (the official SDK's McpServer): each tool with its JSON-schema'd
 * input and output, answering structured content and the same as JSON text for clients that read
 * only text; mounts.json as a resource. Control tools answer a refusal unless `allowControl`.
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AGENT_TOOLS, ToolError, type AgentTool, type AgentWorkspace } from './tools/index';

export interface McpServerOptions {
  /** `--allow-control`: restart_mount, start and stop do what they say instead of refusing. */
  readonly allowControl: boolean;
  readonly version: string;
}

const INSTRUCTIONS =
  'Mounts serves the apps of one workspace (Node modules, static folders, proxies, commands, Python apps) at URL ' +
  "prefixes of one local server, as its mounts.json says. Call list_mounts to see them, get_logs for what they printed " +
  'or threw, fetch to request a path from the server, get_problems after editing mounts.json.';

export function createMcpServer(workspace: AgentWorkspace, options: McpServerOptions): McpServer {
  const server = new McpServer({ name: 'mounts', title: 'Mounts', version: options.version }, { instructions: INSTRUCTIONS });
  for (const tool of AGENT_TOOLS) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        outputSchema: tool.output,
        annotations: { readOnlyHint: !tool.control, destructiveHint: tool.control, idempotentHint: !tool.control, openWorldHint: false },
      },
      (input) => callTool(tool, workspace, input, options),
    );
  }
  const configFile = workspace.engine.configFile;
  server.registerResource(
    'mounts.json',
    pathToFileURL(configFile).href,
    { title: 'mounts.json', description: 'The config file of the workspace: which app is mounted where (JSON with comments).', mimeType: 'application/json' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: await readFile(configFile, 'utf8') }] }),
  );
  return server;
}

async function callTool(tool: AgentTool, workspace: AgentWorkspace, input: unknown, options: McpServerOptions): Promise<CallToolResult> {
  if (tool.control && !options.allowControl) {
    return refusal(`${tool.name} is turned off: this server was started without --allow-control, so agents cannot start, stop or restart apps. Ask the user to run \`mounts mcp --allow-control\` if they want that.`);
  }
  try {
    const result = await tool.call(workspace, input);
    return { content: [{ type: 'text', text: JSON.stringify(result, null, 2) }], structuredContent: result };
  } catch (error) {
    // Anything else is a bug of ours: the SDK still answers it as a tool error, with its message.
    if (error instanceof ToolError) return refusal(error.message);
    throw error;
  }
}

function refusal(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}
