/**
 * The engine's one public surface. The CLI and the engine process import from here only; the
 * editor (src/ui) imports only types from here and reaches a running engine through the engine
 * process's client (src/engineProcess/client.ts).
 */
export { Engine, EngineStartError, mountId, type EngineOptions, type EngineState, type MountInfo, type ReloadResult, type StartFailure } from './core/engine';
export { formatProblem, LineIndex, MOUNT_KINDS, parseConfig, readConfig, type ConfigResult } from './config';
export { describeTarget } from './describe';
export { mountsDataDir } from './tls/dataDir';
export { authorityCertFile, authorityName, ensureAuthority } from './tls/store';
export { planTrust, runTrust, type TrustOptions, type TrustPlan, type TrustStep } from './tls/trust';
export { WatchService, type FileWatching, type WatchOptions } from './watch/watching';
export { currentIdentity, identityOf } from './configFile';
export type { PythonChoice } from './kinds/app';
export { describeError, errorMessage, silentLogger, type Logger } from './logger';
export { LineSplitter, MAX_LINE_LENGTH } from './lineSplitter';
export { LogRing, type LogRingOptions, type RingLevel, type RingLine, type RingPage, type RingQuery } from './logRing';
export { Emitter, type Disposable, type Event } from './events';
export { LifecycleOwner, type LifecycleState } from './core/lifecycle';
export { configuredMounts } from './core/mountTable';
export { KINDS, kindOf, RUNS_WORKSPACE_CODE } from './kinds/registry';
export { MENU_CAPABILITIES, type Capabilities, type ExportRoute, type MountKind, type Reveal } from './kinds/kind';
export { Backoff, type RestartDecision } from './kinds/command/restart';
export type { AppState, AppStatus } from './kinds/app';
export type { CommandMountSpec, ConfigProblem, ModuleMountSpec, MountKindName, MountSpec, MountsConfig, ProxyMountSpec, SourceRange, StaticMountSpec } from './spec';
export {
  EXPORT_FILE_NAMES,
  EXPORT_TARGETS,
  ExportConfigError,
  exportConfig,
  exportMounts,
  isExportTarget,
  type ExportOptions,
  type ExportResult,
  type ExportTarget,
} from './export';
