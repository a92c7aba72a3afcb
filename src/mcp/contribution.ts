/**
 * The agent tools as package.json declares them to VS Code (`contributes.languageModelTools`),
 * made from the same table and schemas the MCP server serves. VS Code reads them from the manifest,
 * before any code runs, so they are written there; test/engine/agent-tools-manifest.test.ts fails
 * when the two differ, and prints what package.json should say.
 */
import * as z from 'zod';
import { AGENT_TOOLS, type AgentTool } from './tools/index';

export interface ToolContribution {
  readonly name: string;
  readonly displayName: string;
  readonly toolReferenceName: string;
  readonly canBeReferencedInPrompt: boolean;
  readonly userDescription: string;
  readonly modelDescription: string;
  readonly tags: readonly string[];
  readonly inputSchema: object;
}

export function languageModelTools(): ToolContribution[] {
  return AGENT_TOOLS.map(contribution);
}

function contribution(tool: AgentTool): ToolContribution {
  const { $schema: _schema, ...input } = z.toJSONSchema(tool.input.extend({ folder: FOLDER }), { io: 'input' });
  return {
    name: `mounts_${tool.name}`,
    displayName: `Mounts: ${tool.title}`,
    toolReferenceName: `mounts_${tool.name}`,
    canBeReferencedInPrompt: true,
    userDescription: tool.title,
    modelDescription: tool.description,
    tags: tool.control ? ['mounts', 'control'] : ['mounts'],
    inputSchema: input,
  };
}

/** In the editor, every tool also takes the workspace folder (a multi-root workspace serves one engine per folder). */
const FOLDER = z.string().min(1).optional().describe('the workspace folder by name; needed only when several folders have a mounts.json');
