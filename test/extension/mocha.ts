/** Runs mocha test files inside the extension host, the way @vscode/test-electron suites do. */
import * as path from 'node:path';

// mocha 12 is an ES module; Node 20's require() gives its namespace, whose default is Mocha.
 
const mochaModule = require('mocha');
const Mocha: typeof import('mocha') = mochaModule.default ?? mochaModule;

/** Resolves when every test passed; rejects with the failure count otherwise. Files run in order. */
export function runMocha(dir: string, files: string[], options: Mocha.MochaOptions = {}): Promise<void> {
  // A skipped test is not a pass: a host missing what a test needs must fail the run.
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 20_000, forbidPending: true, ...options });
  for (const file of files) mocha.addFile(path.resolve(dir, file));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} test(s) failed`)) : resolve()));
  });
}
