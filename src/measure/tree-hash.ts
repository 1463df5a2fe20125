/**
 * Hashing of one file, synchronous, shared by the worker threads (tree-worker.ts) and the in-thread mode of
 * tree.ts. File-system I/O: verifier code must not import this (lint rule on `measure/tree*`).
 *
 * A file is opened with O_NOFOLLOW | O_NONBLOCK (a path swapped for a symlink or FIFO after the walk fails or
 * is refused instead of being followed or blocking), checked with fstat to be a regular file, and read into one
 * reused buffer; every requested algorithm is updated from the same read. A short read after `size` bytes ends the
 * file (regular files return short reads only at end of file). Files that fit in the first read are hashed one-shot.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { createHash, hash as oneShot, type Hash } from 'node:crypto';
import type { HashName } from './hash.ts';

/** Identity and version of a file for the cache: a change of any of these means "re-hash". */
export interface FileKey {
  dev: string;
  ino: string;
  size: number;
  mtimeNs: string;
  ctimeNs: string;
}

export interface HashJob {
  path: string;
}

export type HashResult =
  | {
      kind: 'hashed';
      path: string;
      key: FileKey;
      /** Hex digests, in the order of the hasher's algorithms. */
      digests: string[];
      /** Changed too recently to be cached safely (timestamp granularity, see `isRacy`). */
      racy: boolean;
    }
  | { kind: 'error'; path: string; code: string; message: string };

/** Window within which a file's ctime is too close to the time it was read for the cache to trust it. */
const RACY_NS = 20_000_000n;
const RACY_COARSE_NS = 2_000_000_000n;
const SECOND = 1_000_000_000n;

/**
 * A file changed within one timestamp tick before it was read could change again in the same tick without a
 * visible change of mtime/ctime ("racy clean", as git calls it); such entries are not cached.
 */
export function isRacy(ctimeNs: bigint, startedMs: number): boolean {
  const window = ctimeNs % SECOND === 0n ? RACY_COARSE_NS : RACY_NS;
  return ctimeNs >= BigInt(startedMs) * 1_000_000n - window;
}

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export class FileHasher {
  readonly algorithms: readonly HashName[];
  readonly #buf: Buffer;

  constructor(algorithms: readonly HashName[], bufferSize = 512 * 1024) {
    this.algorithms = algorithms;
    this.#buf = Buffer.allocUnsafe(bufferSize);
  }

  run(job: HashJob): HashResult {
    const { path } = job;
    try {
      return this.#hash(path);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      return { kind: 'error', path, code: err.code ?? 'EIO', message: err.message };
    }
  }

  #hash(path: string): HashResult {
    const started = Date.now();
    const fd = openSync(path, OPEN_FLAGS);
    try {
      const st = fstatSync(fd, { bigint: true });
      if (!st.isFile()) return { kind: 'error', path, code: 'ENOTREG', message: `${path}: not a regular file` };
      const size = Number(st.size);
      const buf = this.#buf;
      let digests: string[];
      let n = readSync(fd, buf, 0, buf.byteLength, null);
      if (n < buf.byteLength && n >= size) {
        // Whole file in one read: one-shot digests.
        const data = buf.subarray(0, n);
        digests = this.algorithms.map((a) => oneShot(a, data, 'hex'));
      } else {
        const hs: Hash[] = this.algorithms.map((a) => createHash(a));
        let total = 0;
        while (n > 0) {
          const chunk = buf.subarray(0, n);
          for (const h of hs) h.update(chunk);
          total += n;
          if (n < buf.byteLength && total >= size) break;
          n = readSync(fd, buf, 0, buf.byteLength, null);
        }
        digests = hs.map((h) => h.digest('hex'));
      }
      const key: FileKey = {
        dev: String(st.dev),
        ino: String(st.ino),
        size: Number(st.size),
        mtimeNs: String(st.mtimeNs),
        ctimeNs: String(st.ctimeNs),
      };
      return { kind: 'hashed', path, key, digests, racy: isRacy(st.ctimeNs, started) };
    } finally {
      closeSync(fd);
    }
  }
}
