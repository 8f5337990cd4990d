// The public npm API. The CLI is built only from what is exported here.

export { Engine, type EngineOptions, type ImageTiming, type PluginInfo, type PluginTiming, type TagOptions } from './engine/engine.js';
export type { Tag, Region, TagInput, TagResult, PluginResult, PluginSuccess, PluginFailure } from './engine/types.js';
export { isFailure } from './engine/types.js';
export { expandInputs, isImagePath, IMAGE_EXTENSIONS, type ExpandOptions, type InputPath } from './engine/inputs.js';
export { ImlageError, type ErrorCode } from './errors.js';
export { discoverPlugins, type Discovery, type DiscoveryProblem } from './plugins/discover.js';
export { readManifest, parseManifest, type PluginManifest, type PreprocessMode } from './plugins/manifest.js';
export { loadConfig, parseConfig, defaultConfigFile, type Config } from './config/config.js';
export type { ExecutionProvider, GraphOptimization, OrtInfo } from './binding/types.js';
export { createServer, type ImlageServer, type ServerOptions } from './server/index.js';
export { checkConfigText } from './config/check.js';
export { configFilePath, setConfigValue, unsetConfigValue } from './config/file.js';
export { hardwareReport, detectHardware, type HardwareReport } from './hardware/report.js';
export { planRun, recommendBatchSize, type BatchFacts, type ThreadBudget } from './engine/threads.js';
export { LibrarySink, formatSummary, type LibraryOptions, type LibrarySummary } from './library/sink.js';
export { ResultStore, defaultDbPath, type StoredImage, type StoredPlugin, type PluginKey, type FileRecord } from './library/store/store.js';
export { writeSidecar, sidecarPath, type XmpOptions, type XmpOutcome, type SidecarNaming } from './library/xmp/sidecar.js';
export type { Hierarchy } from './library/xmp/keywords.js';
export { buildReport, type ReportOptions } from './library/report/build.js';
export { enqueue, enqueueChunks, startWorker, results, jobId, type EnqueueOptions, type EnqueuedChunk, type ImlageWorker, type WorkerOptions, type ResultRecord, type ResultsOptions, type QueueProgress, type ImageJob, type JobSettings } from './queue/index.js';
