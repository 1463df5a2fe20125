/**
 * Bulk import of reference file hashes (RefStore.importFileHashes) on SQLite and PostgreSQL: what the batched
 * import keeps in memory between batches (directory ids, which batch created files where) and what it leaves to the
 * database (new files, hashes, replacements) must give the same rows as one row at a time would, all or nothing.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { BATCH, type RefStore } from '../../../src/refdb/store.ts';
import type { FileHashRow } from '../../../src/refdb/types.ts';
import type { HashName } from '../../../src/measure/hash.ts';
import { forEachStore } from '../../contract/refdb/stores.ts';

const SIZE: Record<'sha1' | 'sha256' | 'sha384', number> = { sha1: 20, sha256: 32, sha384: 48 };
/** A distinct digest per (label, algorithm). */
const dg = (label: string, algo: 'sha1' | 'sha256' | 'sha384' = 'sha256') =>
  createHash('sha512')
    .update(`${algo}:${label}`)
    .digest('hex')
    .slice(0, 2 * SIZE[algo]);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function tableCount(store: RefStore, table: 'directories' | 'files' | 'file_hashes'): Promise<number> {
  return Number((await store.driver.get(`SELECT COUNT(*) AS n FROM ${table}`))?.n);
}

/** Every stored (path, version, algo) → digest of a product for these paths. */
async function stored(store: RefStore, product: number, paths: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [path, list] of await store.fileHashes(product, paths))
    for (const h of list) out.set(`${path} ${h.version} ${h.algo}`, hex(h.digest));
  return out;
}

/** What a row-at-a-time import would leave: the last digest per (path, version, algo). */
function expected(imports: readonly { rows: readonly FileHashRow[]; version?: string }[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const i of imports) for (const r of i.rows) out.set(`${r.path} ${i.version ?? ''} ${r.algo}`, r.digest);
  return out;
}

forEachStore('bulk import: duplicates within one batch and across batches, last digest wins', async (store) => {
  const p = await store.addProduct('Dups');
  const rows: FileHashRow[] = [];
  // Two directories that span the batch boundary, so the second batch meets files the first one created.
  for (let i = 0; i < BATCH + 50; i++) rows.push({ path: `/span/${i % 2}/f${i}`, algo: 'sha256', digest: dg(`a${i}`) });
  rows.push({ path: '/span/0/f0', algo: 'sha256', digest: dg('again0') }); // repeated after its batch went out
  rows.push({ path: '/span/1/f1', algo: 'sha1', digest: dg('f1', 'sha1') }); // new algorithm for an old file
  rows.push({ path: '/span/1/f1', algo: 'sha1', digest: dg('f1 last', 'sha1') }); // repeated within the batch
  rows.push({ path: `/span/0/f${BATCH + 2}`, algo: 'sha256', digest: dg('late') }); // same batch, repeated
  // Each batch counts its distinct (path, algorithm) pairs, as before: BATCH, then 50 + 3 (f0, f1 sha1, and the
  // repeat of f(BATCH+2) replacing its own row).
  assert.equal(await store.importFileHashes(p, rows), BATCH + 52);
  const paths = [...new Set(rows.map((r) => r.path))];
  assert.deepEqual(await stored(store, p, paths), expected([{ rows }]));
  assert.equal(await store.countFileHashes(p), BATCH + 51);
  assert.equal(await tableCount(store, 'files'), BATCH + 50, 'one file row per path');
  assert.equal(await tableCount(store, 'directories'), 2);
});

forEachStore(
  'bulk import: re-import of the same rows adds nothing, replaces digests, bumps the generation',
  async (store) => {
    const p = await store.addProduct('Again');
    const rows: FileHashRow[] = [];
    for (let i = 0; i < BATCH + 20; i++)
      rows.push({ path: `/usr/lib/d${i % 37}/f${i}`, algo: 'sha256', digest: dg(`${i}`) });
    const g0 = await store.referenceGeneration();
    assert.equal(await store.importFileHashes(p, rows), rows.length);
    const g1 = await store.referenceGeneration();
    assert.ok(g1 > g0);
    const counts = [
      await tableCount(store, 'directories'),
      await tableCount(store, 'files'),
      await store.countFileHashes(),
    ];

    assert.equal(await store.importFileHashes(p, rows), rows.length);
    assert.ok((await store.referenceGeneration()) > g1, 'every import bumps the generation');
    assert.deepEqual(
      [await tableCount(store, 'directories'), await tableCount(store, 'files'), await store.countFileHashes()],
      counts,
      'no duplicate rows',
    );
    // Same paths, some digests changed, in another order: replaced in place.
    const changed = rows.map((r, i) => (i % 3 ? r : { ...r, digest: dg(`changed ${i}`) })).reverse();
    assert.equal(await store.importFileHashes(p, changed), rows.length);
    assert.equal(await store.countFileHashes(), counts[2]);
    const paths = rows.map((r) => r.path);
    assert.deepEqual(await stored(store, p, paths), expected([{ rows: changed }]));
  },
);

forEachStore('bulk import: several algorithms and versions, products sharing files', async (store) => {
  const p = await store.addProduct('Multi');
  const q = await store.addProduct('Other');
  const algos = ['sha1', 'sha256', 'sha384'] as const satisfies readonly HashName[];
  const base: FileHashRow[] = [];
  for (let i = 0; i < 4000; i++)
    for (const a of algos) base.push({ path: `/opt/m${i % 11}/x${i}`, algo: a, digest: dg(`${i}`, a) });
  const v2 = base.filter((_r, i) => i % 2).map((r) => ({ ...r, digest: dg(`v2 ${r.path}`, r.algo as 'sha1') }));
  const other = base.filter((r) => r.algo === 'sha256').map((r) => ({ ...r, digest: dg(`q ${r.path}`) }));
  assert.equal(await store.importFileHashes(p, base), base.length);
  assert.equal(await store.importFileHashes(p, v2, '2.0'), v2.length);
  // A product on an existing tree: its files are found, not created again.
  const files = await tableCount(store, 'files');
  assert.equal(await store.importFileHashes(q, other, '1.0'), other.length);
  assert.equal(await tableCount(store, 'files'), files);
  const paths = [...new Set(base.map((r) => r.path))];
  assert.deepEqual(await stored(store, p, paths), expected([{ rows: base }, { rows: v2, version: '2.0' }]));
  // A sample: PostgreSQL's lookup plan for a product imported without ANALYZE is quadratic (fileHashes, not this).
  const sample = new Set(paths.filter((_x, i) => i % 40 === 0));
  assert.deepEqual(
    await stored(store, q, [...sample]),
    expected([{ rows: other.filter((x) => sample.has(x.path)), version: '1.0' }]),
  );
  assert.equal(await store.countFileHashes(q), other.length);
  const sha1 = await store.fileHashes(p, ['/opt/m1/x1'], 'sha1');
  assert.deepEqual(
    sha1.get('/opt/m1/x1')?.map((h) => [h.version, hex(h.digest)]),
    [
      ['', dg('1', 'sha1')],
      ['2.0', dg('v2 /opt/m1/x1', 'sha1')],
    ],
  );
  // A repeat after its batch went out, on an existing tree (no replace step at the start).
  const r = await store.addProduct('Repeat on existing tree');
  const rep = base.slice(0, BATCH + 5);
  const rows = [...rep, { ...rep[0]!, digest: dg('repeat', 'sha1') }];
  assert.equal(await store.importFileHashes(r, rows), rows.length);
  assert.equal(await store.countFileHashes(r), rep.length);
  assert.equal(rep[0]!.algo, 'sha1');
  const got = (await store.fileHashes(r, [rep[0]!.path], 'sha1')).get(rep[0]!.path);
  assert.deepEqual(
    got?.map((h) => hex(h.digest)),
    [dg('repeat', 'sha1')],
  );
});

forEachStore('bulk import: paths in many directories, at the root and without a directory', async (store) => {
  const p = await store.addProduct('Tree');
  const rows: FileHashRow[] = [
    { path: '/vmlinuz', algo: 'sha256', digest: dg('root') },
    { path: 'relative', algo: 'sha256', digest: dg('relative') },
    { path: '/opt/it\'s "quoted"/ünï cøde', algo: 'sha256', digest: dg('unicode') },
    { path: '/a/b/c/d/e/f/g/h', algo: 'sha256', digest: dg('deep') },
  ];
  // Consecutive rows alternate between directories, and every 7th directory is a prefix of another one.
  for (let i = 0; i < 2 * BATCH + 300; i++)
    rows.push({ path: `/t/${i % 500}${i % 7 ? '' : '/sub'}/n${i}`, algo: 'sha256', digest: dg(`t${i}`) });
  // An existing directory before the import, with a file: found, not duplicated.
  await store.importFileHashes(await store.addProduct('Before'), [
    { path: '/t/3/n3', algo: 'sha1', digest: dg('b', 'sha1') },
  ]);
  assert.equal(await store.importFileHashes(p, rows), rows.length);
  const paths = rows.map((r) => r.path);
  assert.deepEqual(await stored(store, p, paths), expected([{ rows }]));
  assert.equal(await tableCount(store, 'files'), rows.length);
  const dirs = new Set(paths.map((x) => (x.includes('/') ? x.slice(0, Math.max(1, x.lastIndexOf('/'))) : '')));
  assert.equal(await tableCount(store, 'directories'), dirs.size);
  assert.deepEqual([...(await store.directoryHashes(p, '/', 'sha256')).keys()], ['/vmlinuz']);
});

forEachStore('bulk import: a failure half-way leaves nothing, on the client or in the database', async (store, c) => {
  const p = await store.addProduct('Fails');
  await store.importFileHashes(p, [{ path: '/keep/me', algo: 'sha256', digest: dg('keep') }]);
  const before = {
    generation: await store.referenceGeneration(),
    dirs: await tableCount(store, 'directories'),
    files: await tableCount(store, 'files'),
    hashes: await store.countFileHashes(),
  };
  const now = async () => ({
    generation: await store.referenceGeneration(),
    dirs: await tableCount(store, 'directories'),
    files: await tableCount(store, 'files'),
    hashes: await store.countFileHashes(),
  });
  // The source fails after two batches went out (one may still be at work in the server).
  function* failing(): Generator<FileHashRow> {
    for (let i = 0; i < 2 * BATCH + 1; i++) yield { path: `/gone/d${i % 9}/f${i}`, algo: 'sha256', digest: dg(`${i}`) };
    throw new Error('source broke');
  }
  await assert.rejects(store.importFileHashes(p, failing()), /source broke/);
  assert.deepEqual(await now(), before);
  // A bad row after a batch went out.
  const bad: FileHashRow[] = [];
  for (let i = 0; i < BATCH + 3; i++) bad.push({ path: `/gone/e/f${i}`, algo: 'sha256', digest: dg(`${i}`) });
  bad.push({ path: '/gone/e/bad', algo: 'sha256', digest: 'ABCD'.repeat(16) });
  await assert.rejects(store.importFileHashes(p, bad), { code: 'ERR_PARSE' });
  assert.deepEqual(await now(), before);
  // The import succeeds, the caller's transaction around it fails.
  await assert.rejects(
    store.transaction(async (s) => {
      await s.importFileHashes(p, bad.slice(0, BATCH + 3));
      throw new Error('outer failure');
    }),
    /outer failure/,
  );
  assert.deepEqual(await now(), before);
  if (c.kind === 'postgres') {
    // The server refuses the second batch (PostgreSQL text holds no NUL) while the first may still be at work.
    const nul = [...bad.slice(0, BATCH + 3), { path: '/gone/nul\0here', algo: 'sha256' as const, digest: dg('nul') }];
    await assert.rejects(store.importFileHashes(p, nul));
    assert.deepEqual(await now(), before);
  }
  // The store still imports afterwards.
  assert.equal(await store.importFileHashes(p, bad.slice(0, 10)), 10);
  assert.equal(await store.countFileHashes(), before.hashes + 10);
});
