/** Runs mocha test files inside the extension host, the way @vscode/test-electron suites do. */
import * as fs from 'node:fs';
import * as path from 'node:path';

// mocha 12 is an ES module; Node 20's require() gives its namespace, whose default is Mocha.
 
const mochaModule = require('mocha');
const Mocha: typeof import('mocha') = mochaModule.default ?? mochaModule;

/**
 * Resolves when every test passed; rejects with the failure count otherwise. Files run in order.
 * The list is checked against the folder, so a new test file that nobody listed fails the run
 * instead of silently never running.
 */
export function runMocha(dir: string, files: string[], options: Mocha.MochaOptions = {}): Promise<void> {
  const present = fs.readdirSync(dir).filter((name) => name.endsWith('.test.js'));
  const unlisted = present.filter((name) => !files.includes(name));
  const missing = files.filter((name) => !present.includes(name));
  if (unlisted.length || missing.length) {
    return Promise.reject(
      new Error(`the suite list of ${dir} does not match the folder:${unlisted.length ? ` not listed (would never run): ${unlisted.join(', ')};` : ''}${missing.length ? ` listed but absent: ${missing.join(', ')}` : ''}`),
    );
  }
  // A skipped test is not a pass: a host missing what a test needs must fail the run.
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 20_000, forbidPending: true, ...options });
  for (const file of files) mocha.addFile(path.resolve(dir, file));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} test(s) failed`)) : resolve()));
  });
}
