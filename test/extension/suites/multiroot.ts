// Entry of the multi-root suites (workspace: multi-root/multi.code-workspace). The picker runs
// first, while no folder has been started and gamma has no mounts.json yet.
import * as path from 'node:path';
import { runMocha } from '../mocha';

export function run(): Promise<void> {
  return runMocha(path.join(__dirname, '..', 'multiroot'), ['picker.test.js', 'multiroot.test.js']);
}
