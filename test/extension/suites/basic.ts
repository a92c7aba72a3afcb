// Entry of the single-folder suites (workspace: test/fixtures/workspaces/basic). Order matters:
// the closed-config diagnostics run before any suite opens mounts.json, deactivation runs last.
import * as path from 'node:path';
import { runMocha } from '../mocha';

export function run(): Promise<void> {
  return runMocha(path.join(__dirname, '..', 'basic'), [
    'activation.test.js',
    'closedConfig.test.js',
    'serve.test.js',
    'engineProcess.test.js',
    'statusBar.test.js',
    'contextKeys.test.js',
    'accessLog.test.js',
    'commands.test.js',
    'command.test.js',
    'edit.test.js',
    'port.test.js',
    'export.test.js',
    'preview.test.js',
    'python.test.js',
    'agentTools.test.js',
    'deactivate.test.js',
  ]);
}
