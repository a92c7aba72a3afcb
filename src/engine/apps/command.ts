/** Command mounts: placeholder until the command kind lands (issue 4). */
import type { CommandMountSpec } from '../spec';
import type { AppFactory } from './app';

export const createCommandApp: AppFactory<CommandMountSpec> = async (spec) => {
  throw new Error(`mount "${spec.name}": command mounts are not available yet.`);
};
