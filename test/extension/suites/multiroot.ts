// Entry of the multi-root suites (workspace: multi-root/multi.code-workspace). The picker runs
// first, while no folder has been started and gamma has no mounts.json yet (the agent tools too).
import * as path from 'node:path';
import { runMocha } from '../mocha';

export function run(): Promise<void> {
  return runMocha(path.join(__dirname, '..', 'multiroot'), ['picker.test.js', 'agentTools.test.js', 'multiroot.test.js']);
}
