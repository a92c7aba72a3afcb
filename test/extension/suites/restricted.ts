// Entry of the Restricted Mode suite (workspace: basic, opened untrusted with the runner's --restricted).
import * as path from 'node:path';
import { runMocha } from '../mocha';

export function run(): Promise<void> {
  return runMocha(path.join(__dirname, '..', 'restricted'), ['restricted.test.js']);
}
