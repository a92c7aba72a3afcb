import * as z from 'zod';
import { errorMessage } from '../../engine/index';
import { describeMount, findMount, mountRow } from '../mounts';
import { defineTool, ToolError } from '../tool';
import type { AgentWorkspace } from '../workspace';
import { describeServer, serverState } from './listMounts';

/** What a start or stop answers: the server's state, and its mounts when it serves. */
const serverWithMounts = serverState.extend({ mounts: z.array(mountRow) });

function answer(workspace: AgentWorkspace): z.input<typeof serverWithMounts> {
  return { ...describeServer(workspace), mounts: workspace.engine.mounts().map(describeMount) };
}

export const restartMount = defineTool({
  name: 'restart_mount',
  title: 'Restart an app',
  description:
    "Restarts one app of the workspace's Mounts server: a module app reloads its code, a command or Python app's " +
    'process restarts. Answers the mount as it is afterwards. Static folders and proxies have nothing to restart.',
  input: z.object({ mount: z.string().min(1).describe('the mount by name, id or prefix') }),
  output: z.object({ mount: mountRow }),
  control: true,
  confirmation: "A module app reloads its code; a command's or Python app's process restarts, and requests wait until it is ready again.",
  run: async (workspace, input) => {
    const mount = findMount(workspace, input.mount);
    if (workspace.engine.state !== 'started') throw new ToolError(`the server is ${workspace.engine.state}: start it first`);
    try {
      await workspace.engine.reloadApp(mount.id);
    } catch (error) {
      throw new ToolError(`restarting "${mount.spec.name}" failed: ${errorMessage(error)}`);
    }
    return { mount: describeMount(findMount(workspace, mount.id)) };
  },
});

export const start = defineTool({
  name: 'start',
  title: 'Start the server',
  description:
    "Starts the workspace's Mounts server with mounts.json as it is now (nothing happens when it already serves). " +
    'Answers the state and mounts; when it could not start, says why (see also get_problems).',
  input: z.object({}),
  output: serverWithMounts,
  control: true,
  confirmation: 'The server listens on its port and runs the apps of mounts.json, commands and module code included.',
  run: async (workspace) => {
    try {
      await workspace.engine.start();
    } catch (error) {
      throw new ToolError(`the server could not start: ${errorMessage(error)}`);
    }
    return answer(workspace);
  },
});

export const stop = defineTool({
  name: 'stop',
  title: 'Stop the server',
  description: "Stops the workspace's Mounts server: every app and process it runs ends and its port is free. Answers the state.",
  input: z.object({}),
  output: serverWithMounts,
  control: true,
  confirmation: 'Every app the server runs ends, and its pages stop answering until it starts again.',
  run: async (workspace) => {
    try {
      await workspace.engine.stop();
    } catch (error) {
      throw new ToolError(`stopping failed: ${errorMessage(error)}`);
    }
    return answer(workspace);
  },
});
