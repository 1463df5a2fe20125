/**
 * Messages between tree.ts (TreePool) and its worker threads (tree-worker.ts): hash jobs, and lstat batches for
 * cache passes. Kept apart so the main thread imports no worker code.
 */
import type { HashName } from './hash.ts';
import type { HashJob, HashResult } from './tree-hash.ts';

export interface WorkerRequest {
  id: number;
  algorithms: HashName[];
  jobs: HashJob[];
}
/** lstat of each path, for a cache pass split across the pool. */
export interface StatRequest {
  id: number;
  stat: string[];
}
export interface WorkerResponse {
  id: number;
  results: HashResult[];
}
/** STAT_FIELDS numbers per path: type (STAT_TYPE), dev, ino, size, mtimeMs, ctimeMs. */
export interface StatResponse {
  id: number;
  stats: Float64Array;
}
export const STAT_FIELDS = 6;
export const STAT_TYPE = { MISSING: 0, FILE: 1, DIRECTORY: 2, SYMLINK: 3, OTHER: 4 } as const;
