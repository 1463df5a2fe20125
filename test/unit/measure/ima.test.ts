/**
 * IMA runtime measurement lists (Linux security/integrity/ima): ASCII and binary parsers, template hashes (the
 * ima-ng formula of INTEROP.md §7, computed independently here with createHash), violations, limits, builders.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { LimitError, ParseError, VerifyError, toHex } from '../../../src/common/index.ts';
import {
  bootAggregate,
  checkTemplateHashes,
  decodeEvent,
  encodeImaAscii,
  encodeImaBinary,
  isViolation,
  parseIma,
  parseImaAscii,
  parseImaBinary,
  templateHash,
  verifyTemplateHashes,
} from '../../../src/measure/ima.ts';
import { buildImaEntry, buildImaLog, type ImaMeasurement } from '../../../src/measure/ima-builder.ts';
import { imaExtends, replayIma, replayImaBinary, verifyImaList } from '../../../src/measure/replay.ts';
import { extend } from '../../../src/measure/hash.ts';

const sha = (alg: string, ...parts: (string | Uint8Array)[]) => {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  return h.digest();
};
const le32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

/** INTEROP.md §7: H(le32(len("algo:\0") + len(digest)) ‖ "algo:\0" ‖ digest ‖ le32(len(name) + 1) ‖ name ‖ "\0"). */
function imaNgTemplateHash(hashAlg: string, fileAlg: string, digest: Buffer, name: string): Buffer {
  const prefix = Buffer.from(`${fileAlg}:\0`);
  const n = Buffer.from(name);
  return sha(hashAlg, le32(prefix.length + digest.length), prefix, digest, le32(n.length + 1), n, Buffer.from([0]));
}

// A handwritten ima-ng list: boot_aggregate and two files; file digests are SHA-256 of known strings.
const SAMPLE = [
  { name: 'boot_aggregate', alg: 'sha256', digest: sha('sha256', 'pcr0-9') },
  { name: '/usr/bin/bash', alg: 'sha256', digest: sha('sha256', 'bash') },
  { name: '/etc/my file.conf', alg: 'sha256', digest: sha('sha256', 'conf') },
];
const sampleAscii = (hashAlg = 'sha1') =>
  SAMPLE.map(
    (s) =>
      `10 ${imaNgTemplateHash(hashAlg, s.alg, s.digest, s.name).toString('hex')} ima-ng ${s.alg}:${s.digest.toString('hex')} ${s.name}\n`,
  ).join('');
/** The binary twin, written field by field here (not with our encoder). */
const sampleBinary = (hashAlg = 'sha1') =>
  Buffer.concat(
    SAMPLE.flatMap((s) => {
      const d = Buffer.concat([Buffer.from(`${s.alg}:\0`), s.digest]);
      const n = Buffer.from(`${s.name}\0`);
      const data = Buffer.concat([le32(d.length), d, le32(n.length), n]);
      return [
        le32(10),
        imaNgTemplateHash(hashAlg, s.alg, s.digest, s.name),
        le32(6),
        Buffer.from('ima-ng'),
        le32(data.length),
        data,
      ];
    }),
  );

test('ima-ng ASCII sample and its binary twin parse to the same entries with valid template hashes', () => {
  const a = parseImaAscii(new TextEncoder().encode(sampleAscii()));
  const b = parseImaBinary(new Uint8Array(sampleBinary()));
  assert.equal(a.length, 3);
  assert.equal(b.length, 3);
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(a[i]!.fields.map(toHex), b[i]!.fields.map(toHex));
    assert.equal(toHex(a[i]!.templateHash), toHex(b[i]!.templateHash));
    const ev = decodeEvent(a[i]!)!;
    assert.equal(ev.path, SAMPLE[i]!.name);
    assert.equal(ev.digestAlg, 'sha256');
    assert.equal(toHex(ev.digest), SAMPLE[i]!.digest.toString('hex'));
  }
  assert.deepEqual(checkTemplateHashes(a, 'sha1'), []);
  assert.deepEqual(checkTemplateHashes(b, 'sha1'), []);
  // Our encoders reproduce both inputs byte for byte.
  assert.equal(Buffer.from(encodeImaAscii(a)).toString(), sampleAscii());
  assert.ok(Buffer.from(encodeImaBinary(b)).equals(sampleBinary()));
  // Auto-detection.
  assert.equal(parseIma(new Uint8Array(sampleBinary())).length, 3);
  assert.equal(parseIma(new TextEncoder().encode(sampleAscii())).length, 3);
});

test('per-bank lists: sha256 template digests are the SHA-256 of the same template data', () => {
  const a = parseImaAscii(new TextEncoder().encode(sampleAscii('sha256')));
  assert.deepEqual(checkTemplateHashes(a, 'sha256'), []);
  const b = parseImaBinary(new Uint8Array(sampleBinary('sha256')), { templateHashAlg: 'sha256' });
  assert.deepEqual(checkTemplateHashes(b, 'sha256'), []);
  // Replay of the sha256 bank = extend with the per-bank template hashes (Linux ≥ 5.8).
  let pcr = Buffer.alloc(32);
  for (const s of SAMPLE) pcr = sha('sha256', pcr, imaNgTemplateHash('sha256', s.alg, s.digest, s.name));
  assert.equal(toHex(replayIma(b, 'sha256')), pcr.toString('hex'));
  assert.equal(toHex(replayIma(a, 'sha256', { trustLogged: true })), pcr.toString('hex'));
  // Older kernels: SHA-1 template hash zero-padded in every bank.
  let old = Buffer.alloc(32);
  for (const s of SAMPLE) {
    old = sha('sha256', old, Buffer.concat([imaNgTemplateHash('sha1', s.alg, s.digest, s.name), Buffer.alloc(12)]));
  }
  assert.equal(toHex(replayIma(b, 'sha256', { mode: 'padded-sha1' })), old.toString('hex'));
});

test('a corrupted entry is reported with its entry and line number; every mismatch, not the first', () => {
  const text = sampleAscii().replace('/usr/bin/bash', '/usr/bin/bosh').replace('my file', 'your file');
  const entries = parseImaAscii(new TextEncoder().encode(text));
  const bad = checkTemplateHashes(entries, 'sha1');
  assert.deepEqual(
    bad.map((m) => [m.index, m.line, m.path]),
    [
      [1, 2, '/usr/bin/bosh'],
      [2, 3, '/etc/your file.conf'],
    ],
  );
  assert.throws(
    () => verifyTemplateHashes(entries, 'sha1'),
    (e: unknown) => e instanceof VerifyError && /entry 1 \(line 2\)/.test(e.message),
  );
  const bin = sampleBinary();
  bin[bin.length - 3]! ^= 1; // inside the last file name
  const mm = checkTemplateHashes(parseImaBinary(new Uint8Array(bin)), 'sha1');
  assert.equal(mm.length, 1);
  assert.equal(mm[0]!.index, 2);
  assert.ok(mm[0]!.offset! > 0);
});

test('malformed input fails with ParseError naming the line or entry', () => {
  const lines = sampleAscii().split('\n');
  lines[1] = lines[1]!.replace('ima-ng', 'ima-zz');
  assert.throws(
    () => parseImaAscii(new TextEncoder().encode(lines.join('\n'))),
    (e: unknown) => e instanceof ParseError && /line 2/.test(e.message),
  );
  const bin = sampleBinary();
  assert.throws(
    () => parseImaBinary(new Uint8Array(bin.subarray(0, bin.length - 1))),
    (e: unknown) => e instanceof ParseError && /entry\[2\]/.test(e.field),
  );
  // n-ng without its NUL.
  const noNul = Buffer.concat([
    le32(10),
    Buffer.alloc(20),
    le32(6),
    Buffer.from('ima-ng'),
    le32(16),
    le32(4),
    Buffer.from('x:\0a'),
    le32(4),
    Buffer.from('abcd'),
  ]);
  assert.throws(() => parseImaBinary(new Uint8Array(noNul)), ParseError);
});

test('limits cut off long lists and large entries', () => {
  const log = encodeImaBinary(
    buildImaLog(Array.from({ length: 10 }, (_, i) => ({ path: `/f${i}`, digest: new Uint8Array(32) }))),
  );
  assert.throws(() => parseImaBinary(log, { maxEntries: 9 }), LimitError);
  assert.equal(parseImaBinary(log, { maxEntries: 10 }).length, 10);
  assert.throws(() => parseImaBinary(log, { maxEntrySize: 10 }), LimitError);
  assert.throws(() => parseImaAscii(encodeImaAscii(parseImaBinary(log)), { maxEntries: 3 }), LimitError);
});

test('violations: all-zero template digest logged, all-0xff extended', () => {
  const entries = buildImaLog([
    { path: '/a', digest: sha('sha256', 'a') },
    { path: '/tmp/violated', digest: new Uint8Array(32), violation: true },
  ]);
  assert.ok(isViolation(entries[1]!));
  assert.equal(toHex(entries[1]!.templateHash), '00'.repeat(20));
  assert.deepEqual(checkTemplateHashes(entries, 'sha1'), []);
  const expected = sha(
    'sha256',
    sha('sha256', Buffer.alloc(32), imaNgTemplateHash('sha256', 'sha256', sha('sha256', 'a'), '/a')),
    Buffer.alloc(32, 0xff),
  );
  assert.equal(toHex(replayIma(entries, 'sha256')), expected.toString('hex'));
  const sha1Expected = sha('sha1', sha('sha1', Buffer.alloc(20), entries[0]!.templateHash), Buffer.alloc(20, 0xff));
  assert.equal(toHex(replayIma(entries, 'sha1')), sha1Expected.toString('hex'));
});

test('legacy "ima" template: d ‖ name padded to 256 bytes; binary without template data length', () => {
  const d = sha('sha1', 'x');
  const e = buildImaEntry({ path: '/bin/x', digest: d, template: 'ima' });
  const padded = Buffer.alloc(256);
  padded.write('/bin/x');
  assert.equal(toHex(e.templateHash), sha('sha1', d, padded).toString('hex'));
  const bin = Buffer.from(encodeImaBinary([e]));
  const expected = Buffer.concat([
    le32(10),
    e.templateHash,
    le32(3),
    Buffer.from('ima'),
    d,
    le32(6),
    Buffer.from('/bin/x'),
  ]);
  assert.ok(bin.equals(expected));
  const ascii = Buffer.from(encodeImaAscii([e])).toString();
  assert.equal(ascii, `10 ${toHex(e.templateHash)} ima ${d.toString('hex')} /bin/x\n`);
  assert.deepEqual(checkTemplateHashes(parseImaAscii(new Uint8Array(Buffer.from(ascii))), 'sha1'), []);
});

test('ima-sig without signature ends with a space; ima-buf carries hex data', () => {
  const e = buildImaEntry({ path: '/usr/bin/ls', digest: sha('sha256', 'ls'), template: 'ima-sig' });
  const line = Buffer.from(encodeImaAscii([e])).toString();
  assert.ok(line.endsWith(' /usr/bin/ls \n'));
  const s = buildImaEntry({
    path: '/a b',
    digest: sha('sha256', 'ls'),
    template: 'ima-sig',
    sig: new Uint8Array([3, 2, 1]),
  });
  const b = buildImaEntry({
    path: 'kexec-cmdline',
    digest: sha('sha256', 'c'),
    template: 'ima-buf',
    buf: new TextEncoder().encode('root=/dev/vda'),
  });
  const parsed = parseImaAscii(encodeImaAscii([e, s, b]));
  assert.equal(decodeEvent(parsed[1]!)!.path, '/a b');
  assert.equal(toHex(decodeEvent(parsed[1]!)!.sig!), '030201');
  assert.equal(new TextDecoder().decode(decodeEvent(parsed[2]!)!.buf), 'root=/dev/vda');
  assert.deepEqual(checkTemplateHashes(parsed, 'sha1'), []);
});

test('PCR indexes below 10 are right-aligned (%2d)', () => {
  const e = buildImaEntry({ path: '/x', digest: new Uint8Array(32), pcr: 9 });
  const text = Buffer.from(encodeImaAscii([e])).toString();
  assert.ok(text.startsWith(' 9 '));
  assert.equal(parseImaAscii(new Uint8Array(Buffer.from(text)))[0]!.pcr, 9);
});

test('boot_aggregate: PCRs 0-7 for SHA-1, 0-9 for other banks', () => {
  const pcrs = new Map<number, Uint8Array>();
  for (let i = 0; i < 10; i++) pcrs.set(i, sha('sha256', `pcr${i}`));
  const all = Buffer.concat([...pcrs.values()]);
  assert.equal(toHex(bootAggregate(pcrs, 'sha256')), sha('sha256', all).toString('hex'));
  const s1 = new Map([...pcrs].map(([k, v]) => [k, v.subarray(0, 20)]));
  assert.equal(
    toHex(bootAggregate(s1, 'sha1')),
    sha('sha1', Buffer.concat([...s1.values()].slice(0, 8))).toString('hex'),
  );
});

const measurementArb: fc.Arbitrary<ImaMeasurement> = fc
  .record({
    path: fc.string({ minLength: 0, maxLength: 40 }).filter((s) => !s.includes('\0') && !s.includes('\n')),
    template: fc.constantFrom('ima-ng' as const, 'ima-sig' as const, 'ima-buf' as const),
    alg: fc.constantFrom('sha1' as const, 'sha256' as const, 'sha512' as const),
    seed: fc.nat(),
    sig: fc.uint8Array({ maxLength: 16 }),
    violation: fc.boolean(),
  })
  .map((r) => ({
    path: r.path,
    template: r.template,
    alg: r.alg,
    digest: sha(r.alg, String(r.seed)),
    sig: r.sig,
    buf: r.sig,
    violation: r.violation,
  }));

test('property: build → binary/ASCII → parse → rebuild is byte-equal and template hashes check', () => {
  fc.assert(
    fc.property(
      fc.array(measurementArb, { maxLength: 8 }),
      fc.constantFrom('sha1' as const, 'sha256' as const),
      (ms, hashAlg) => {
        const entries = buildImaLog(ms, { templateHashAlg: hashAlg });
        const bin = encodeImaBinary(entries);
        const fromBin = parseImaBinary(bin, { templateHashAlg: hashAlg });
        assert.deepEqual(encodeImaBinary(fromBin), bin);
        assert.deepEqual(checkTemplateHashes(fromBin, hashAlg), []);
        const ascii = encodeImaAscii(entries);
        const fromAscii = parseImaAscii(ascii, { templateHashAlg: hashAlg });
        assert.deepEqual(encodeImaAscii(fromAscii), ascii);
        assert.deepEqual(encodeImaBinary(fromAscii), bin);
        assert.deepEqual(replayIma(fromAscii, 'sha256'), replayIma(fromBin, 'sha256'));
        for (const e of fromBin)
          assert.deepEqual(templateHash(e, hashAlg), isViolation(e) ? templateHash(e, hashAlg) : e.templateHash);
      },
    ),
    { numRuns: 200 },
  );
});

test('imaExtends reproduces the replay (what a TPM would be extended with)', () => {
  const entries = buildImaLog([
    { path: '/a', digest: sha('sha256', 'a') },
    { path: '/v', digest: new Uint8Array(32), violation: true },
    { path: '/b', digest: sha('sha256', 'b') },
  ]);
  let pcr: Uint8Array = new Uint8Array(32);
  for (const x of imaExtends(entries, 'sha256')) pcr = extend('sha256', pcr, x.digest);
  assert.deepEqual(pcr, replayIma(entries, 'sha256'));
});

test('verifyImaList checks and replays in one pass, reporting every mismatch and violation', () => {
  const entries = buildImaLog(
    [
      { path: '/a', digest: sha('sha256', 'a') },
      { path: '/v', digest: new Uint8Array(32), violation: true },
      { path: '/b', digest: sha('sha256', 'b') },
      { path: '/c', digest: sha('sha256', 'c') },
    ],
    { templateHashAlg: 'sha256' },
  );
  const good = verifyImaList(entries, { bank: 'sha256', templateHashAlg: 'sha256' });
  assert.deepEqual(good.mismatches, []);
  assert.deepEqual(good.violations, [1]);
  assert.deepEqual(good.pcrs.get(10), replayIma(entries, 'sha256'));
  const sha1Bank = verifyImaList(entries, { bank: 'sha1', templateHashAlg: 'sha256' });
  assert.deepEqual(sha1Bank.pcrs.get(10), replayIma(entries, 'sha1'));
  // Tamper with two entries' data: both reported, and the replay (of recomputed values) still reflects the data.
  const bad = parseImaBinary(encodeImaBinary(entries), { templateHashAlg: 'sha256' }).map((e, i) =>
    i === 2 || i === 3 ? { ...e, raw: undefined, fields: [e.fields[0]!, new TextEncoder().encode('/x\0')] } : e,
  );
  const r = verifyImaList(bad, { bank: 'sha256', templateHashAlg: 'sha256' });
  assert.deepEqual(
    r.mismatches.map((m) => [m.index, m.path]),
    [
      [2, '/x'],
      [3, '/x'],
    ],
  );
  assert.notDeepEqual(r.pcrs.get(10), good.pcrs.get(10));
});

test('property: replayImaBinary streams to exactly what verifyImaList(parseImaBinary(…)) gives, errors included', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          measurementArb,
          // Legacy "ima" entries and other PCRs, which the streaming path handles apart.
          fc
            .record({ path: fc.constantFrom('/legacy', 'boot_aggregate'), seed: fc.nat(), pcr: fc.nat({ max: 11 }) })
            .map((r): ImaMeasurement => ({
              path: r.path,
              template: 'ima',
              alg: 'sha1',
              digest: sha('sha1', String(r.seed)),
              pcr: r.pcr,
            })),
        ),
        { maxLength: 8 },
      ),
      fc.constantFrom('sha1' as const, 'sha256' as const),
      fc.constantFrom('sha1' as const, 'sha256' as const),
      fc.constantFrom('per-bank' as const, 'padded-sha1' as const),
      fc.option(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }))),
      (ms, templateHashAlg, bank, mode, flip) => {
        const bin = new Uint8Array(encodeImaBinary(buildImaLog(ms, { templateHashAlg })));
        // Tampering: one byte changed anywhere (framing, digest, template data).
        if (flip && bin.byteLength) bin[flip[0] % bin.byteLength]! ^= flip[1];
        const o = { bank, templateHashAlg, mode };
        let want: unknown;
        try {
          want = verifyImaList(parseImaBinary(bin, { templateHashAlg }), o);
        } catch (e) {
          want = e;
        }
        let got: unknown;
        try {
          got = replayImaBinary(bin, o);
        } catch (e) {
          got = e;
        }
        if (want instanceof Error) {
          assert.ok(got instanceof Error, 'replayImaBinary accepted what parseImaBinary rejects');
          assert.equal(got.constructor, want.constructor);
          assert.equal(got.message, want.message);
        } else assert.deepEqual(got, want);
      },
    ),
    { numRuns: 400 },
  );
});

test('replayImaBinary names every tampered entry and keeps the limits', () => {
  const entries = buildImaLog(
    ['/a', '/b', '/c'].map((path) => ({ path, digest: sha('sha256', path) })),
    { templateHashAlg: 'sha256' },
  );
  const bad = entries.map((e, i) =>
    i > 0 ? { ...e, raw: undefined, fields: [e.fields[0]!, new TextEncoder().encode('/x\0')] } : e,
  );
  const r = replayImaBinary(encodeImaBinary(bad), { bank: 'sha256', templateHashAlg: 'sha256' });
  assert.deepEqual(
    r.mismatches.map((m) => [m.index, m.path]),
    [
      [1, '/x'],
      [2, '/x'],
    ],
  );
  assert.throws(
    () =>
      replayImaBinary(encodeImaBinary(entries), {
        bank: 'sha256',
        templateHashAlg: 'sha256',
        limits: { maxEntries: 2 },
      }),
    LimitError,
  );
});
