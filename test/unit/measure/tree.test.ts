/** File-tree measurement against sha256sum, symlinks, special files, unreadable names, limits, the cache, measure(). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  mkdtempSync,
  mkdirSync,
  writeFileSync,
  symlinkSync,
  rmSync,
  appendFileSync,
  readFileSync,
  utimesSync,
  lstatSync,
} from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { LimitError } from '../../../src/common/index.ts';
import { measureTree, treeManifest, TreePool } from '../../../src/measure/tree.ts';
import { TreeCache, nsToMs } from '../../../src/measure/tree-cache.ts';
import { isRacy } from '../../../src/measure/tree-hash.ts';
import { measure } from '../../../src/measure/cli.ts';
import { parseManifest, diffManifests } from '../../../src/measure/manifest.ts';
import { hasCommand } from '../../support/env.ts';

function makeTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'attestd-tree-'));
  mkdirSync(join(dir, 'a/b/c'), { recursive: true });
  mkdirSync(join(dir, 'empty-dir'));
  writeFileSync(join(dir, 'empty'), '');
  writeFileSync(join(dir, 'a/one'), 'one\n');
  writeFileSync(join(dir, 'a/b/with space'), 'two');
  const big = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < big.length; i += 32) createHash('sha256').update(String(i)).digest().copy(big, i);
  writeFileSync(join(dir, 'a/b/c/big'), big);
  for (let i = 0; i < 100; i++) writeFileSync(join(dir, 'a/b', `f${i}`), `file ${i}`.repeat(i));
  symlinkSync('../one', join(dir, 'a/b/link-in'));
  symlinkSync('/etc/passwd', join(dir, 'link-out'));
  symlinkSync(join(dir, 'a'), join(dir, 'link-dir'));
  return dir;
}

function sha256sum(dir: string): Map<string, string> {
  const out = execFileSync('sh', ['-c', `find "${dir}" -type f -print0 | xargs -0 sha256sum`]).toString();
  return new Map(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(66), l.slice(0, 64)]),
  );
}

test('digests equal sha256sum for every regular file; symlinks recorded, not followed', async (t) => {
  const dir = makeTree();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ref = sha256sum(dir);
  for (const concurrency of [0, 2]) {
    const r = await measureTree([dir], { concurrency, inlineThreshold: 0 });
    assert.equal(r.stats.files, ref.size);
    for (const f of r.files) assert.equal(f.digests.sha256, ref.get(f.path), f.path);
    assert.deepEqual(
      r.symlinks.map((s) => [s.path.slice(dir.length), s.target]),
      [
        ['/a/b/link-in', '../one'],
        ['/link-dir', join(dir, 'a')],
        ['/link-out', '/etc/passwd'],
      ],
    );
    assert.ok(!r.files.some((f) => f.path.includes('link')));
    assert.equal(
      r.stats.bytes,
      r.files.reduce((n, f) => n + f.size, 0),
    );
    assert.deepEqual(r.errors, []);
  }
});

test('several algorithms from one read equal the coreutils tools', async (t) => {
  const dir = makeTree();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = await measureTree([dir], {
    algorithms: ['sha1', 'sha256', 'sha384', 'sha512'],
    concurrency: 2,
    inlineThreshold: 0,
  });
  const big = r.files.find((f) => f.path.endsWith('/big'))!;
  const data = readFileSync(big.path);
  for (const a of ['sha1', 'sha256', 'sha384', 'sha512'] as const) {
    assert.equal(big.digests[a], createHash(a).update(data).digest('hex'));
  }
  const sha512 = execFileSync('sha512sum', [join(dir, 'a/one')])
    .toString()
    .slice(0, 128);
  assert.equal(r.files.find((f) => f.path.endsWith('/a/one'))!.digests.sha512, sha512);
});

test('special files are skipped; names that are not UTF-8 are reported and the walk goes on', async (t) => {
  const dir = makeTree();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  if (hasCommand('mkfifo')) spawnSync('mkfifo', [join(dir, 'fifo')]);
  // A name that is not UTF-8 cannot be opened through a string path: reported as an error.
  writeFileSync(Buffer.from([...Buffer.from(join(dir, 'bad-')), 0xff, 0xfe]), 'x');
  const r = await measureTree([dir], { concurrency: 0 });
  assert.equal(r.stats.skipped, hasCommand('mkfifo') ? 1 : 0);
  assert.ok(r.errors.some((e) => e.path.includes('bad-') && e.code === 'ENOENT'));
  assert.equal(r.stats.files, sha256sum(dir).size - 1);
  const nested = await measureTree([join(dir, 'a'), dir, join(dir, 'a/b')], { concurrency: 0 });
  assert.equal(nested.stats.files, r.stats.files);
  const missing = await measureTree([join(dir, 'nope')]);
  assert.equal(missing.errors[0]!.code, 'ENOENT');
});

test('unreadable files and directories are reported with EACCES and the walk goes on', async (t) => {
  // As root, permissions do not bind: run the measurement as nobody (setpriv) in a child process.
  const asRoot = process.getuid?.() === 0;
  if (asRoot && !hasCommand('setpriv')) {
    t.skip('needs setpriv to drop root');
    return;
  }
  const dir = makeTree();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'secret'), 'x', { mode: 0o000 });
  mkdirSync(join(dir, 'closed'), { mode: 0o000 });
  const script = `import { measureTree } from ${JSON.stringify(new URL('../../../src/measure/tree.ts', import.meta.url).pathname)};
const r = await measureTree([${JSON.stringify(dir)}], { concurrency: 0 });
console.log(JSON.stringify({ files: r.stats.files, errors: r.errors.map((e) => [e.path, e.code]) }));`;
  const argv = ['--input-type=module', '-e', script];
  chmodSync(dir, 0o755);
  const child = asRoot
    ? spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...argv])
    : spawnSync(process.execPath, argv);
  assert.equal(child.status, 0, child.stderr.toString());
  const out = JSON.parse(child.stdout.toString()) as { files: number; errors: [string, string][] };
  assert.deepEqual(out.errors, [
    [join(dir, 'closed'), 'EACCES'],
    [join(dir, 'secret'), 'EACCES'],
  ]);
  assert.equal(out.files, sha256sum(dir).size - 1);
});

test('limits: max files and max path length raise LimitError', async (t) => {
  const dir = makeTree();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await assert.rejects(measureTree([dir], { maxFiles: 10 }), LimitError);
  await assert.rejects(measureTree([dir], { maxPathLength: dir.length + 5 }), LimitError);
});

test('cache: second pass hits; touch or modify re-hashes only that file; removed files leave the cache', async (t) => {
  const dir = makeTree();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Files changed within the timestamp window before reading are not cached; backdate the tree.
  const past = new Date(Date.now() - 60_000);
  for (const f of (await measureTree([dir])).files) utimesSync(f.path, past, past);
  await new Promise((r) => setTimeout(r, 50));
  const cache = new TreeCache();
  const first = await measureTree([dir], { cache, concurrency: 2, inlineThreshold: 0 });
  assert.equal(first.stats.cacheHits, 0);
  assert.equal(cache.size, first.stats.files);
  const cacheFile = join(dir, '..', `${dir.split('/').pop()}.cache.json`);
  t.after(() => rmSync(cacheFile, { force: true }));
  await cache.save(cacheFile);
  const loaded = await TreeCache.load(cacheFile);
  const second = await measureTree([dir], { cache: loaded });
  assert.equal(second.stats.hashedFiles, 0);
  assert.equal(second.stats.cacheHits, first.stats.files);
  assert.deepEqual(
    second.files.map((f) => f.digests),
    first.files.map((f) => f.digests),
  );

  const one = join(dir, 'a/one');
  await new Promise((r) => setTimeout(r, 30));
  appendFileSync(one, 'changed');
  const third = await measureTree([dir], { cache: loaded });
  assert.equal(third.stats.hashedFiles, 1);
  assert.equal(
    third.files.find((f) => f.path === one)!.digests.sha256,
    createHash('sha256').update('one\nchanged').digest('hex'),
  );
  // touch (same content, new mtime) also re-hashes.
  const now = new Date();
  utimesSync(join(dir, 'empty'), now, now);
  const fourth = await measureTree([dir], { cache: loaded });
  assert.ok(fourth.stats.hashedFiles >= 1 && fourth.stats.hashedFiles <= 2, `hashed ${fourth.stats.hashedFiles}`);
  rmSync(join(dir, 'a/b/f1'));
  await measureTree([dir], { cache: loaded });
  assert.ok(!loaded.entries.has(join(dir, 'a/b/f1')));
  assert.ok(loaded.entries.has(join(dir, 'a/b/f2')));
  // A corrupt cache file is an empty cache, never an error.
  writeFileSync(cacheFile, '{not json');
  assert.equal((await TreeCache.load(cacheFile)).size, 0);
});

test('a kept pool serves several passes', async (t) => {
  const dir = makeTree();
  const pool = new TreePool(2);
  t.after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const a = await measureTree([dir], { pool, inlineThreshold: 0 });
  const b = await measureTree([dir], { pool, inlineThreshold: 0 });
  assert.deepEqual(treeManifest(a), treeManifest(b));
});

test('measure(): writes a sha256sum-compatible manifest and uses the cache file', async (t) => {
  const dir = makeTree();
  const out = mkdtempSync(join(tmpdir(), 'attestd-measure-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  });
  const manifest = join(out, 'm.sha256');
  const r = await measure([dir], { manifest, cache: join(out, 'cache.json') });
  assert.equal(r.stats.files, r.manifest.files.size);
  const check = spawnSync('sha256sum', ['-c', '--quiet', manifest]);
  assert.equal(check.status, 0, check.stderr.toString());
  const parsed = parseManifest(readFileSync(manifest, 'utf8'));
  assert.equal(parsed.files.size, r.stats.files);
  writeFileSync(join(dir, 'a/one'), 'other');
  const again = await measure([dir], {
    manifest: join(out, 'm.json'),
    cache: join(out, 'cache.json'),
    algorithms: ['sha256', 'sha1'],
  });
  const d = diffManifests(parsed, parseManifest(readFileSync(join(out, 'm.json'), 'utf8')));
  assert.deepEqual(
    d.changed.map((c) => c.path),
    [join(dir, 'a/one')],
  );
  assert.deepEqual(d.added, []);
  assert.equal(again.errors.length, 0);
});

test('racy timestamps: files changed within a timestamp tick of their reading are not trusted by the cache', () => {
  const now = Date.now();
  const ns = (ms: number) => BigInt(ms) * 1_000_000n + 123n;
  assert.equal(isRacy(ns(now - 5), now), true);
  assert.equal(isRacy(ns(now - 1000), now), false);
  // Whole-second timestamps (coarse file systems) need a wider window.
  const wholeSecond = (BigInt(now) / 1000n - 1n) * 1_000_000_000n;
  assert.equal(isRacy(wholeSecond, now), true);
  assert.equal(isRacy(wholeSecond - 5_000_000_000n, now), false);
});

test('cache passes agree with uncached ones whoever makes the lstat calls (the walk, or a kept pool)', async (t) => {
  const dir = makeTree();
  const pool = new TreePool(2);
  t.after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const past = new Date(Date.now() - 60_000);
  for (const f of (await measureTree([dir])).files) utimesSync(f.path, past, past);
  await new Promise((r) => setTimeout(r, 50)); // ctime leaves the racy window
  const cache = new TreeCache();
  await measureTree([dir], { cache, pool });
  const saved = cache.toJson();
  // Changes of every kind: content, a file replaced by a symlink and by a directory, a removal, a new file.
  appendFileSync(join(dir, 'a/b/f7'), 'more');
  rmSync(join(dir, 'a/b/f8'));
  symlinkSync('f9', join(dir, 'a/b/f8'));
  rmSync(join(dir, 'a/b/f10'));
  mkdirSync(join(dir, 'a/b/f10'));
  writeFileSync(join(dir, 'a/b/f10/inner'), 'inner');
  rmSync(join(dir, 'a/b/f11'));
  writeFileSync(join(dir, 'a/new'), 'new');
  const truth = treeManifest(await measureTree([dir]));
  for (const mode of ['walk', 'pool'] as const) {
    const c = TreeCache.fromJson(saved);
    const r = await measureTree([dir], mode === 'pool' ? { cache: c, pool, poolStatMin: 1 } : { cache: c });
    assert.deepEqual(treeManifest(r), truth, mode);
    assert.equal(r.stats.hashedFiles, 3, `${mode}: f7, f10/inner and new are hashed`);
    assert.equal(r.stats.cacheHits, r.stats.files - 3, mode);
    assert.ok(!c.entries.has(join(dir, 'a/b/f11')) && !c.entries.has(join(dir, 'a/b/f8')), mode);
  }
});

test('nsToMs gives the millisecond double a plain lstat holds (fast path and BigInt path agree)', () => {
  for (const p of [import.meta.filename, tmpdir(), '/etc/hostname']) {
    let big;
    try {
      big = lstatSync(p, { bigint: true });
    } catch {
      continue;
    }
    const plain = lstatSync(p);
    assert.equal(nsToMs(String(big.mtimeNs)), plain.mtimeMs, p);
    assert.equal(nsToMs(String(big.ctimeNs)), plain.ctimeMs, p);
  }
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 2n ** 62n }), (ns) => {
      const b = ns;
      assert.equal(nsToMs(String(ns)), Number(b / 1_000_000_000n) * 1e3 + Number(b % 1_000_000_000n) / 1e6);
    }),
  );
  assert.equal(nsToMs('-1500000000'), -1500);
});
