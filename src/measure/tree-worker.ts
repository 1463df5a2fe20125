/**
 * Worker thread of the tree measurement pool: hashes batches of files with a FileHasher (tree-hash.ts) and posts
 * the results back. One reused read buffer per worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FileHasher, type HashJob, type HashResult } from './tree-hash.ts';
import type { HashName } from './hash.ts';

export interface WorkerRequest {
  id: number;
  algorithms: HashName[];
  jobs: HashJob[];
}
export interface WorkerResponse {
  id: number;
  results: HashResult[];
}

const hashers = new Map<string, FileHasher>();
const bufferSize = (workerData as { bufferSize?: number } | undefined)?.bufferSize;

parentPort?.on('message', (req: WorkerRequest) => {
  const k = req.algorithms.join(',');
  let h = hashers.get(k);
  if (!h) hashers.set(k, (h = new FileHasher(req.algorithms, bufferSize)));
  const results = req.jobs.map((j) => h.run(j));
  parentPort?.postMessage({ id: req.id, results } satisfies WorkerResponse);
});
