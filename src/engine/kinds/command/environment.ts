/** The environment a command's process starts with. */
import type { CommandMountSpec } from '../../spec';
import { trustEnvironment, type ChildTrust } from '../../tls/childTrust';

export const LOOPBACK = '127.0.0.1';

/**
 * The engine's environment, the local CA's files while serving HTTPS, the mount's own `env`, then
 * what Mounts promises every command: PORT, HOST and MOUNT_PREFIX (the prefix as in Express's
 * `req.baseUrl`: '/app', and '' for the catch-all).
 */
export function commandEnvironment(spec: CommandMountSpec, port: number, trust: ChildTrust | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    // The editor's own switch that turns Electron into Node must not leak into the user's tools.
    if (value !== undefined && name !== 'ELECTRON_RUN_AS_NODE') env[name] = value;
  }
  return {
    ...env,
    // The mount's own env comes after: a mount that names its own CA files keeps them.
    ...(trust ? trustEnvironment(trust) : {}),
    ...spec.env,
    PORT: String(port),
    HOST: LOOPBACK,
    MOUNT_PREFIX: spec.prefix === '/' ? '' : spec.prefix,
  };
}
