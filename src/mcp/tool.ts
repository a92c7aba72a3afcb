/**
 * One agent tool: its name, what it is for (written for a model), its input and output as zod
 * schemas (the MCP SDK and the editor both take JSON Schema made from them), and what it does. A
 * tool that cannot do what it was asked throws a ToolError whose message says why and what to do.
 */
import * as z from 'zod';
import type { AgentWorkspace } from './workspace';

export class ToolError extends Error {
  override readonly name = 'ToolError';
}

interface ToolDescription<I extends z.ZodObject> {
  /** As MCP names it (`list_mounts`); the editor's name adds `mounts_` before it. */
  readonly name: string;
  readonly title: string;
  /** For the model: what the tool does, when to use it and what it answers. */
  readonly description: string;
  readonly input: I;
  readonly output: z.ZodObject;
  /** Starts, stops or restarts something: off in `mounts mcp` unless --allow-control, confirmed in the editor. */
  readonly control: boolean;
  /** For control tools: what the editor asks the user before the call. */
  readonly confirmation?: string;
}

export interface AgentTool extends ToolDescription<z.ZodObject> {
  /** Checks `input` against the tool's schema, then does the work; rejects with a ToolError. */
  call(workspace: AgentWorkspace, input: unknown): Promise<Record<string, unknown>>;
}

/**
 * A tool whose `run` is typed by its own schemas; the table holds them all as AgentTool. The
 * input is checked here too, not only by the MCP SDK: the editor passes what the model wrote as is.
 */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(
  tool: ToolDescription<I> & { readonly output: O; run(workspace: AgentWorkspace, input: z.output<I>): Promise<z.input<O>> },
): AgentTool {
  const { run, ...description } = tool;
  return {
    ...description,
    call: async (workspace, input) => {
      const parsed = tool.input.safeParse(input ?? {});
      if (!parsed.success) throw new ToolError(`invalid input for ${tool.name}: ${z.prettifyError(parsed.error)}`);
      return run(workspace, parsed.data);
    },
  };
}
