/**
 * An in-memory cache of file digests for a long-running measurer (the attestation collector answers the same File
 * Measurement request on every attestation): a digest is reused only while the file's identity and version — device,
 * inode, size, mtime and ctime, as a plain (non-bigint) `lstat` reports them — are exactly those of the `fstat` of
 * the descriptor the digest was computed from.
 *
 * Why that is safe: every write, truncate, rename over the path, chmod/chown or link count change sets ctime to the
 * kernel's current time, which user space cannot choose (utimes sets mtime/atime, and ctime to now). A file whose
 * ctime is within one timestamp tick of the moment it was read could change again in the same tick without a visible
 * change ("racy clean", see `isRacy` in tree-hash.ts), so such digests are never stored: within 20 ms of the read,
 * or 2 s when the file system keeps whole seconds. Millisecond doubles resolve ~0.25 µs at today's times, finer than
 * any tick. The cache only saves work; a miss, an evicted entry or a changed key means hashing the file again.
 */
import type { Stats } from 'node:fs';
import type { HashName } from './hash.ts';

/** The fields of a plain Stats the cache compares. */
export type FileStamp = Pick<Stats, 'dev' | 'ino' | 'size' | 'mtimeMs' | 'ctimeMs'>;

interface Entry {
  stamp: FileStamp;
  digests: Map<HashName, Uint8Array>;
}

export interface FileDigestCacheOptions {
  /** Most files remembered (default 100,000); the oldest entry makes room for a new one. */
  maxEntries?: number;
}

const RACY_MS = 20;
const RACY_COARSE_MS = 2000;

/** Whether a file with this ctime, read at `readStartedMs` (Date.now()), may still change without a new ctime. */
export function isRacyMs(ctimeMs: number, readStartedMs: number): boolean {
  const window = ctimeMs % 1000 === 0 ? RACY_COARSE_MS : RACY_MS;
  return ctimeMs >= readStartedMs - window;
}

const same = (a: FileStamp, b: FileStamp) =>
  a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.dev === b.dev;

export class FileDigestCache {
  readonly #entries = new Map<string, Entry>();
  readonly #max: number;
  hits = 0;
  misses = 0;

  constructor(o: FileDigestCacheOptions = {}) {
    this.#max = o.maxEntries ?? 100_000;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The digest of `path` when `st` (its lstat, a regular file) still matches the stored one. */
  lookup(path: string, st: FileStamp, alg: HashName): Uint8Array | undefined {
    const e = this.#entries.get(path);
    const d = e && same(e.stamp, st) ? e.digests.get(alg) : undefined;
    if (d) this.hits++;
    else this.misses++;
    return d;
  }

  /**
   * Remembers the digest of `path` computed from a descriptor whose fstat is `st`, read from `readStartedMs` on
   * (Date.now() before the open). Racy files are not stored (and a stale entry of the path is dropped).
   */
  store(path: string, st: FileStamp, readStartedMs: number, alg: HashName, digest: Uint8Array): void {
    if (this.#max <= 0) return;
    const old = this.#entries.get(path);
    if (isRacyMs(st.ctimeMs, readStartedMs)) {
      if (old) this.#entries.delete(path);
      return;
    }
    const stamp: FileStamp = { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
    if (old && same(old.stamp, stamp)) {
      old.digests.set(alg, digest);
      return;
    }
    if (old) this.#entries.delete(path);
    else if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(path, { stamp, digests: new Map([[alg, digest]]) });
  }

  clear(): void {
    this.#entries.clear();
  }
}
