/**
 * The attester's cache between attestations (src/pts/attester/cache.ts, sources.ts with `cache`): unchanged files
 * are answered from the cache, a changed file — even one of the same size with its mtime put back — is hashed again,
 * a file changed within the racy window is never cached, and a log file is parsed again only when it changed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PaAttribute } from '../../../src/tnc/pa/index.ts';
import { PtsMeasAlgo } from '../../../src/pts/constants.ts';
import { PtsAttester, PtsAttesterCache, imaSource } from '../../../src/pts/attester/index.ts';
import { buildImaBinary } from '../../../src/measure/ima-builder.ts';

const A = (a: Record<string, unknown>) => ({ noskip: false, ...a }) as PaAttribute;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until files changed at `ctimeMs` are out of the racy window (20 ms, 2 s on whole-second file systems). */
async function pastRacyWindow(path: string): Promise<void> {
  const c = lstatSync(path).ctimeMs;
  const until = c + (c % 1000 === 0 ? 2000 : 20) + 5;
  while (Date.now() <= until) await sleep(Math.max(1, until - Date.now() + 1));
}

let requestId = 0;
async function measure(cache: PtsAttesterCache, dir: string): Promise<[string, string][]> {
  const id = ++requestId;
  const out = (await new PtsAttester({ cache }).handle([
    A({ kind: 'tcg/pts-meas-algo', algorithms: PtsMeasAlgo.SHA256 }),
    A({ kind: 'tcg/pts-req-file-meas', directory: true, requestId: id, delimiter: 0x2f, path: dir }),
  ])) as (PaAttribute & Record<string, unknown>)[];
  assert.equal(out.length, 2);
  assert.equal(out[1]!.requestId, id, 'the answer carries this request id, also when reused');
  const files = out[1]!.files as { filename: string; measurement: Uint8Array }[];
  return files.map((f) => [f.filename, Buffer.from(f.measurement).toString('hex')]);
}

test('directory measurement: unchanged files from the cache, changed files hashed again', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'attestd-pts-cache-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'd');
  mkdirSync(dir);
  writeFileSync(join(dir, 'a'), 'one');
  writeFileSync(join(dir, 'b'), 'two');
  const T = 1_700_000_000; // a whole second: utimes can set it exactly
  utimesSync(join(dir, 'a'), T, T);
  await pastRacyWindow(join(dir, 'b'));
  const cache = new PtsAttesterCache();

  assert.deepEqual(await measure(cache, dir), [
    ['a', sha('one')],
    ['b', sha('two')],
  ]);
  assert.equal(cache.files.size, 2);
  const hits = cache.files.hits;
  assert.deepEqual(await measure(cache, dir), [
    ['a', sha('one')],
    ['b', sha('two')],
  ]);
  assert.equal(cache.files.hits - hits, 2, 'second attestation answered from the cache');

  // Same size, mtime put back: ctime still moves, so the change is seen; just written, so not cached.
  const before = lstatSync(join(dir, 'a'));
  writeFileSync(join(dir, 'a'), 'ONE');
  utimesSync(join(dir, 'a'), T, T);
  const after = lstatSync(join(dir, 'a'));
  assert.equal(after.size, before.size);
  assert.equal(after.mtimeMs, before.mtimeMs);
  assert.deepEqual(await measure(cache, dir), [
    ['a', sha('ONE')],
    ['b', sha('two')],
  ]);
  const h2 = cache.files.hits;
  assert.deepEqual((await measure(cache, dir))[0], ['a', sha('ONE')]);
  assert.equal(cache.files.hits - h2, 1, 'only b from the cache: a changed within the racy window');

  // A file replaced by another one (new inode) is measured anew.
  rmSync(join(dir, 'b'));
  writeFileSync(join(dir, 'b'), 'TWO');
  assert.deepEqual((await measure(cache, dir))[1], ['b', sha('TWO')]);
});

test('a log file is parsed again only when it changed', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'attestd-pts-cache-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const path = join(root, 'ima');
  const entry = (p: string) => ({ path: p, digest: new Uint8Array(32).fill(p.length) });
  writeFileSync(path, buildImaBinary([entry('/bin/a')]));
  await pastRacyWindow(path);
  const cached = imaSource({ imaPath: path, cache: true });
  const first = await cached();
  assert.equal(first.length, 1);
  assert.equal(await cached(), first, 'unchanged: the same parsed list');
  writeFileSync(path, buildImaBinary([entry('/bin/a'), entry('/bin/bb')]));
  const second = await cached();
  assert.equal(second.length, 2);
  assert.notEqual(await cached(), second, 'just changed (racy): parsed again');
  const plain = imaSource({ imaPath: path });
  assert.notEqual(await plain(), await plain(), 'without cache: parsed every time');
});

test('a directory split over several File Measurements: the parts are reused only for the same files', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'attestd-pts-cache-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'big');
  mkdirSync(dir);
  // 1,500 files with 40-character names: about 111 KB of entries, more than one PT-EAP batch
  const names = Array.from({ length: 1500 }, (_, i) => `${String(i).padStart(5, '0')}-${'n'.repeat(34)}`);
  for (const n of names) writeFileSync(join(dir, n), n);
  await pastRacyWindow(join(dir, names.at(-1)!));
  const cache = new PtsAttesterCache();
  const ask = async (requestId: number) =>
    (await new PtsAttester({ cache }).handle([
      A({ kind: 'tcg/pts-meas-algo', algorithms: PtsMeasAlgo.SHA256 }),
      A({ kind: 'tcg/pts-req-file-meas', directory: true, requestId, delimiter: 0x2f, path: dir }),
    ])) as (PaAttribute & { requestId?: number; files?: { filename: string; measurement: Uint8Array }[] })[];
  const flat = (out: Awaited<ReturnType<typeof ask>>) =>
    out.slice(1).flatMap((p) => p.files!.map((f) => [f.filename, Buffer.from(f.measurement).toString('hex')]));
  const first = await ask(7);
  assert.ok(first.length > 2, 'split into several parts');
  assert.deepEqual(
    flat(first),
    names.map((n) => [n, sha(n)]),
  );
  const second = await ask(8);
  assert.deepEqual(
    second.slice(1).map((p) => p.requestId),
    first.slice(1).map(() => 8),
  );
  assert.deepEqual(flat(second), flat(first));
  writeFileSync(join(dir, names[700]!), 'changed');
  const third = await ask(9);
  assert.deepEqual(flat(third)[700], [names[700], sha('changed')]);
  assert.deepEqual(flat(third).length, names.length);
});
