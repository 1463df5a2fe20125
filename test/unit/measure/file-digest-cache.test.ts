/**
 * The attester's file digest cache (src/measure/file-digest-cache.ts): a digest is reused only for the very same
 * (dev, ino, size, mtime, ctime); digests of files changed within the racy window before they were read are never
 * stored; the oldest entry makes room when full.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FileDigestCache, isRacyMs, type FileStamp } from '../../../src/measure/file-digest-cache.ts';

const NOW = 1_750_000_000_123.5;
const stamp = (o: Partial<FileStamp> = {}): FileStamp => ({
  dev: 2049,
  ino: 131_075,
  size: 1024,
  mtimeMs: NOW - 60_000.25,
  ctimeMs: NOW - 60_000.25,
  ...o,
});
const D = Uint8Array.of(1, 2, 3);

test('a stored digest is returned for the same stamp and algorithm only', () => {
  const c = new FileDigestCache();
  c.store('/t/f', stamp(), NOW, 'sha256', D);
  assert.equal(c.lookup('/t/f', stamp(), 'sha256'), D);
  assert.equal(c.lookup('/t/f', stamp(), 'sha1'), undefined);
  assert.equal(c.lookup('/t/g', stamp(), 'sha256'), undefined);
  for (const changed of [
    { dev: 2050 },
    { ino: 131_076 },
    { size: 1025 },
    { mtimeMs: NOW - 60_000.5 },
    { ctimeMs: NOW - 1000.001 },
  ]) {
    assert.equal(c.lookup('/t/f', stamp(changed), 'sha256'), undefined, JSON.stringify(changed));
  }
  assert.equal(c.hits, 1);
  assert.equal(c.misses, 7);
});

test('a file changed within the racy window before it was read is not stored (and its old entry goes)', () => {
  assert.equal(isRacyMs(NOW - 19.9, NOW), true);
  assert.equal(isRacyMs(NOW - 20.1, NOW), false);
  // whole-second timestamps (a coarse file system): two seconds
  assert.equal(isRacyMs(1_750_000_000_000, 1_750_000_001_900), true);
  assert.equal(isRacyMs(1_750_000_000_000, 1_750_000_002_100), false);
  const c = new FileDigestCache();
  c.store('/t/f', stamp(), NOW, 'sha256', D);
  const fresh = stamp({ ctimeMs: NOW - 5, mtimeMs: NOW - 5 });
  c.store('/t/f', fresh, NOW, 'sha256', Uint8Array.of(9));
  assert.equal(c.size, 0);
  assert.equal(c.lookup('/t/f', fresh, 'sha256'), undefined);
  assert.equal(c.lookup('/t/f', stamp(), 'sha256'), undefined);
});

test('several algorithms per file; a new stamp replaces the entry; the oldest entry makes room', () => {
  const c = new FileDigestCache({ maxEntries: 2 });
  c.store('/a', stamp(), NOW, 'sha256', D);
  c.store('/a', stamp(), NOW, 'sha1', Uint8Array.of(4));
  assert.deepEqual(c.lookup('/a', stamp(), 'sha1'), Uint8Array.of(4));
  c.store('/a', stamp({ size: 7 }), NOW, 'sha256', Uint8Array.of(5));
  assert.equal(c.lookup('/a', stamp({ size: 7 }), 'sha1'), undefined);
  assert.deepEqual(c.lookup('/a', stamp({ size: 7 }), 'sha256'), Uint8Array.of(5));
  c.store('/b', stamp(), NOW, 'sha256', D);
  c.store('/c', stamp(), NOW, 'sha256', D);
  assert.equal(c.size, 2);
  assert.equal(c.lookup('/a', stamp({ size: 7 }), 'sha256'), undefined);
  assert.equal(c.lookup('/c', stamp(), 'sha256'), D);
  assert.equal(new FileDigestCache({ maxEntries: 0 }).size, 0);
});
