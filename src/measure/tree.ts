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
import { lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { setImmediate as yieldNow } from 'node:timers/promises';
import { LimitError, ConfigError } from '../common/errors.ts';
import { silentLogger, type Logger } from '../common/log.ts';
import { isHashName, type HashName } from './hash.ts';
import { emptyManifest, type Manifest } from './manifest.ts';
import { FileHasher, type HashJob, type HashResult } from './tree-hash.ts';
import type { TreeCache } from './tree-cache.ts';
import type { WorkerRequest, WorkerResponse } from './tree-worker.ts';

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
}

export interface TreeFile {
  path: string;
  size: number;
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

/** A pool of hashing worker threads. `close()` it when done. */
export class TreePool {
  readonly size: number;
  readonly #workers: Worker[] = [];
  #seq = 0;
  readonly #pending = new Map<number, { resolve: (r: HashResult[]) => void; reject: (e: unknown) => void }>();
  #failure: unknown;

  constructor(size = Math.min(4, availableParallelism()), bufferSize?: number) {
    if (!Number.isInteger(size) || size < 1) throw new ConfigError(`pool size ${size}`);
    this.size = size;
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL('./tree-worker.ts', import.meta.url), { workerData: { bufferSize } });
      w.on('message', (m: WorkerResponse) => {
        const p = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        p?.resolve(m.results);
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

  #send(w: Worker, algorithms: HashName[], jobs: HashJob[]): Promise<HashResult[]> {
    return new Promise((resolve, reject) => {
      const id = ++this.#seq;
      this.#pending.set(id, { resolve, reject });
      w.postMessage({ id, algorithms, jobs } satisfies WorkerRequest);
    });
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
  symlinks: { path: string; target: string }[];
  errors: TreeError[];
  directories: number;
  skipped: number;
}

function errorOf(path: string, e: unknown): TreeError {
  const err = e as NodeJS.ErrnoException;
  return { path, code: err.code ?? 'EIO', message: err.message };
}

async function walk(roots: readonly string[], maxFiles: number, maxPathLength: number): Promise<Walk> {
  const w: Walk = { files: [], symlinks: [], errors: [], directories: 0, skipped: 0 };
  const checkPath = (p: string) => {
    if (p.length > maxPathLength)
      throw new LimitError('tree.maxPathLength', `${p.slice(0, 200)}…: ${p.length} characters`);
  };
  const addFile = (p: string) => {
    checkPath(p);
    if (w.files.length >= maxFiles) throw new LimitError('tree.maxFiles', `more than ${maxFiles} files`);
    w.files.push(p);
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
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      w.errors.push(errorOf(dir, e));
      continue;
    }
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    for (const d of entries) {
      const p = prefix + d.name;
      if (d.isFile()) addFile(p);
      else if (d.isDirectory()) {
        checkPath(p);
        stack.push(p);
      } else if (d.isSymbolicLink()) {
        checkPath(p);
        try {
          w.symlinks.push({ path: p, target: readlinkSync(p) });
        } catch (e) {
          w.errors.push(errorOf(p, e));
        }
      } else w.skipped++;
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
  const w = await walk(roots, o.maxFiles ?? 10_000_000, o.maxPathLength ?? 4096);
  const cache = o.cache;

  const files: TreeFile[] = [];
  const errors = w.errors;
  let hashedFiles = 0;
  let hashedBytes = 0;
  let cacheHits = 0;
  const toHash: HashJob[] = [];

  // Cache check on this thread: an lstat per file, no open/read (measured: as fast as sending the checks to the
  // pool, whose message passing eats the gain of parallel lstat calls).
  let n = 0;
  for (const path of w.files) {
    if (++n % 2048 === 0) await yieldNow();
    const c = cache?.lookup(path, algorithms);
    if (c) {
      const st = lstatSync(path, { bigint: true, throwIfNoEntry: false });
      if (
        st &&
        st.isFile() &&
        c.key.ino === String(st.ino) &&
        c.key.size === Number(st.size) &&
        c.key.mtimeNs === String(st.mtimeNs) &&
        c.key.ctimeNs === String(st.ctimeNs) &&
        c.key.dev === String(st.dev)
      ) {
        cacheHits++;
        files.push({ path, size: c.key.size, digests: pick(c.digests, algorithms), cached: true });
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
          else cache.set(r.path, { key: r.key, digests });
        }
        break;
      }
    }
  }

  if (cache) {
    // Forget files under these roots that are gone.
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
