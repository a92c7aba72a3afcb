/**
 * What checking a mounts.json of a given size costs: the time and memory of `parseConfig` on a
 * generated config of about 1, 4 and 16 MiB of static mounts. It sizes the cap `configFile.ts`
 * puts on the file (every save under --watch pays this once).
 * Run: `npx tsc -p . && node --expose-gc out/bench/configSize.js`
 */
import { parseConfig } from '../src/engine/config';

function configOf(mebibytes: number): { text: string; mounts: number } {
  const mounts: object[] = [];
  for (let i = 0; ; i++) {
    mounts.push({ prefix: `/app${i}`, name: `app number ${i}`, static: `site/folder${i}`, spa: true });
    if (i % 1000 !== 0) continue;
    const text = JSON.stringify({ mounts }, null, 2);
    if (text.length >= mebibytes * 1024 * 1024) return { text, mounts: mounts.length };
  }
}

const collect = (globalThis as { gc?: () => void }).gc;
if (!collect) throw new Error('run with node --expose-gc');
for (const mebibytes of [1, 4, 16]) {
  const { text, mounts } = configOf(mebibytes);
  collect();
  const before = process.memoryUsage().rss;
  const started = process.hrtime.bigint();
  const { problems } = parseConfig(text, '/tmp/bench/mounts.json');
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const grown = (process.memoryUsage().rss - before) / (1024 * 1024);
  console.log(`${(text.length / (1024 * 1024)).toFixed(1)} MiB, ${mounts} mounts: ${ms.toFixed(0)} ms, RSS +${grown.toFixed(0)} MiB, ${problems.length} problems`);
}
