export { enqueue, enqueueChunks, type EnqueueOptions, type EnqueuedChunk } from './enqueue.js';
export { startWorker, type ImlageWorker, type WorkerOptions } from './worker.js';
export { results, type ResultRecord, type ResultsOptions, type QueueProgress } from './results.js';
export { jobId, DEFAULT_QUEUE, DEFAULT_MAX_INLINE_BYTES, type ImageJob, type JobSettings } from './job.js';
