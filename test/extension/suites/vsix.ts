// Entry of the packaged-extension smoke suite (workspace: basic; the runner installs mounts.vsix).
import * as path from 'node:path';
import { runMocha } from '../mocha';

export function run(): Promise<void> {
  return runMocha(path.join(__dirname, '..', 'vsix'), ['smoke.test.js']);
}
