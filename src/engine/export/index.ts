/**
 * `mounts export`: the configuration of a production front (Caddy, nginx, a Kubernetes Gateway)
 * that serves what mounts.json describes. Deterministic: the same mounts.json gives the same bytes.
 */
import { formatProblem, readConfig } from '../config';
import type { MountsConfig } from '../spec';
import { writeCaddy } from './caddy';
import { writeGateway } from './gateway';
import { writeNginx } from './nginx';
import { planExport, type PlanOptions } from './plan';

export const EXPORT_TARGETS = ['caddy', 'nginx', 'gateway'] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

export type ExportOptions = PlanOptions;

export interface ExportResult {
  readonly text: string;
  /** What the target does differently from Mounts; also written at the top of `text`. */
  readonly warnings: readonly string[];
  /** The kinds the app server must run (`mounts serve --only`), with its URL; undefined when none. */
  readonly appServer?: { readonly url: string; readonly kinds: readonly string[] };
}

/** The conventional file name of each target's output, next to mounts.json. */
export const EXPORT_FILE_NAMES: Readonly<Record<ExportTarget, string>> = {
  caddy: 'Caddyfile.mounts',
  nginx: 'mounts.nginx.conf',
  gateway: 'mounts.gateway.yaml',
};

/** Exports a validated config. Throws when `--app-server` or a proxy target is not a usable URL. */
export function exportConfig(target: ExportTarget, config: MountsConfig, options: ExportOptions = {}): ExportResult {
  const plan = planExport(config, options);
  const writers = { caddy: writeCaddy, nginx: writeNginx, gateway: writeGateway };
  const { text, warnings } = writers[target](plan);
  return { text, warnings, appServer: plan.appServer };
}

/** An export that failed because mounts.json is invalid; the message lists every problem. */
export class ExportConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportConfigError';
  }
}

/** Reads and validates `configFile`, then exports it. */
export async function exportMounts(target: ExportTarget, configFile: string, options: ExportOptions = {}): Promise<ExportResult> {
  const { config, problems } = await readConfig(configFile);
  if (!config) throw new ExportConfigError(`${configFile} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map(formatProblem).join('\n')}`);
  return exportConfig(target, config, options);
}

export function isExportTarget(value: string): value is ExportTarget {
  return (EXPORT_TARGETS as readonly string[]).includes(value);
}
