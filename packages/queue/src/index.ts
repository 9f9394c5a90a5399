export { enqueueIndex, runStatus, type EnqueueOptions, type RunInfo, type RunStatus } from './producer.js';
export { startWorkers, type WorkerOptions, type WorkerEvent, type RunningWorkers } from './worker.js';
export { processShard } from './shard.js';
export { findDuplicateLines, type DuplicateLines } from './duplicates.js';
export { connectRedis, redisOptions } from './redis.js';
export { QUEUE_NAME, runKey, type ShardJob, type ShardResult } from './run.js';
export { DEFAULT_STORE, openStoreWith, type StorePackage } from './store.js';
