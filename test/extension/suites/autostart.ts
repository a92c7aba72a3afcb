// Entry of the autoStart suite (workspace: basic; user settings: mounts.autoStart true).
import * as path from 'node:path';
import { runMocha } from '../mocha';

export function run(): Promise<void> {
  return runMocha(path.join(__dirname, '..', 'autostart'), ['autostart.test.js', 'python.test.js']);
}
