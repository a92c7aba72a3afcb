/**
 * The engine's public surface: what the CLI, the engine process and ui/ may use.
 */
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
