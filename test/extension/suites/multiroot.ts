// Entry of the multi-root suite (workspace: multi-root/multi.code-workspace).
import * as path from 'node:path';
import { runMocha } from '../mocha';

export function run(): Promise<void> {
  return runMocha(path.join(__dirname, '..', 'multiroot'), ['multiroot.test.js']);
}
