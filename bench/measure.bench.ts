/**
 * Measurement benchmarks (`npm run bench -- measure`):
 *  1. full pass over a tree of ≥ 20,000 files (~330 MB, mostly small, some large), warm page cache, no hash cache:
 *     ours (2 hashing workers) vs `find DIR -type f -print0 | xargs -0 -P2 sha256sum > /dev/null`;
 *  2. a pass with our cache after one file changed, against our own full pass;
 *  3. IMA ima-ng replay of a 100,000-entry binary list on one core (parse, template hash check, extend into the
 *     SHA-256 bank), against the figure Keylime publishes (a published number, not a run here).
 * Each timed step runs at least 3 times; the median counts. The tree lives under /tmp and is reused.
 */
import { existsSync, mkdirSync, writeFileSync, appendFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { result, type BenchResult } from '../test/support/harness.ts';
import { measureTree, TreePool } from '../src/measure/tree.ts';
import { TreeCache } from '../src/measure/tree-cache.ts';
import { buildImaBinary, type ImaMeasurement } from '../src/measure/ima-builder.ts';
import { parseImaBinary } from '../src/measure/ima.ts';
import { replayIma, verifyImaList } from '../src/measure/replay.ts';

const ROOT = '/tmp/attestd-measure-bench-v1';
const TREE = join(ROOT, 'tree');
const SMALL = 19_900;
const LARGE = 100;
const DIRS = 200;

function ensureTree(log: (s: string) => void): void {
  const marker = join(ROOT, 'complete');
  if (existsSync(marker)) return;
  rmSync(ROOT, { recursive: true, force: true });
  const t = performance.now();
  // A pool of pseudo-random bytes (SHA-256 in counter mode); every file is a different window of it plus its index.
  const pool = Buffer.alloc(8 * 1024 * 1024);
  for (let i = 0; i < pool.length / 32; i++)
    createHash('sha256')
      .update(`pool${i}`)
      .digest()
      .copy(pool, i * 32);
  let state = 1;
  const rnd = (n: number) => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state % n;
  };
  for (let d = 0; d < DIRS; d++) mkdirSync(join(TREE, `d${d % 20}`, `s${d}`), { recursive: true });
  let bytes = 0;
  const write = (i: number, size: number) => {
    const d = i % DIRS;
    const off = rnd(pool.length - size - 1);
    const body = Buffer.concat([Buffer.from(`${i}\n`), pool.subarray(off, off + size)]);
    writeFileSync(join(TREE, `d${d % 20}`, `s${d}`, `f${i}`), body);
    bytes += body.length;
  };
  for (let i = 0; i < SMALL; i++) write(i, i % 50 === 0 ? 0 : rnd(8192));
  for (let i = SMALL; i < SMALL + LARGE; i++) write(i, 1024 * 1024 + rnd(3 * 1024 * 1024));
  writeFileSync(marker, `${SMALL + LARGE} files, ${bytes} bytes\n`);
  log(
    `created ${SMALL + LARGE} files (${(bytes / 1e6).toFixed(0)} MB) in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(n: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    ts.push(performance.now() - t);
  }
  return median(ts);
}

export async function run({ args, log }: { args: string[]; log: (s: string) => void }): Promise<BenchResult[]> {
  const runs = Math.max(3, Number(args[0] ?? 3));
  ensureTree(log);
  const out: BenchResult[] = [];

  // Warm the page cache (both sides read the same files).
  const first = await measureTree([TREE], { concurrency: 2 });
  const files = first.stats.files;
  const mb = first.stats.bytes / 1e6;
  log(`tree: ${files} files, ${mb.toFixed(0)} MB, ${first.stats.directories} directories`);
  const peerCmd = `find ${TREE} -type f -print0 | xargs -0 -P2 sha256sum > /dev/null`;
  spawnSync('sh', ['-c', peerCmd]);

  const oursMs = await time(runs, async () => {
    const r = await measureTree([TREE], { concurrency: 2 });
    if (r.stats.hashedFiles !== files) throw new Error(`hashed ${r.stats.hashedFiles} of ${files}`);
  });
  const peerMs = await time(runs, () => {
    const r = spawnSync('sh', ['-c', peerCmd]);
    if (r.status !== 0) throw new Error(`peer failed: ${r.stderr}`);
  });
  log(`full pass: ours ${oursMs.toFixed(0)} ms, find|xargs -P2 sha256sum ${peerMs.toFixed(0)} ms`);
  out.push(
    result(
      'tree full pass sha256, 2 cores, warm page cache',
      'files/s',
      files / (oursMs / 1000),
      files / (peerMs / 1000),
      'find|xargs -P2 sha256sum',
      'higher',
    ),
  );
  out.push(
    result(
      'tree full pass sha256 throughput, 2 cores',
      'MB/s',
      mb / (oursMs / 1000),
      mb / (peerMs / 1000),
      'find|xargs -P2 sha256sum',
      'higher',
    ),
  );

  // Cached pass after one change: cache loaded from disk, pass, cache saved (what `attestd measure --cache` does).
  const cacheFile = join(ROOT, 'cache.json');
  const cache = new TreeCache();
  await measureTree([TREE], { concurrency: 2, cache });
  await cache.save(cacheFile);
  await new Promise((r) => setTimeout(r, 50)); // past the racy-timestamp window
  let k = 0;
  const inMemory: number[] = [];
  const cachedMs = await time(runs, async () => {
    const f = join(TREE, 'd3', 's3', `f${(k++ * DIRS + 3) % SMALL}`);
    appendFileSync(f, 'x');
    const c = await TreeCache.load(cacheFile);
    const t1 = performance.now();
    const r = await measureTree([TREE], { concurrency: 2, cache: c });
    inMemory.push(performance.now() - t1);
    await c.save(cacheFile);
    if (r.stats.hashedFiles !== 1) throw new Error(`cached pass hashed ${r.stats.hashedFiles} files`);
  });
  const memMs = median(inMemory);
  log(`cached pass after one change: ${cachedMs.toFixed(1)} ms with cache load+save, ${memMs.toFixed(1)} ms in memory`);
  out.push(
    result(
      'tree pass after 1 file changed, cache loaded+saved (vs our full pass)',
      'ms',
      cachedMs,
      oursMs,
      'ours-full-pass',
      'lower',
    ),
  );
  out.push(
    result(
      'tree pass after 1 file changed, in-memory cache (vs our full pass)',
      'ms',
      memMs,
      oursMs,
      'ours-full-pass',
      'lower',
    ),
  );

  // Pool kept across passes (daemon mode): full pass without worker start-up.
  const pool = new TreePool(2);
  try {
    await measureTree([TREE], { pool });
    const pooledMs = await time(runs, () => measureTree([TREE], { pool }));
    log(`kept pool: full pass ${pooledMs.toFixed(0)} ms`);
    out.push(
      result(
        'tree full pass sha256, kept 2-worker pool',
        'files/s',
        files / (pooledMs / 1000),
        files / (peerMs / 1000),
        'find|xargs -P2 sha256sum',
        'higher',
      ),
    );
  } finally {
    await pool.close();
  }

  // IMA replay on one core.
  const N = 100_000;
  const ms: ImaMeasurement[] = [];
  for (let i = 0; i < N; i++) {
    ms.push({
      path: `/usr/lib/x86_64-linux-gnu/lib${i}.so.${i % 7}`,
      digest: createHash('sha256').update(`f${i}`).digest(),
    });
  }
  const log100k = buildImaBinary(ms, { templateHashAlg: 'sha256' });
  let pcr = '';
  const replayMs = await time(runs, () => {
    const entries = parseImaBinary(log100k, { templateHashAlg: 'sha256' });
    const v = verifyImaList(entries, { bank: 'sha256', templateHashAlg: 'sha256' });
    if (v.mismatches.length) throw new Error('template hash mismatch');
    pcr = Buffer.from(v.pcrs.get(10)!).toString('hex');
  });
  const trustedMs = await time(runs, () =>
    replayIma(parseImaBinary(log100k, { templateHashAlg: 'sha256' }), 'sha256', { trustLogged: true }),
  );
  log(
    `IMA list of ${N} entries: ${replayMs.toFixed(0)} ms parse + template check + replay, ` +
      `${trustedMs.toFixed(0)} ms parse + replay of logged digests; PCR10 ${pcr.slice(0, 16)}…`,
  );
  out.push(
    result(
      'IMA ima-ng list parse + template hash check + sha256 replay, 1 core (peer: Keylime published figure, not run here)',
      'entries/s',
      N / (replayMs / 1000),
      100_000,
      'keylime-published',
      'higher',
    ),
  );
  writeFileSync(join(ROOT, 'last-run.json'), JSON.stringify(out) + '\n');
  return out;
}
