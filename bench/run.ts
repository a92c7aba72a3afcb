/**
 * `npm run bench [-- --duration S --rounds N --only group,group --requests N --cycles N --cpu-prof DIR]`
 * `npm run bench:smoke`: every configuration for about a second, one round, no targets enforced.
 *
 * Starts each configuration in its own process, drives it with wrk (or `ws` clients) pinned to
 * another core than the servers, interleaves the rounds (every configuration once per round, in a
 * rotating order) and prints one table of medians, min-max and ratios to each group's baseline,
 * with PASS/MISS against the targets of issue 5 and a description of the machine.
 * Exits non-zero only when a configuration fails to run; a missed target is a result, not a failure.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CHILD, LOAD_GROUPS, NAVIGATION, OTHER_GROUPS, type Context, type LoadConfig, type LoadGroup, type Running, type Target } from './configs';
import { rotatingScript, wrk } from './load';
import { pageLoadGroup, pageLoadRows } from './pageLoad';
import { delay, freePort, killAll, lastLines, run, startServer, type Started } from './processes';
import { describeMachine, median, renderTable, row, type Row } from './report';
import { BENCH_PYTHON, createWorkspace, HELLO_BODY, type Workspace } from './workspace';

interface Options {
  readonly smoke: boolean;
  readonly duration: number;
  readonly warmup: number;
  readonly rounds: number;
  readonly only: ReadonlySet<string> | undefined;
  readonly requests: number;
  readonly cycles: number;
  readonly cpuProf: string | undefined;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      smoke: { type: 'boolean', default: false },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      only: { type: 'string' },
      requests: { type: 'string' },
      cycles: { type: 'string' },
      'cpu-prof': { type: 'string' },
    },
  });
  const smoke = values.smoke ?? false;
  const int = (value: string | undefined, fallback: number, name: string) => {
    const n = value === undefined ? fallback : Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${value}"`);
    return n;
  };
  const duration = int(values.duration, smoke ? 1 : 10, 'duration');
  const known = new Set([...LOAD_GROUPS.map((group) => group.id), ...OTHER_GROUPS]);
  const only = values.only === undefined ? undefined : new Set(values.only.split(','));
  for (const id of only ?? []) if (!known.has(id)) throw new Error(`--only: unknown group "${id}"; groups: ${[...known].join(', ')}`);
  return {
    smoke,
    duration,
    // wrk takes whole seconds; a short smoke skips the warm-up.
    warmup: smoke ? 0 : Math.max(1, Math.round(duration / 5)),
    rounds: int(values.rounds, smoke ? 1 : 3, 'rounds'),
    only,
    requests: int(values.requests, smoke ? 10_000 : 1_000_000, 'requests'),
    cycles: int(values.cycles, smoke ? 20 : 1000, 'cycles'),
    cpuProf: values['cpu-prof'] && path.resolve(values['cpu-prof']),
  };
}

/** Samples of one row across rounds, or why it has none. */
class Samples {
  readonly values: number[] = [];
  /** Server CPU µs per request or message, per round (load groups only). */
  readonly cpu: number[] = [];
  error: string | undefined;
  missing: string | undefined;
  note: string | undefined;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const selected = (id: string) => !options.only || options.only.has(id);
  const ws = createWorkspace();
  if (options.cpuProf) fs.mkdirSync(options.cpuProf, { recursive: true });
  const ctx: Context = { ws, engineFlags: options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProf}`] : [] };
  const machineBefore = describeMachine();
  const began = Date.now();
  const samples = new Map<string, Samples>();
  const of = (key: string) => samples.get(key) ?? samples.set(key, new Samples()).get(key)!;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const extra = process.argv.slice(2).filter((arg) => arg !== '--smoke');
  const command = `npm run ${options.smoke ? 'bench:smoke' : 'bench'}${extra.length ? ` -- ${extra.join(' ')}` : ''}`;
  log(`${command}: ${options.rounds} round(s) of ${options.duration} s (+${options.warmup} s warm-up) per configuration`);

  try {
    const groups = LOAD_GROUPS.filter((group) => selected(group.id));
    for (let round = 0; round < options.rounds; round++) {
      for (const group of groups) {
        // Rotate the order each round so no configuration always runs first (or right after another).
        const order = group.configs.map((_, i) => group.configs[(i + round) % group.configs.length]);
        for (const config of order) {
          const row = of(`${group.id}/${config.id}`);
          if (row.error || row.missing) continue;
          row.missing = config.missing?.();
          if (row.missing) continue;
          try {
            const result = await measureLoad(group, config, ctx, options);
            if (typeof result === 'string') row.missing = result;
            else {
              row.values.push(result.rate);
              row.cpu.push(result.cpu);
              if (result.editorCpu !== undefined) of(`editor/${config.id}`).values.push(result.editorCpu);
            }
            log(
              `round ${round + 1} ${group.id}/${config.id}: ${typeof result === 'string' ? `missing (${result})` : `${result.rate.toFixed(0)} ${group.unit}, ${result.cpu.toFixed(1)} µs server CPU each`}`,
            );
          } catch (error) {
            row.error = firstLines(error);
            log(`round ${round + 1} ${group.id}/${config.id}: FAILED ${row.error}`);
          }
        }
      }
      if (selected('lifecycle')) {
        await measureLifecycle(ws, options, of, log);
        await measureClientLifecycle(options, of, log);
      }
    }
    if (selected('python-start')) await measurePythonStart(ws, options, of, log);
    if (selected('rss')) await measureRss(ctx, options, of('rss/engine'), log);
    if (selected('fds')) await measureCycles(ws, options, of('fds/engine'), log);
    if (selected('live-rss')) await measureLiveRss(ctx, options, of('live-rss/engine'), log);
    if (selected('page-load')) await pageLoadGroup(options.rounds * 5, options.smoke, of, log);
  } finally {
    killAll();
    ws.remove();
  }

  const rows = buildRows(samples, options);
  const machine = describeMachine();
  const minutes = ((Date.now() - began) / 60_000).toFixed(1);
  process.stdout.write(
    [
      `Command: ${command}`,
      `Machine: ${machineBefore.summary}`,
      `Load average: ${machineBefore.load} before, ${machine.load} after (${minutes} min)`,
      `Pinning: ${machine.pinning}`,
      '',
      renderTable(rows, !options.smoke),
      '',
    ].join('\n'),
  );
  const failed = rows.filter((row) => row.error);
  if (failed.length) process.stderr.write(`${failed.length} configuration(s) failed to run.\n`);
  return failed.length ? 1 : 0;
}

/** One round of one load configuration: start, check one answer, warm up, measure, stop. */
/**
 * One round of one load configuration: start, check one answer, warm up, measure, stop. Besides the
 * rate it returns the CPU time the server processes (with nginx's workers and any upstream) spent
 * per request: on a shared machine that is far steadier than the rate, which also measures the
 * neighbours.
 */
async function measureLoad(group: LoadGroup, config: LoadConfig, ctx: Context, options: Options): Promise<{ rate: number; cpu: number; editorCpu?: number } | string> {
  const running = await config.start(ctx);
  const pids = running.processes.map((server) => server.child.pid!);
  try {
    if (group.load === 'http') {
      await checkAnswer(running);
      const load = { headers: running.headers, connections: running.connections };
      if (options.warmup) await wrk(running.url, options.warmup, load);
      const before = cpuSeconds(pids);
      const editorBefore = running.editorPid === undefined ? 0 : ownCpuSeconds(running.editorPid);
      const result = await wrk(running.url, options.duration, load);
      const cpu = ((cpuSeconds(pids) - before) / result.requests) * 1e6;
      // Percent of one core over the load: the stand-in's own CPU, not its engine process's.
      const editorCpu = running.editorPid === undefined ? undefined : ((ownCpuSeconds(running.editorPid) - editorBefore) / options.duration) * 100;
      if (result.errors) throw new Error(`wrk: ${result.errors} in ${result.requests} requests`);
      return { rate: result.rate, cpu, editorCpu };
    }
    try {
      // The ws client measures after its own warm-up: take the servers' CPU over its whole run.
      const before = cpuSeconds(pids);
      const out = await run('load', process.execPath, [
        CHILD,
        'wsLoad',
        JSON.stringify({ url: running.url, connections: 64, warmupMs: options.warmup * 1000, durationMs: options.duration * 1000 }),
      ]);
      const used = cpuSeconds(pids) - before;
      const result = JSON.parse(lastLines(out, 1)) as { rate: number; total: number };
      return { rate: result.rate, cpu: (used / result.total) * 1e6 };
    } catch (error) {
      const refused = /upgrade refused: HTTP (\d+)/.exec(String(error));
      if (refused) return `the engine refused the upgrade (HTTP ${refused[1]}): no WebSocket support yet`;
      throw error;
    }
  } finally {
    await stopAll(running.processes);
  }
}

async function stopAll(processes: readonly Started[]): Promise<void> {
  const results = await Promise.allSettled(processes.map((server) => server.stop()));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw (failure as PromiseRejectedResult).reason;
}

/** Refuses to measure a server that answers anything but the expected 200. */
function checkAnswer(running: Running): Promise<void> {
  return new Promise((resolve, reject) => {
    (running.url.startsWith('https:') ? https : http)
      .get(running.url, { agent: false, headers: running.headers, ca: running.ca }, (res) => {
        let length = 0;
        let body = '';
        res.on('data', (chunk: Buffer) => {
          length += chunk.length;
          if (body.length < 200) body += chunk.toString('latin1');
        });
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`GET ${running.url} answered ${res.statusCode}: ${body.slice(0, 200)}`));
          else if (running.expectLength !== undefined && length !== running.expectLength) reject(new Error(`GET ${running.url} sent ${length} bytes, expected ${running.expectLength}`));
          else if (running.expectLength === HELLO_BODY.length && body !== HELLO_BODY) reject(new Error(`GET ${running.url} answered "${body}"`));
          else resolve();
        });
      })
      .on('error', reject);
  });
}

/** Start-to-listening (first start in a fresh process) with 100 module and 100 static mounts, and stop. */
async function measureLifecycle(ws: Workspace, options: Options, of: (key: string) => Samples, log: (line: string) => void): Promise<void> {
  const configs = {
    modules: ws.config('lifecycle-modules', { mounts: Array.from({ length: 100 }, (_, i) => ({ prefix: `/a${i}`, module: `apps/app${i}.js` })) }),
    statics: ws.config('lifecycle-static', { mounts: Array.from({ length: 100 }, (_, i) => ({ prefix: `/s${i}`, static: 'files' })) }),
  };
  const repeats = options.smoke ? 2 : 5;
  for (const [kind, configFile] of Object.entries(configs)) {
    const key = kind === 'modules' ? 'lifecycle/start-modules' : 'lifecycle/start-static';
    if (of(key).error) continue;
    try {
      const out = await run('server', process.execPath, [CHILD, 'lifecycle', JSON.stringify({ configFile, repeats, path: kind === 'modules' ? '/a0/' : '/s0/1k.bin' })]);
      const result = JSON.parse(lastLines(out, 1)) as { coldStart: number; warmStarts: number[]; stops: number[] };
      of(key).values.push(result.coldStart);
      of(`${key}-warm`).values.push(median(result.warmStarts));
      of('lifecycle/stop').values.push(...result.stops);
      log(`lifecycle ${kind}: cold start ${result.coldStart.toFixed(1)} ms, warm ${median(result.warmStarts).toFixed(1)} ms, stop ${median(result.stops).toFixed(1)} ms`);
    } catch (error) {
      of(key).error = firstLines(error);
      log(`lifecycle ${kind}: FAILED ${of(key).error}`);
    }
  }
}

/** Start to ready of the seed's blog as a wsgi mount (Debian's Python, cheroot): reported, no target. */
async function measurePythonStart(ws: Workspace, options: Options, of: (key: string) => Samples, log: (line: string) => void): Promise<void> {
  const configFile = ws.config('python-start', { mounts: [{ prefix: '/blog', wsgi: 'blog:blog', python: BENCH_PYTHON, reload: false }] });
  try {
    const out = await run('server', process.execPath, [CHILD, 'pythonReady', JSON.stringify({ configFile, repeats: options.smoke ? 2 : 5, path: '/blog/' })]);
    const result = JSON.parse(lastLines(out, 1)) as { coldStart: number; warmStarts: number[] };
    of('python/start-blog').values.push(result.coldStart);
    of('python/start-blog-warm').values.push(...result.warmStarts);
    log(`python start: blog cold ${result.coldStart.toFixed(0)} ms, warm ${median(result.warmStarts).toFixed(0)} ms`);
  } catch (error) {
    of('python/start-blog').error = firstLines(error);
    log(`python start: FAILED ${of('python/start-blog').error}`);
  }
}

/**
 * Start and stop through the editor's client: the engine in its own process, serving the demo
 * workspace (examples/demo, on a free port), from the start call until the port answers; stop until
 * the port is free and the process has exited.
 */
async function measureClientLifecycle(options: Options, of: (key: string) => Samples, log: (line: string) => void): Promise<void> {
  if (of('lifecycle/client-start').error) return;
  try {
    const configFile = path.join(__dirname, '..', '..', 'examples', 'demo', 'mounts.json');
    const out = await run('server', process.execPath, [CHILD, 'clientLifecycle', JSON.stringify({ configFile, repeats: options.smoke ? 2 : 5, path: '/' })]);
    const result = JSON.parse(lastLines(out, 1)) as { coldStart: number; warmStarts: number[]; stops: number[] };
    of('lifecycle/client-start').values.push(result.coldStart);
    of('lifecycle/client-start-warm').values.push(median(result.warmStarts));
    of('lifecycle/client-stop').values.push(...result.stops);
    log(`lifecycle client: cold start ${result.coldStart.toFixed(1)} ms, warm ${median(result.warmStarts).toFixed(1)} ms, stop ${median(result.stops).toFixed(1)} ms`);
  } catch (error) {
    of('lifecycle/client-start').error = firstLines(error);
    log(`lifecycle client: FAILED ${of('lifecycle/client-start').error}`);
  }
}

/**
 * RSS of one engine (module, static and proxy mounts, requests rotating among them) over
 * `options.requests` requests, in wrk runs of a few seconds. The reference is the RSS once 10 % of
 * the requests have been served (JIT, buffers and pools are warm); the end must stay within ±10 %.
 */
async function measureRss(ctx: Context, options: Options, row: Samples, log: (line: string) => void): Promise<void> {
  const processes: Started[] = [];
  try {
    const upstream = await startServer(process.execPath, [CHILD, 'bare', JSON.stringify({ handler: ctx.ws.handler })], { readyPattern: /READY (\d+)/ });
    processes.push(upstream);
    const configFile = ctx.ws.config('rss', {
      mounts: [
        { prefix: '/app', module: 'hello.js' },
        { prefix: '/s', static: 'files' },
        { prefix: '/api', proxy: `http://127.0.0.1:${upstream.port}` },
      ],
    });
    const server = await startServer(process.execPath, [...ctx.engineFlags, CHILD, 'engine', JSON.stringify({ configFile })], { readyPattern: /READY (\d+)/ });
    processes.push(server);
    const base = `http://127.0.0.1:${server.port}`;
    for (const pathname of ['/app/hello', '/s/1k.bin', '/api/hello']) await checkAnswer({ url: base + pathname, processes: [] });
    const script = rotatingScript(ctx.ws.dir, ['/app/hello', '/s/1k.bin', '/api/hello']);
    const chunk = options.smoke ? 1 : 5;
    const startRss = rssOf(server.child.pid!);
    let total = 0;
    let warm: number | undefined;
    let peak = 0;
    let chunks = 0;
    while (total < options.requests || chunks < 2) {
      const result = await wrk(base + '/', chunk, { script });
      if (result.errors) throw new Error(`wrk: ${result.errors}`);
      total += result.requests;
      chunks++;
      const rss = rssOf(server.child.pid!);
      peak = Math.max(peak, rss);
      if (warm === undefined && (total >= options.requests / 10 || chunks === 1)) warm = rss;
    }
    const end = rssOf(server.child.pid!);
    const growth = ((end - warm!) / warm!) * 100;
    row.values.push(growth);
    row.note = `${total.toLocaleString('en')} requests: ${mb(startRss)} at start, ${mb(warm!)} warm, ${mb(end)} at end (peak ${mb(peak)})`;
    log(`rss: ${growth.toFixed(1)} % (${row.note})`);
  } catch (error) {
    row.error = firstLines(error);
    log(`rss: FAILED ${row.error}`);
  } finally {
    await stopAll(processes).catch(() => undefined);
  }
}

/** Answers counted by the live reload memory row (smoke: a tenth). */
const LIVE_RSS_ANSWERS = 10_000;

/**
 * RSS of an engine answering a 1 MiB HTML page through a proxy mount with the script injected,
 * over 10 000 answers: the reference is the RSS after the first tenth; the end must stay within ±10 %.
 */
async function measureLiveRss(ctx: Context, options: Options, row: Samples, log: (line: string) => void): Promise<void> {
  const processes: Started[] = [];
  const answers = options.smoke ? LIVE_RSS_ANSWERS / 10 : LIVE_RSS_ANSWERS;
  try {
    const upstream = await startServer(
      process.execPath,
      [CHILD, 'staticFloor', JSON.stringify({ file: path.join(ctx.ws.files, '1m.html'), prefix: '', contentType: 'text/html; charset=utf-8' })],
      { readyPattern: /READY (\d+)/ },
    );
    processes.push(upstream);
    const configFile = ctx.ws.config('live-rss', { mounts: [{ prefix: '/p', proxy: `http://127.0.0.1:${upstream.port}` }] });
    const server = await startServer(process.execPath, [...ctx.engineFlags, CHILD, 'engine', JSON.stringify({ configFile })], { readyPattern: /READY (\d+)/ });
    processes.push(server);
    const url = `http://127.0.0.1:${server.port}/p/1m.html`;
    await checkAnswer({ url, headers: NAVIGATION, processes: [] });
    const startRss = rssOf(server.child.pid!);
    // RSS swings by about ±8 % between garbage collections while 1 MiB pages go through (96-112 MB
    // over 16 000 answers by hand, with no trend), so one reading at each end says more about when
    // the last collection ran than about a leak: each end is the median of its readings (one a second).
    const samples: { total: number; rss: number }[] = [];
    let total = 0;
    while (total < answers) {
      const result = await wrk(url, 1, { headers: NAVIGATION, connections: 8 });
      if (result.errors) throw new Error(`wrk: ${result.errors}`);
      total += result.requests;
      samples.push({ total, rss: rssOf(server.child.pid!) });
    }
    // A short run (the smoke) may have no reading inside a window: then its nearest end stands in.
    const between = (from: number, to: number, nearest: { rss: number }) => {
      const inside = samples.filter((sample) => sample.total > from * total && sample.total <= to * total).map((sample) => sample.rss);
      return inside.length ? inside : [nearest.rss];
    };
    const warm = median(between(0.1, 0.3, samples[0]));
    const end = median(between(0.75, 1, samples[samples.length - 1]));
    const peak = Math.max(...samples.map((sample) => sample.rss));
    const growth = ((end - warm) / warm) * 100;
    row.values.push(growth);
    row.note = `${total.toLocaleString('en')} answers: ${mb(startRss)} at start; median ${mb(warm)} from 10 to 30 % of the answers, ${mb(end)} over the last quarter (peak ${mb(peak)})`;
    log(`live-rss: ${growth.toFixed(1)} % (${row.note})`);
  } catch (error) {
    row.error = firstLines(error);
    log(`live-rss: FAILED ${row.error}`);
  } finally {
    await stopAll(processes).catch(() => undefined);
  }
}

/** `options.cycles` start/request/stop cycles in one process; open fds must not grow. */
async function measureCycles(ws: Workspace, options: Options, row: Samples, log: (line: string) => void): Promise<void> {
  try {
    const upstreamPort = await freePort();
    const configFile = ws.config('cycles', {
      mounts: [
        { prefix: '/app', module: 'hello.js' },
        { prefix: '/s', static: 'files' },
        { prefix: '/api', proxy: `http://127.0.0.1:${upstreamPort}` },
      ],
    });
    const out = await run('server', process.execPath, [
      CHILD,
      'cycles',
      JSON.stringify({ configFile, cycles: options.cycles, paths: ['/app/hello', '/s/1k.bin', '/api/hello'], upstreamHandler: ws.handler, upstreamPort }),
    ]);
    const r = JSON.parse(lastLines(out, 1)) as { cycles: number; warmup: number; fdWarm: number; fdEnd: number; rssWarm: number; rssEnd: number; ms: number };
    row.values.push(r.fdEnd - r.fdWarm);
    row.note = `${r.cycles} cycles (start, 3 requests, stop; ${(r.ms / r.cycles).toFixed(1)} ms each): fds ${r.fdWarm} after ${r.warmup} → ${r.fdEnd}; RSS ${mb(r.rssWarm)} → ${mb(r.rssEnd)}`;
    log(`fds: ${row.note}`);
  } catch (error) {
    row.error = firstLines(error);
    log(`fds: FAILED ${row.error}`);
  }
}

function buildRows(samples: Map<string, Samples>, options: Options): Row[] {
  const rows: Row[] = [];
  const get = (key: string) => samples.get(key);
  for (const group of LOAD_GROUPS) {
    const baseline = get(`${group.id}/${group.baseline}`);
    for (const config of group.configs) {
      const s = get(`${group.id}/${config.id}`);
      if (!s) continue;
      const ratio = s.values.length && baseline?.values.length ? median(s.values) / median(baseline.values) : undefined;
      const cpuRatio = s.cpu.length && baseline?.cpu.length ? median(baseline.cpu) / median(s.cpu) : undefined;
      rows.push({ ...row(group.title, config.label, group.unit, s, group.targets[config.id], config.id === group.baseline ? 1 : ratio), cpu: s.cpu.length ? median(s.cpu) : undefined, cpuRatio });
    }
    for (const comparison of group.comparisons ?? []) {
      const s = get(`${group.id}/${comparison.config}`);
      const over = get(`${group.id}/${comparison.over}`);
      if (!s || !over) continue;
      const ratio = s.values.length && over.values.length ? median(s.values) / median(over.values) : undefined;
      const cpuRatio = s.cpu.length && over.cpu.length ? median(over.cpu) / median(s.cpu) : undefined;
      const missing = over.missing ?? (over.error && `${comparison.over}: ${over.error}`);
      rows.push({ ...row(group.title, comparison.label, group.unit, { ...s, missing: s.missing ?? missing }, comparison.target, ratio), cpu: s.cpu.length ? median(s.cpu) : undefined, cpuRatio });
    }
  }
  const lifecycle: [string, string, Target | undefined][] = [
    ['lifecycle/start-modules', 'start to listening, 100 module mounts (cold)', { kind: 'below', max: 50 }],
    ['lifecycle/start-modules-warm', 'start to listening, 100 module mounts (warm)', undefined],
    ['lifecycle/start-static', 'start to listening, 100 static mounts (cold)', { kind: 'below', max: 50 }],
    ['lifecycle/start-static-warm', 'start to listening, 100 static mounts (warm)', undefined],
    ['lifecycle/stop', 'stop, idle engine (one idle keep-alive connection)', { kind: 'below', max: 50 }],
    ['lifecycle/client-start', 'start through the client, engine process, demo workspace (cold)', { kind: 'below', max: 250 }],
    ['lifecycle/client-start-warm', 'start through the client, engine process, demo workspace (warm)', undefined],
    ['lifecycle/client-stop', 'stop through the client, idle engine process, until exited and the port is free', { kind: 'below', max: 100 }],
    ['python/start-blog', "start to first answer, the seed's blog as a wsgi mount (cold)", undefined],
    ['python/start-blog-warm', "start to first answer, the seed's blog as a wsgi mount (warm)", undefined],
  ];
  for (const [key, label, target] of lifecycle) {
    const s = get(key);
    if (s) rows.push(row('Lifecycle', label, 'ms', s, target));
  }
  for (const config of LOAD_GROUPS.flatMap((group) => group.configs)) {
    const s = get(`editor/${config.id}`);
    if (s) rows.push(row('Editor', `CPU of a plain-Node editor stand-in consuming events: ${config.label}`, '% core', s, { kind: 'below', max: 2 }));
  }
  rows.push(...pageLoadRows(get));
  const rss = get('rss/engine');
  if (rss) rows.push(row('Memory', `RSS growth over ${options.requests.toLocaleString('en')} requests`, '%', rss, { kind: 'within', percent: 10 }));
  const liveRss = get('live-rss/engine');
  if (liveRss) rows.push(row('Memory', `RSS growth over ${LIVE_RSS_ANSWERS.toLocaleString('en')} injected 1 MiB proxied pages`, '%', liveRss, { kind: 'within', percent: 10 }));
  const fds = get('fds/engine');
  if (fds) rows.push(row('Memory', `open fds growth over ${options.cycles.toLocaleString('en')} start/stop cycles`, 'fds', fds, { kind: 'noGrowth' }));
  return rows;
}

/** User + system CPU seconds of `pids` and all their descendants (nginx's workers). */
function cpuSeconds(pids: readonly number[]): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised command name: state ppid ... utime(14) stime(15).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process ended meanwhile.
    }
  }
  const wanted = new Set(pids);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, stat] of stats) {
      if (!wanted.has(pid) && wanted.has(stat.ppid)) {
        wanted.add(pid);
        grew = true;
      }
    }
  }
  let ticks = 0;
  for (const pid of wanted) ticks += stats.get(pid)?.ticks ?? 0;
  return ticks / CLOCK_TICKS;
}

/** User + system CPU seconds of `pid` alone (its threads, not its children). */
function ownCpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** USER_HZ: 100 on every Linux build that matters here. */
const CLOCK_TICKS = 100;

function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function firstLines(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n').slice(0, 3).join(' / ');
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

main().then(
  async (code) => {
    await delay(0);
    process.exit(code);
  },
  (error: unknown) => {
    killAll();
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
