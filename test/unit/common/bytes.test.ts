import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Reader, Writer, ParseError, LimitError, concat, fromHex, toHex } from '../../../src/common/index.ts';

test('Reader reads big-endian integers and reports absolute offsets with field paths', () => {
  const r = new Reader(fromHex('01 0203 040506 0708090a 0000000000000001'), 'msg');
  assert.equal(r.u8('a'), 1);
  assert.equal(r.u16('b'), 0x0203);
  assert.equal(r.u24('c'), 0x040506);
  assert.equal(r.u32('d'), 0x0708090a);
  assert.equal(r.u64('e'), 1n);
  assert.equal(r.remaining, 0);
  assert.throws(
    () => r.u8('f'),
    (e: unknown) => e instanceof ParseError && e.offset === 18 && e.field === 'msg.f',
  );
});

test('sub-readers keep absolute offsets and nest field names', () => {
  const r = new Reader(fromHex('aa 0003 010203 ff'), 'outer');
  r.u8('x');
  const len = r.u16('len');
  const s = r.sub(len, 'body');
  assert.equal(s.u8('first'), 1);
  s.u16('pair');
  assert.throws(
    () => s.u8('over'),
    (e: unknown) => e instanceof ParseError && e.offset === 6 && e.field === 'outer.body.over',
  );
  assert.equal(r.u8('tail'), 0xff);
  r.end();
});

test('declared lengths beyond the input fail before allocating', () => {
  const r = new Reader(fromHex('ffffffff'));
  const n = r.u32('len');
  assert.throws(() => r.bytes(n, 'data'), ParseError);
  assert.throws(() => r.bytes(-1, 'neg'), ParseError);
});

test('end() rejects trailing bytes', () => {
  const r = new Reader(fromHex('0102'));
  r.u8('a');
  assert.throws(() => r.end(), /1 trailing bytes/);
});

test('Writer back-patches length prefixes, with an adjustment for headers', () => {
  const w = new Writer(1);
  w.u8(9).lengthPrefixed(2, (x) => x.bytes(fromHex('010203')), 4);
  assert.equal(toHex(w.finish()), '090007010203');
  const at = w.reserve(4);
  w.utf8('hi');
  w.patch(at, 4, 0xdeadbeef);
  assert.equal(toHex(w.finish()), '090007010203deadbeef6869');
});

test('Writer refuses values that do not fit their field', () => {
  const w = new Writer();
  assert.throws(() => w.u8(256), LimitError);
  assert.throws(() => w.u16(-1), LimitError);
  assert.throws(() => w.u24(1 << 24), LimitError);
  assert.throws(() => w.u64(1n << 64n), LimitError);
});

test('property: every integer width round-trips through Writer and Reader', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xff }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 0xffffff }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      fc.uint8Array({ maxLength: 64 }),
      (a, b, c, d, e, f) => {
        const w = new Writer(1);
        w.u8(a).u16(b).u24(c).u32(d).u64(e).u32le(d).u64le(e).lengthPrefixed(2, (x) => x.bytes(f));
        const r = new Reader(w.finish());
        assert.equal(r.u8('a'), a);
        assert.equal(r.u16('b'), b);
        assert.equal(r.u24('c'), c);
        assert.equal(r.u32('d'), d);
        assert.equal(r.u64('e'), e);
        assert.equal(r.u32le('d'), d);
        assert.equal(r.u64le('e'), e);
        assert.deepEqual(r.bytes(r.u16('len'), 'f'), f);
        r.end();
      },
    ),
  );
});

test('property: reading random bytes only ever throws ParseError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 32 }), fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 12 }), (buf, ops) => {
      const r = new Reader(buf);
      try {
        for (const op of ops) {
          if (op === 0) r.u8('a');
          else if (op === 1) r.u16('b');
          else if (op === 2) r.u24('c');
          else if (op === 3) r.u32('d');
          else if (op === 4) r.u64('e');
          else if (op === 5) r.bytes(r.u8('n'), 'f');
          else r.sub(r.u8('n'), 's').rest();
        }
      } catch (e) {
        assert.ok(e instanceof ParseError, String(e));
      }
    }),
  );
});

test('concat joins buffers', () => {
  assert.equal(toHex(concat(fromHex('01'), new Uint8Array(0), fromHex('0203'))), '010203');
});
