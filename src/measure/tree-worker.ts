/**
 * Worker thread of the tree measurement pool: hashes batches of files with a FileHasher (tree-hash.ts) and posts
 * the results back. One reused read buffer per worker.
 */
import { lstatSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { FileHasher } from './tree-hash.ts';
import { STAT_FIELDS, STAT_TYPE } from './tree-worker-protocol.ts';
import type { StatRequest, StatResponse, WorkerRequest, WorkerResponse } from './tree-worker-protocol.ts';

function statAll(paths: string[]): Float64Array<ArrayBuffer> {
  const out = new Float64Array(paths.length * STAT_FIELDS);
  for (let i = 0; i < paths.length; i++) {
    let st;
    try {
      st = lstatSync(paths[i]!, { throwIfNoEntry: false });
    } catch {
      st = undefined;
    }
    const o = i * STAT_FIELDS;
    if (!st) continue; // MISSING (0)
    out[o] = st.isFile()
      ? STAT_TYPE.FILE
      : st.isDirectory()
        ? STAT_TYPE.DIRECTORY
        : st.isSymbolicLink()
          ? STAT_TYPE.SYMLINK
          : STAT_TYPE.OTHER;
    out[o + 1] = st.dev;
    out[o + 2] = st.ino;
    out[o + 3] = st.size;
    out[o + 4] = st.mtimeMs;
    out[o + 5] = st.ctimeMs;
  }
  return out;
}

const hashers = new Map<string, FileHasher>();
const bufferSize = (workerData as { bufferSize?: number } | undefined)?.bufferSize;

parentPort?.on('message', (msg: WorkerRequest | StatRequest) => {
  if ('stat' in msg) {
    const stats = statAll(msg.stat);
    parentPort?.postMessage({ id: msg.id, stats } satisfies StatResponse, [stats.buffer]);
    return;
  }
  const req = msg;
  const k = req.algorithms.join(',');
  let h = hashers.get(k);
  if (!h) hashers.set(k, (h = new FileHasher(req.algorithms, bufferSize)));
  const results = req.jobs.map((j) => h.run(j));
  parentPort?.postMessage({ id: req.id, results } satisfies WorkerResponse);
});
