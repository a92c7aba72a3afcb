/** The machine description and the one results table (Markdown, so bench/RESULTS.md can hold it). */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import type { Target } from './configs';
import { WRK } from './load';
import { NGINX } from './nginx';
import { PINNING } from './processes';

export interface Row {
  readonly group: string;
  readonly label: string;
  readonly unit: string;
  readonly median: number | undefined;
  readonly min: number | undefined;
  readonly max: number | undefined;
  /** Median over the group baseline's median; 1 for the baseline itself. */
  readonly ratio: number | undefined;
  readonly target: Target | undefined;
  readonly error: string | undefined;
  readonly missing: string | undefined;
  readonly note: string | undefined;
  /** Median server CPU µs per request (load groups), and the baseline's over this one's. */
  readonly cpu?: number;
  readonly cpuRatio?: number;
}

/** What a row is made of: the samples of one configuration across rounds, or why it has none. */
export interface RowSamples {
  readonly values: number[];
  error: string | undefined;
  missing: string | undefined;
  note: string | undefined;
}

/** One row of the table from its samples: median, min and max, and the ratio and target given. */
export function row(group: string, label: string, unit: string, s: RowSamples, target: Target | undefined, ratio?: number): Row {
  const values = s.values;
  return {
    group,
    label,
    unit,
    median: values.length ? median(values) : undefined,
    min: values.length ? Math.min(...values) : undefined,
    max: values.length ? Math.max(...values) : undefined,
    ratio,
    target,
    error: s.error,
    missing: s.missing,
    note: s.note,
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function describeMachine(): { summary: string; load: string; pinning: string } {
  const cpus = os.cpus();
  const version = (command: string, args: string[]) => {
    // nginx -v and wrk -v print to stderr or exit non-zero: take the first line of either stream.
    const result = spawnSync(command, args, { encoding: 'utf8' });
    if (result.error) return 'not installed';
    return `${result.stdout}\n${result.stderr}`.trim().split('\n')[0].trim();
  };
  const commit = version('git', ['rev-parse', '--short', 'HEAD']);
  const wrk = version(WRK, ['-v']).replace(/ Copyright.*/, '');
  return {
    summary: `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}; Node ${process.version}; ${version(NGINX, ['-v']).replace('nginx version: ', '')}; ${wrk}; commit ${commit}`,
    load: os.loadavg().map((n) => n.toFixed(2)).join(' '),
    pinning: PINNING
      ? 'servers (engine, nginx, upstreams) on core 0, load generator (wrk, ws clients) on core 1 (taskset); page loads not pinned'
      : 'none (one core): servers and load share it',
  };
}

export function renderTable(rows: readonly Row[], enforce: boolean): string {
  const lines = [
    '| group | configuration | median | min – max | ratio | target | result | server CPU / req | CPU ratio |',
    '|---|---|---:|---:|---:|---|---|---:|---:|',
  ];
  const notes: string[] = [];
  let lastGroup = '';
  for (const row of rows) {
    const group = row.group === lastGroup ? '' : row.group;
    lastGroup = row.group;
    const cells = [group, row.label];
    if (row.error || row.missing || row.median === undefined) {
      cells.push('', '', '', describeTarget(row.target, row.unit), row.error ? `FAILED: ${row.error}` : `missing: ${row.missing ?? 'no samples'}`, '', '');
    } else {
      cells.push(
        `${format(row.median)} ${row.unit}`,
        `${format(row.min!)} – ${format(row.max!)}`,
        row.ratio === undefined ? '' : `${row.ratio.toFixed(2)} ×`,
        describeTarget(row.target, row.unit),
        row.target ? (enforce ? verdict(row) : 'not enforced') : '',
        row.cpu === undefined ? '' : `${row.cpu.toFixed(1)} µs`,
        row.cpuRatio === undefined ? '' : `${row.cpuRatio.toFixed(2)} ×`,
      );
    }
    if (row.note) notes.push(`- ${row.label}: ${row.note}`);
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return [...lines, ...(notes.length ? ['', ...notes] : [])].join('\n');
}

function format(value: number): string {
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en');
  return value.toFixed(1);
}

function describeTarget(target: Target | undefined, unit = 'ms'): string {
  if (!target) return '';
  switch (target.kind) {
    case 'ratio':
      return `≥ ${target.min.toFixed(2)} ×`;
    case 'below':
      return `< ${target.max} ${unit}`;
    case 'within':
      return `± ${target.percent} %`;
    case 'noGrowth':
      return 'no growth';
  }
}

/** PASS, or MISS with by how much. */
function verdict(row: Row): string {
  const target = row.target!;
  const value = row.median!;
  switch (target.kind) {
    case 'ratio': {
      if (row.ratio === undefined) return 'no baseline';
      return row.ratio >= target.min ? 'PASS' : `MISS by ${((1 - row.ratio / target.min) * 100).toFixed(0)} %`;
    }
    case 'below':
      return value < target.max ? 'PASS' : `MISS by ${(value - target.max).toFixed(1)} ${row.unit}`;
    case 'within':
      return Math.abs(value) <= target.percent ? 'PASS' : `MISS by ${(Math.abs(value) - target.percent).toFixed(1)} points`;
    case 'noGrowth':
      return value <= 0 ? 'PASS' : `MISS: +${value} fds`;
  }
}
