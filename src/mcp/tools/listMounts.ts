import * as z from 'zod';
import { describeMount, mountRow } from '../mounts';
import { defineTool } from '../tool';
import type { AgentWorkspace } from '../workspace';

export const serverState = z.object({
  configFile: z.string().describe('the mounts.json served'),
  state: z.string().describe('stopped, starting, started or stopping'),
  url: z.string().optional().describe("the server's root URL while started"),
  lastError: z.string().optional().describe('why the last start, reload or stop failed'),
  note: z.string().optional().describe('how this server differs from what mounts.json asks for'),
});

/** The server's state as every tool that changes it answers. */
export function describeServer(workspace: AgentWorkspace): z.input<typeof serverState> {
  const { engine } = workspace;
  const note = workspace.note?.();
  return {
    configFile: engine.configFile,
    state: engine.state,
    ...(engine.url === undefined ? {} : { url: engine.url }),
    ...(engine.lastError === undefined ? {} : { lastError: engine.lastError }),
    ...(note === undefined ? {} : { note }),
  };
}

export const listMounts = defineTool({
  name: 'list_mounts',
  title: 'List mounts',
  description:
    "Lists the apps the workspace's Mounts server serves (from mounts.json): for each its name, kind, URL prefix, host, " +
    "what it serves, its state (ready, error, ...), its URL, the process id and port of a command or Python app, its " +
    "request count and the last error a request met; and the server's own state and root URL. Use it first to learn " +
    'which apps exist and where they are, and after a change to see whether an app is serving.',
  input: z.object({}),
  output: serverState.extend({ mounts: z.array(mountRow) }),
  control: false,
  run: async (workspace) => ({ ...describeServer(workspace), mounts: workspace.engine.mounts().map(describeMount) }),
});
