/** Every agent tool, in the order a client lists them: reading ones first, then control. */
import type { AgentTool } from '../tool';
import { restartMount, start, stop } from './control';
import { fetchTool } from './fetch';
import { getLogs } from './getLogs';
import { getProblems } from './getProblems';
import { listMounts } from './listMounts';

export const AGENT_TOOLS: readonly AgentTool[] = [listMounts, getLogs, fetchTool, getProblems, restartMount, start, stop];

export { ToolError, type AgentTool } from '../tool';
export type { AgentEngine, AgentWorkspace } from '../workspace';
