/** Mounts as the agent tools name and describe them. */
import * as z from 'zod';
import { describeTarget, type MountInfo } from '../engine/index';
import { ToolError } from './tool';
import type { AgentWorkspace } from './workspace';

export const mountRow = z.object({
  id: z.string().describe('host and prefix: unique in the workspace'),
  name: z.string(),
  kind: z.string().describe('module, static, proxy, command, wsgi or asgi'),
  prefix: z.string(),
  host: z.string().optional().describe('the Host name the mount answers for; absent: any'),
  target: z.string().describe("what it serves: a module file, a folder, a proxy's URL, a command line"),
  state: z.string().describe('starting, ready, idle, error, stopped or refused'),
  reason: z.string().optional().describe("why the app is in error, or what it waits for"),
  detail: z.string().optional().describe("more detail, e.g. a command's last output lines"),
  url: z.string().optional().describe('where a browser reaches it while serving'),
  pid: z.number().int().optional().describe("the process id of a command's or Python app's process"),
  port: z.number().int().optional().describe('the port that process listens on'),
  requests: z.number().int(),
  lastError: z.string().optional().describe('the last error a request to it met'),
});

export function describeMount(mount: MountInfo): z.input<typeof mountRow> {
  const { spec, status } = mount;
  return {
    id: mount.id,
    name: spec.name,
    kind: spec.kind,
    prefix: spec.prefix,
    ...(spec.host === undefined ? {} : { host: spec.host }),
    target: describeTarget(spec),
    state: status.state,
    ...(status.reason === undefined ? {} : { reason: status.reason }),
    ...(status.detail === undefined ? {} : { detail: status.detail }),
    ...(mount.url === undefined ? {} : { url: mount.url }),
    ...(status.pid === undefined ? {} : { pid: status.pid }),
    ...(status.port === undefined ? {} : { port: status.port }),
    requests: mount.requests,
    ...(mount.lastError === undefined ? {} : { lastError: mount.lastError }),
  };
}

/** The mount an agent named: by its name, its id (`host/prefix`) or its prefix. */
export function findMount(workspace: AgentWorkspace, name: string): MountInfo {
  const mounts = workspace.engine.mounts();
  const found = mounts.find((mount) => mount.spec.name === name) ?? mounts.find((mount) => mount.id === name) ?? mounts.find((mount) => mount.spec.prefix === name);
  if (found) return found;
  const known = mounts.map((mount) => `"${mount.spec.name}" (${mount.id})`).join(', ');
  throw new ToolError(`no mount named "${name}" in ${workspace.engine.configFile}; ${known ? `its mounts are ${known}` : 'it has no mounts'}`);
}
