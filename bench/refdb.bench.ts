/**
 * Reference database benchmarks (`npm run bench -- refdb [--hashes N] [--stores sqlite,postgres]`), also called as a
 * library by the attest bench (`measureRefdb`):
 *  1. import rate of reference file hashes (sha256, 200 files per directory) into an empty store, one transaction,
 *     batches of 10,000 rows per statement; target 200,000 hashes/s;
 *  2. lookup of a 5,000-file attestation (4,500 known paths, 500 unknown) against the 1,000,000 stored hashes: ours
 *     (one query per 10,000 paths) against one query per file, the way strongSwan's pts_database reads them.
 * SQLite is a file under /tmp (WAL, synchronous=FULL); PostgreSQL is a private throwaway server (test/support).
 * The batched lookup runs 5 times (median counts), the per-file one once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { result, type BenchResult } from '../test/support/harness.ts';
import { hasCommand } from '../test/support/env.ts';
import { POSTGRES_COMMANDS, startPostgres } from '../test/support/postgres.ts';
import { openStore } from '../src/refdb/open.ts';
import type { RefStore } from '../src/refdb/store.ts';
import type { FileHashRow } from '../src/refdb/types.ts';
import { median } from './lib/stats.ts';

export interface RefdbBenchOptions {
  hashes?: number;
  lookup?: number;
  stores?: ('sqlite' | 'postgres')[];
  log?: (s: string) => void;
}

const PER_DIR = 200;

function pathOf(i: number): string {
  return `/usr/lib/pkg${Math.floor(i / 20_000)}/d${Math.floor(i / PER_DIR)}/file${i}.so`;
}

function rows(n: number): FileHashRow[] {
  const out: FileHashRow[] = new Array<FileHashRow>(n);
  for (let i = 0; i < n; i++)
    out[i] = { path: pathOf(i), algo: 'sha256', digest: (i * 2654435761).toString(16).padStart(64, '0').slice(-64) };
  return out;
}

async function perFileLookup(store: RefStore, product: number, paths: string[]): Promise<number> {
  const found = new Set<string>();
  for (const p of paths) if ((await store.fileHashes(product, [p], 'sha256')).size) found.add(p);
  return found.size;
}

async function benchStore(
  name: string,
  uri: string,
  all: FileHashRow[],
  lookupN: number,
  log: (s: string) => void,
): Promise<BenchResult[]> {
  const store = await openStore(uri);
  try {
    const product = await store.addProduct('Bench Linux 1.0 x86_64');
    const t0 = performance.now();
    const n = await store.importFileHashes(product, all);
    const secs = (performance.now() - t0) / 1000;
    const rate = n / secs;
    log(`${name}: imported ${n} hashes in ${secs.toFixed(2)} s (${Math.round(rate)}/s)`);
    const known = Math.floor(lookupN * 0.9);
    const paths: string[] = [];
    let state = 7;
    for (let i = 0; i < known; i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      paths.push(pathOf(state % all.length));
    }
    for (let i = 0; i < lookupN - known; i++) paths.push(`/opt/unknown/f${i}`);
    const ours: number[] = [];
    let hits = 0;
    for (let k = 0; k < 5; k++) {
      const t = performance.now();
      hits = (await store.fileHashes(product, paths, 'sha256')).size;
      ours.push(performance.now() - t);
    }
    const per: number[] = [];
    let perHits = 0;
    for (let k = 0; k < 1; k++) {
      const t = performance.now();
      perHits = await perFileLookup(store, product, paths);
      per.push(performance.now() - t);
    }
    if (hits !== perHits) throw new Error(`${name}: batched lookup found ${hits}, per-file ${perHits}`);
    log(
      `${name}: ${lookupN}-file lookup ${median(ours).toFixed(1)} ms batched, ${median(per).toFixed(1)} ms per-file (${hits} known)`,
    );
    return [
      result(`refdb ${name} reference hash import`, 'hashes/s', rate, 200_000, 'target', 'higher'),
      result(
        `refdb ${name} ${lookupN}-file lookup in ${n} hashes`,
        'ms',
        median(ours),
        median(per),
        'one query per file',
        'lower',
      ),
    ];
  } finally {
    await store.close();
  }
}

/** Runs the import and lookup benchmarks on the chosen stores; returns one import and one lookup result per store. */
export async function measureRefdb(o: RefdbBenchOptions = {}): Promise<BenchResult[]> {
  const log = o.log ?? (() => undefined);
  const n = o.hashes ?? 1_000_000;
  const lookupN = o.lookup ?? 5_000;
  const stores = o.stores ?? ['sqlite', 'postgres'];
  const all = rows(n);
  const out: BenchResult[] = [];
  if (stores.includes('sqlite')) {
    const dir = mkdtempSync(join(tmpdir(), 'attestd-refdb-bench-'));
    try {
      out.push(...(await benchStore('sqlite', `sqlite:${join(dir, 'ref.db')}`, all, lookupN, log)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (stores.includes('postgres')) {
    if (!POSTGRES_COMMANDS.every(hasCommand)) {
      log('postgres: skipped (PostgreSQL 15 binaries not installed)');
    } else {
      const pg = await startPostgres();
      try {
        out.push(...(await benchStore('postgres', await pg.createDatabase('bench'), all, lookupN, log)));
      } finally {
        await pg.stop();
      }
    }
  }
  return out;
}

export async function run({ args, log }: { args: string[]; log: (s: string) => void }): Promise<BenchResult[]> {
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const hashes = opt('--hashes');
  const stores = opt('--stores');
  return measureRefdb({
    log,
    ...(hashes ? { hashes: Number(hashes) } : {}),
    ...(stores
      ? { stores: stores.split(',').filter((s): s is 'sqlite' | 'postgres' => s === 'sqlite' || s === 'postgres') }
      : {}),
  });
}
