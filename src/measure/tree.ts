/**
 * File-tree measurement: digests (SHA-256 and/or SHA-1/384/512, all from one read) of every regular file under
 * the given roots. File-system I/O: verifier code must not import this (lint rule on `measure/tree*`).
 *
 * - The walk (readdir with file types) runs on the calling thread; hashing runs in a pool of worker threads
 *   (node:crypto is synchronous, so parallel hashing needs threads), each with one reused read buffer, or on the
 *   calling thread for small jobs or `concurrency: 0`.
 * - Symlinks inside the tree are not followed: they are recorded with their target (`symlinks`). A root that is a
 *   symlink is followed (like `find -H`); a root that is a regular file is measured as one file. Other file types
 *   (FIFOs, sockets, devices) are skipped and counted.
 * - Files that cannot be read are reported in `errors` (with the errno code) and the walk goes on, like sha256sum.
 * - With a cache (tree-cache.ts), files whose (dev, ino, size, mtime, ctime) still match are not read; the lstat
 *   check runs on the calling thread, so a pass with few changes starts no worker.
 * - Names that are not valid UTF-8 cannot be opened through Node's string paths and end up in `errors`.
 */
import { lstatSync, readdirSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { setImmediate as yieldNow } from 'node:timers/promises';
import { LimitError, ConfigError } from '../common/errors.ts';
import { silentLogger, type Logger } from '../common/log.ts';
import { isHashName, type HashName } from './hash.ts';
import { emptyManifest, type Manifest } from './manifest.ts';
import { FileHasher, type HashJob, type HashResult } from './tree-hash.ts';
import { keyMatches, statMatches, type CacheEntry, type TreeCache } from './tree-cache.ts';
import { STAT_FIELDS, STAT_TYPE } from './tree-worker-protocol.ts';
import type { StatRequest, StatResponse, WorkerRequest, WorkerResponse } from './tree-worker-protocol.ts';

export interface TreeOptions {
  /** Default ['sha256']. */
  algorithms?: readonly HashName[];
  /** Worker threads hashing in parallel; 0 hashes on the calling thread. Default: CPUs, at most 4. */
  concurrency?: number;
  /** A pool to reuse across passes (a daemon keeps one); otherwise one is started and closed per call. */
  pool?: TreePool;
  cache?: TreeCache;
  /** LimitError when more regular files are found. Default 10,000,000. */
  maxFiles?: number;
  /** LimitError for a longer path (in characters). Default 4096 (PATH_MAX). */
  maxPathLength?: number;
  /** Up to this many files to hash, hashing stays on the calling thread. Default 64. */
  inlineThreshold?: number;
  /** Debug lines under the MSR subsystem (default: silent). */
  logger?: Logger;
  /** With a kept `pool` and at least this many cache entries, the pool makes the lstat calls. Default 4096. */
  poolStatMin?: number;
}

export interface TreeFile {
  path: string;
  size: number;
  /** Hex digests (for a cache hit, possibly the cache entry's own object: do not mutate). */
  digests: Partial<Record<HashName, string>>;
  /** True when the digests came from the cache. */
  cached: boolean;
}

export interface TreeError {
  path: string;
  code: string;
  message: string;
}

export interface TreeStats {
  files: number;
  bytes: number;
  hashedFiles: number;
  hashedBytes: number;
  cacheHits: number;
  symlinks: number;
  directories: number;
  skipped: number;
  errors: number;
  ms: number;
}

export interface TreeResult {
  algorithms: HashName[];
  /** Sorted by path. */
  files: TreeFile[];
  symlinks: { path: string; target: string }[];
  errors: TreeError[];
  stats: TreeStats;
}

const BATCH = 48;
/** From this many cache entries on, a kept pool makes the lstat calls of a cache pass (2 workers: ~2× faster). */
const POOL_STAT_MIN = 4096;

/** A pool of hashing worker threads. `close()` it when done. */
export class TreePool {
  readonly size: number;
  readonly #workers: Worker[] = [];
  #seq = 0;
  readonly #pending = new Map<
    number,
    { resolve: (r: WorkerResponse | StatResponse) => void; reject: (e: unknown) => void }
  >();
  #failure: unknown;

  constructor(size = Math.min(4, availableParallelism()), bufferSize?: number) {
    if (!Number.isInteger(size) || size < 1) throw new ConfigError(`pool size ${size}`);
    this.size = size;
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL('./tree-worker.ts', import.meta.url), { workerData: { bufferSize } });
      w.on('message', (m: WorkerResponse | StatResponse) => {
        const p = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        p?.resolve(m);
      });
      w.on('error', (e) => this.#fail(e));
      w.on('exit', (code) => {
        if (this.#pending.size) this.#fail(new Error(`tree worker exited with code ${code}`));
      });
      w.unref();
      this.#workers.push(w);
    }
  }

  #fail(e: unknown): void {
    this.#failure = e;
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }

  #post(w: Worker, msg: Omit<WorkerRequest, 'id'> | Omit<StatRequest, 'id'>): Promise<WorkerResponse | StatResponse> {
    return new Promise((resolve, reject) => {
      const id = ++this.#seq;
      this.#pending.set(id, { resolve, reject });
      w.postMessage({ id, ...msg });
    });
  }

  async #send(w: Worker, algorithms: HashName[], jobs: HashJob[]): Promise<HashResult[]> {
    return ((await this.#post(w, { algorithms, jobs })) as WorkerResponse).results;
  }

  /**
   * lstat of every path, split evenly across the workers (a cache pass over a large tree: the system calls run in
   * parallel). STAT_FIELDS numbers per path, see tree-worker.ts.
   */
  async stat(paths: readonly string[]): Promise<Float64Array> {
    if (this.#failure) throw this.#failure;
    const per = Math.ceil(paths.length / this.size);
    for (const w of this.#workers) w.ref();
    try {
      const parts = await Promise.all(
        this.#workers.map((w, i) =>
          this.#post(w, { stat: paths.slice(i * per, (i + 1) * per) }).then((r) => (r as StatResponse).stats),
        ),
      );
      const out = new Float64Array(paths.length * STAT_FIELDS);
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    } finally {
      for (const w of this.#workers) w.unref();
    }
  }

  /** Hashes the jobs; each worker keeps two batches in flight so it never waits for the calling thread. */
  async run(algorithms: HashName[], jobs: readonly HashJob[]): Promise<HashResult[]> {
    if (this.#failure) throw this.#failure;
    const out: HashResult[] = [];
    let next = 0;
    for (const w of this.#workers) w.ref();
    try {
      const lane = async (w: Worker) => {
        while (next < jobs.length) {
          const batch = jobs.slice(next, (next += BATCH));
          for (const r of await this.#send(w, algorithms, batch)) out.push(r);
        }
      };
      await Promise.all(this.#workers.flatMap((w) => [lane(w), lane(w)]));
    } finally {
      for (const w of this.#workers) w.unref();
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

interface Walk {
  files: string[];
  /** With `onStat`: whether it accepted each file (a cache hit), aligned with `files`. */
  hit: boolean[];
  symlinks: { path: string; target: string }[];
  errors: TreeError[];
  directories: number;
  skipped: number;
}

function errorOf(path: string, e: unknown): TreeError {
  const err = e as NodeJS.ErrnoException;
  return { path, code: err.code ?? 'EIO', message: err.message };
}

/**
 * Depth-first walk. Without `onStat`, directory entries come with their types (readdir withFileTypes, no stat);
 * with it (a cache pass, which needs an lstat per file anyway), names only and one lstat per entry serves both the
 * type and the cache check, which `onStat` makes at once (Stats objects die young: no retained garbage), so each
 * file costs one system call.
 */
async function walk(
  roots: readonly string[],
  maxFiles: number,
  maxPathLength: number,
  onStat?: (path: string, st: Stats | undefined) => boolean,
): Promise<Walk> {
  const withStats = onStat !== undefined;
  const w: Walk = { files: [], hit: [], symlinks: [], errors: [], directories: 0, skipped: 0 };
  const checkPath = (p: string) => {
    if (p.length > maxPathLength)
      throw new LimitError('tree.maxPathLength', `${p.slice(0, 200)}…: ${p.length} characters`);
  };
  const addFile = (p: string, st?: Stats) => {
    checkPath(p);
    if (w.files.length >= maxFiles) throw new LimitError('tree.maxFiles', `more than ${maxFiles} files`);
    w.files.push(p);
    if (onStat) w.hit.push(onStat(p, st ?? lstatSync(p, { throwIfNoEntry: false })));
  };
  const addLink = (p: string) => {
    checkPath(p);
    try {
      w.symlinks.push({ path: p, target: readlinkSync(p) });
    } catch (e) {
      w.errors.push(errorOf(p, e));
    }
  };
  const stack: string[] = [];
  for (const root of roots) {
    let st;
    try {
      st = statSync(root);
    } catch (e) {
      w.errors.push(errorOf(root, e));
      continue;
    }
    if (st.isDirectory()) stack.push(root);
    else if (st.isFile()) addFile(root);
    else w.skipped++;
  }
  while (stack.length) {
    const dir = stack.pop()!;
    // The walk is synchronous (fastest); give the event loop a turn now and then so a daemon stays responsive.
    if (++w.directories % 64 === 0) await yieldNow();
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    if (withStats) {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch (e) {
        w.errors.push(errorOf(dir, e));
        continue;
      }
      for (const name of names) {
        const p = prefix + name;
        const st = lstatSync(p, { throwIfNoEntry: false });
        if (!st) continue; // removed since readdir
        if (st.isFile()) addFile(p, st);
        else if (st.isDirectory()) {
          checkPath(p);
          stack.push(p);
        } else if (st.isSymbolicLink()) addLink(p);
        else w.skipped++;
      }
      continue;
    }
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      w.errors.push(errorOf(dir, e));
      continue;
    }
    for (const d of entries) {
      const p = prefix + d.name;
      if (d.isFile()) addFile(p);
      else if (d.isDirectory()) {
        checkPath(p);
        stack.push(p);
      } else if (d.isSymbolicLink()) addLink(p);
      else w.skipped++;
    }
  }
  return w;
}

function under(path: string, roots: readonly string[]): boolean {
  return roots.some((r) => path === r || path.startsWith(r.endsWith('/') ? r : `${r}/`));
}

/** Measures every regular file under `roots`. */
export async function measureTree(rootsIn: readonly string[], o: TreeOptions = {}): Promise<TreeResult> {
  const t0 = performance.now();
  const algorithms = [...new Set(o.algorithms ?? ['sha256'])] as HashName[];
  if (algorithms.length === 0) throw new ConfigError('no hash algorithm');
  // Resolved, without duplicates or roots nested in other roots (their files would be measured twice).
  const roots = [...new Set(rootsIn.map((r) => resolve(r)))]
    .sort()
    .filter((r, i, all) => !all.slice(0, i).some((other) => other !== r && under(r, [other])));
  for (const a of algorithms) if (!isHashName(a)) throw new ConfigError(`unsupported hash algorithm '${a}'`);
  const cache = o.cache;
  // A cache pass needs one lstat per file: made by the walk itself, or, with a kept pool and a large tree, by the
  // workers in parallel after a walk that only reads directories.
  const poolStat = cache !== undefined && cache.size >= (o.poolStatMin ?? POOL_STAT_MIN) && o.pool !== undefined;
  const files: TreeFile[] = [];
  let hashedFiles = 0;
  let hashedBytes = 0;
  let cacheHits = 0;
  const toHash: HashJob[] = [];
  let stored = 0;
  const hit = (path: string, c: CacheEntry) => {
    cacheHits++;
    files.push({ path, size: c.key.size, digests: exactly(c.digests, algorithms), cached: true });
  };
  // The cache check, on the lstat the walk makes: no open/read for unchanged files.
  const onStat =
    cache && cache.size > 0 && !poolStat
      ? (path: string, st: Stats | undefined): boolean => {
          const c = cache.lookup(path, algorithms);
          if (!c || !st || !st.isFile() || !statMatches(c, st)) return false;
          hit(path, c);
          return true;
        }
      : undefined;
  const w = await walk(roots, o.maxFiles ?? 10_000_000, o.maxPathLength ?? 4096, onStat);
  const errors = w.errors;
  const packed = poolStat && w.files.length ? await o.pool!.stat(w.files) : undefined;

  for (let i = 0; i < w.files.length; i++) {
    if (w.hit[i]) continue;
    const path = w.files[i]!;
    if (packed) {
      if ((i + 1) % 4096 === 0) await yieldNow();
      const c = cache?.lookup(path, algorithms);
      const k = i * STAT_FIELDS;
      if (
        c &&
        packed[k] === STAT_TYPE.FILE &&
        keyMatches(c, packed[k + 1]!, packed[k + 2]!, packed[k + 3]!, packed[k + 4]!, packed[k + 5]!)
      ) {
        hit(path, c);
        continue;
      }
    }
    toHash.push({ path });
  }

  let results: HashResult[];
  const concurrency = o.concurrency ?? Math.min(4, availableParallelism());
  if (toHash.length <= (o.inlineThreshold ?? 64) || (concurrency === 0 && !o.pool)) {
    const h = new FileHasher(algorithms);
    results = toHash.map((j) => h.run(j));
  } else {
    const pool = o.pool ?? new TreePool(concurrency);
    try {
      results = await pool.run(algorithms, toHash);
    } finally {
      if (!o.pool) await pool.close();
    }
  }

  for (const r of results) {
    switch (r.kind) {
      case 'error':
        errors.push({ path: r.path, code: r.code, message: r.message });
        cache?.delete(r.path);
        break;
      case 'hashed': {
        const digests: Partial<Record<HashName, string>> = {};
        algorithms.forEach((a, i) => (digests[a] = r.digests[i]!));
        files.push({ path: r.path, size: r.key.size, digests, cached: false });
        hashedFiles++;
        hashedBytes += r.key.size;
        if (cache) {
          if (r.racy) cache.delete(r.path);
          else {
            cache.set(r.path, { key: r.key, digests });
            stored++;
          }
        }
        break;
      }
    }
  }

  // Forget files under these roots that are gone. Every walked file now in the cache is a hit or was just stored;
  // when that is all the cache holds, nothing is stale and the scan is skipped.
  if (cache && cache.size !== cacheHits + stored) {
    const seen = new Set(w.files);
    for (const p of [...cache.entries.keys()]) if (!seen.has(p) && under(p, roots)) cache.delete(p);
  }

  const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  files.sort(byPath);
  w.symlinks.sort(byPath);
  errors.sort(byPath);
  let bytes = 0;
  for (const f of files) bytes += f.size;
  const ms = performance.now() - t0;
  const log = o.logger ?? silentLogger;
  log.debug('MSR', 'tree measured', {
    roots: roots.join(','),
    files: files.length,
    hashed: hashedFiles,
    cacheHits,
    errors: errors.length,
    ms: Math.round(ms),
  });
  for (const e of errors) log.debug('MSR', 'cannot measure', { path: e.path, code: e.code });
  return {
    algorithms,
    files,
    symlinks: w.symlinks,
    errors,
    stats: {
      files: files.length,
      bytes,
      hashedFiles,
      hashedBytes,
      cacheHits,
      symlinks: w.symlinks.length,
      directories: w.directories,
      skipped: w.skipped,
      errors: errors.length,
      ms,
    },
  };
}

/** The cached digests themselves when they hold exactly the algorithms asked for (no copy), else a pick. */
function exactly(d: Partial<Record<HashName, string>>, algs: readonly HashName[]): Partial<Record<HashName, string>> {
  let n = 0;
  for (const k in d) if (d[k as HashName] !== undefined) n++;
  return n === algs.length ? d : pick(d, algs);
}

function pick(d: Partial<Record<HashName, string>>, algs: readonly HashName[]): Partial<Record<HashName, string>> {
  const out: Partial<Record<HashName, string>> = {};
  for (const a of algs) out[a] = d[a];
  return out;
}

/** The manifest of a tree result (files and symlinks). */
export function treeManifest(r: TreeResult): Manifest {
  const m = emptyManifest(r.algorithms);
  for (const f of r.files) m.files.set(f.path, f.digests);
  for (const s of r.symlinks) m.symlinks.set(s.path, s.target);
  return m;
}
