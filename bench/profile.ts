/**
 * `node out/bench/profile.js FILE.cpuprofile [N]`: the N functions with the most self time in a
 * V8 CPU profile (from `npm run bench -- --cpu-prof DIR`), with their share of the samples, and the
 * same grouped by file, so a missed target can say where the time goes.
 */
import * as fs from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
}

function summarize(file: string, top: number): string {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = byId.get(id)!.callFrame;
    const where = frame.url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '~/').replace(/^.*\/out\//, '');
    const fn = `${frame.functionName || '(anonymous)'} ${where ? `${where}:${frame.lineNumber + 1}` : ''}`.trim();
    functions.set(fn, (functions.get(fn) ?? 0) + 1);
    const group = where === '' ? frame.functionName : where.startsWith('node:') ? 'node internals' : where;
    files.set(group, (files.get(group) ?? 0) + 1);
  }
  const total = profile.samples.length;
  const table = (counts: Map<string, number>) =>
    [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, count]) => `${((count / total) * 100).toFixed(1).padStart(5)} %  ${name}`)
      .join('\n');
  return `${file}: ${total} samples\n\nself time by function:\n${table(functions)}\n\nself time by file:\n${table(files)}\n`;
}

const [file, top = '25'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node out/bench/profile.js FILE.cpuprofile [N]\n');
  process.exit(64);
}
process.stdout.write(summarize(file, Number(top)));
