/**
 * The measurement cache: digests of files keyed by path and checked against (device, inode, size, mtime, ctime)
 * in nanoseconds, persisted as JSON. A second pass re-hashes only files whose key changed. Entries whose ctime was
 * too close to the time they were read are never stored (see `isRacy` in tree-hash.ts). A cache file that cannot
 * be read or parsed is treated as empty: the cache only saves work, it is never evidence.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { isHashName, type HashName } from './hash.ts';
import type { FileKey } from './tree-hash.ts';

export interface CacheEntry {
  key: FileKey;
  digests: Partial<Record<HashName, string>>;
  /** The key as the numbers of a plain (non-bigint) lstat, computed on first use; never persisted. */
  num?: NumericKey;
}

/** dev, ino, size and the times in milliseconds exactly as node:fs computes them for a non-bigint Stats. */
export interface NumericKey {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** What a non-bigint Stats holds for a nanosecond time: sec * 1e3 + nsec / 1e6, in that order of operations. */
export function nsToMs(ns: string): number {
  // Fast path without BigInt for the usual 10- to 19-digit positive values; both paths compute the same double.
  if (ns.length >= 10 && ns.length <= 19 && /^[0-9]+$/.test(ns)) {
    return Number(ns.slice(0, -9)) * 1e3 + Number(ns.slice(-9)) / 1e6;
  }
  const b = BigInt(ns);
  const sec = b / 1_000_000_000n;
  const nsec = b % 1_000_000_000n;
  return Number(sec) * 1e3 + Number(nsec) / 1e6;
}

/**
 * Whether a plain lstat still matches the cached key. Millisecond doubles resolve ~0.25 µs today, finer than any
 * change the cache must notice: an entry is stored only when its ctime was at least the racy window (20 ms) before
 * it was read, and any later change sets ctime to a later time, which the kernel (not the user) chooses.
 */
export function statMatches(
  e: CacheEntry,
  st: { dev: number; ino: number; size: number; mtimeMs: number; ctimeMs: number },
): boolean {
  return keyMatches(e, st.dev, st.ino, st.size, st.mtimeMs, st.ctimeMs);
}

/** statMatches on loose numbers (the packed lstat results of the worker pool). */
export function keyMatches(
  e: CacheEntry,
  dev: number,
  ino: number,
  size: number,
  mtimeMs: number,
  ctimeMs: number,
): boolean {
  let n = e.num;
  if (!n) {
    try {
      n = e.num = {
        dev: Number(e.key.dev),
        ino: Number(e.key.ino),
        size: e.key.size,
        mtimeMs: nsToMs(e.key.mtimeNs),
        ctimeMs: nsToMs(e.key.ctimeNs),
      };
    } catch {
      return false; // a corrupt key (not an integer): re-hash
    }
  }
  return n.ino === ino && n.size === size && n.mtimeMs === mtimeMs && n.ctimeMs === ctimeMs && n.dev === dev;
}

type Row = [
  path: string,
  dev: string,
  ino: string,
  size: number,
  mtimeNs: string,
  ctimeNs: string,
  digests: Record<string, string>,
];

export class TreeCache {
  readonly entries = new Map<string, CacheEntry>();

  /** The key of `path` when the cache holds every algorithm asked for. */
  lookup(path: string, algorithms: readonly HashName[]): CacheEntry | undefined {
    const e = this.entries.get(path);
    if (!e) return undefined;
    for (let i = 0; i < algorithms.length; i++) if (e.digests[algorithms[i]!] === undefined) return undefined;
    return e;
  }

  set(path: string, entry: CacheEntry): void {
    this.entries.set(path, entry);
  }

  delete(path: string): void {
    this.entries.delete(path);
  }

  get size(): number {
    return this.entries.size;
  }

  toJson(): string {
    const rows: Row[] = [];
    for (const [p, e] of this.entries) {
      rows.push([
        p,
        e.key.dev,
        e.key.ino,
        e.key.size,
        e.key.mtimeNs,
        e.key.ctimeNs,
        e.digests as Record<string, string>,
      ]);
    }
    return JSON.stringify({ version: 1, entries: rows });
  }

  static fromJson(text: string): TreeCache {
    const c = new TreeCache();
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      return c;
    }
    if (typeof v !== 'object' || v === null || (v as { version?: unknown }).version !== 1) return c;
    const rows = (v as { entries?: unknown }).entries;
    if (!Array.isArray(rows)) return c;
    for (const r of rows as unknown[]) {
      if (!Array.isArray(r) || r.length !== 7) continue;
      const [path, dev, ino, size, mtimeNs, ctimeNs, digests] = r as unknown[];
      if (
        typeof path !== 'string' ||
        typeof dev !== 'string' ||
        typeof ino !== 'string' ||
        typeof size !== 'number' ||
        typeof mtimeNs !== 'string' ||
        typeof ctimeNs !== 'string' ||
        typeof digests !== 'object' ||
        digests === null
      ) {
        continue;
      }
      const d: Partial<Record<HashName, string>> = {};
      for (const [a, hex] of Object.entries(digests)) if (isHashName(a) && typeof hex === 'string') d[a] = hex;
      c.entries.set(path, { key: { dev, ino, size, mtimeNs, ctimeNs }, digests: d });
    }
    return c;
  }

  /** Loads a cache file; a missing or unreadable file gives an empty cache. */
  static async load(file: string): Promise<TreeCache> {
    try {
      return TreeCache.fromJson(await readFile(file, 'utf8'));
    } catch {
      return new TreeCache();
    }
  }

  /** Writes atomically (temporary file + rename). */
  async save(file: string): Promise<void> {
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, this.toJson(), { mode: 0o600 });
    await rename(tmp, file);
  }
}
