/** Manifests: sha256sum-compatible text form, JSON form, diff of every difference. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LimitError, ParseError } from '../../../src/common/index.ts';
import {
  diffManifests,
  emptyManifest,
  isEmptyDiff,
  parseManifest,
  parseManifestJson,
  parseManifestText,
  writeManifestJson,
  writeManifestText,
  type Manifest,
} from '../../../src/measure/manifest.ts';

const H = (c: string) => c.repeat(64);

test('text form: sha256sum lines with an algorithm header; escaped names; binary-mode separator', () => {
  const text = `# algorithm sha256\n${H('a')}  /usr/bin/a b\n\\${H('b')}  /weird\\nname\\\\x\n${H('c')} */bin/c\n`;
  const m = parseManifestText(text);
  assert.deepEqual(m.algorithms, ['sha256']);
  assert.deepEqual([...m.files.keys()], ['/usr/bin/a b', '/weird\nname\\x', '/bin/c']);
  assert.equal(m.files.get('/bin/c')!.sha256, H('c'));
  const out = writeManifestText(m);
  assert.equal(
    out,
    `# algorithm sha256\n${H('c')}  /bin/c\n${H('a')}  /usr/bin/a b\n\\${H('b')}  /weird\\nname\\\\x\n`,
  );
  assert.deepEqual(parseManifestText(out).files, m.files);
  // Without header the digest length names the algorithm (plain sha1sum output).
  assert.deepEqual(parseManifestText(`${'1'.repeat(40)}  /x\n`).algorithms, ['sha1']);
});

test('text form errors: bad hex, wrong length, duplicate, bad escape, limits', () => {
  assert.throws(() => parseManifestText(`# algorithm sha256\n${'z'.repeat(64)}  /x\n`), ParseError);
  assert.throws(() => parseManifestText(`# algorithm sha256\n${'a'.repeat(40)}  /x\n`), ParseError);
  assert.throws(
    () => parseManifestText(`${H('a')}  /x\n${H('b')}  /x\n`),
    (e: unknown) => e instanceof ParseError && /line\[2\]/.test(e.field),
  );
  assert.throws(() => parseManifestText(`\\${H('a')}  /x\\q\n`), ParseError);
  assert.throws(() => parseManifestText(`${H('a')}  /x\n${H('a')}  /y\n`, { maxFiles: 1 }), LimitError);
  assert.throws(() => parseManifestText(`${H('a')}  /${'x'.repeat(100)}\n`, { maxPathLength: 50 }), LimitError);
  assert.throws(() => parseManifestText(`# algorithm md5\n`), ParseError);
});

test('JSON form round-trips several algorithms and symlinks', () => {
  const m = emptyManifest(['sha1', 'sha256']);
  m.files.set('/a', { sha1: '1'.repeat(40), sha256: H('2') });
  m.symlinks.set('/l', '../a');
  const j = writeManifestJson(m);
  const back = parseManifest(j);
  assert.deepEqual(back, m);
  assert.equal(writeManifestJson(back), j);
  assert.throws(
    () => parseManifestJson('{"version":1,"algorithms":["sha256"],"files":{"/a":{"sha1":"00"}}}'),
    ParseError,
  );
  assert.throws(() => parseManifestJson('[1]'), ParseError);
  assert.throws(() => parseManifestJson('{'), ParseError);
});

test('diff reports every added, removed and changed file and symlink', () => {
  const a = emptyManifest(['sha256']);
  const b = emptyManifest(['sha256']);
  for (const p of ['/same', '/changed1', '/changed2', '/gone1', '/gone2']) a.files.set(p, { sha256: H('0') });
  b.files.set('/same', { sha256: H('0') });
  b.files.set('/changed1', { sha256: H('1') });
  b.files.set('/changed2', { sha256: H('2') });
  b.files.set('/new', { sha256: H('3') });
  a.symlinks.set('/l', 'x');
  b.symlinks.set('/l', 'y');
  const d = diffManifests(a, b);
  assert.deepEqual(d.added, ['/new']);
  assert.deepEqual(d.removed, ['/gone1', '/gone2']);
  assert.deepEqual(
    d.changed.map((c) => [c.path, c.from[0], c.to[0]]),
    [
      ['/changed1', '0', '1'],
      ['/changed2', '0', '2'],
    ],
  );
  assert.deepEqual(d.symlinks, [{ path: '/l', from: 'x', to: 'y' }]);
  assert.ok(isEmptyDiff(diffManifests(a, a)));
});

const pathArb = fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !s.includes('\r') && s.trim() === s);
const manifestArb: fc.Arbitrary<Manifest> = fc
  .dictionary(pathArb, fc.stringMatching(/^[0-9a-f]{64}$/), { maxKeys: 10 })
  .map((d) => {
    const m = emptyManifest(['sha256']);
    for (const [p, h] of Object.entries(d)) m.files.set(p, { sha256: h });
    return m;
  });

test('property: text and JSON write → parse → write are identical; diff against self is empty', () => {
  fc.assert(
    fc.property(manifestArb, (m) => {
      const t = writeManifestText(m);
      assert.equal(writeManifestText(parseManifestText(t)), t);
      const j = writeManifestJson(m);
      assert.equal(writeManifestJson(parseManifestJson(j)), j);
      assert.ok(isEmptyDiff(diffManifests(m, parseManifestText(t))));
    }),
    { numRuns: 200 },
  );
});
