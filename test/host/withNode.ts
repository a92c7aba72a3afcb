/**
 * Runs a command with the pinned Node 24 (installed from npm into `.vscode-test/` when missing)
 * first on PATH, so that `node`, npm scripts and every `#!/usr/bin/env node` under it run on Node 24
 * instead of the machine's Node. Exits with the command's code.
 *
 *   node out/test/host/withNode.js 24 npm run test:engine
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { NODE_24 } from './hosts';
import { defaultProjectRoot } from './install';
import { installNode } from './node';

const PINNED: Record<string, string> = { '24': NODE_24 };

async function main(argv: string[]): Promise<number> {
  const [major, command, ...args] = argv;
  const version = PINNED[major ?? ''];
  if (version === undefined || command === undefined) {
    process.stderr.write(`usage: withNode.js <${Object.keys(PINNED).join('|')}> <command> [args...]\n`);
    return 2;
  }
  const node = await installNode(version, defaultProjectRoot(), (line) => process.stderr.write(`${line}\n`));
  process.stderr.write(`Node v${version}: ${[command, ...args].join(' ')}\n`);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${path.dirname(node.binary)}${path.delimiter}${process.env.PATH ?? ''}` };
  // npm's script variables point at the machine's Node; the command's own npm sets them afresh.
  delete env.npm_node_execpath;
  delete env.NODE;
  const child = spawn(command, args, { env, stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  },
);
