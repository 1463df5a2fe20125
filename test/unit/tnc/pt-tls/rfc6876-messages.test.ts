/**
 * RFC 6876 PT-TLS message codecs and the stream framer: round trips, properties, malformed input, and every PT-TLS
 * message of the strongSwan 6.0.6 traces (./vectors) decoding and re-encoding byte-equal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { concat, fromHex, toHex } from '../../../../src/common/bytes.ts';
import { LimitError, ParseError } from '../../../../src/common/errors.ts';
import {
  PT_TLS_HEADER_LENGTH,
  PtTlsError,
  PtTlsErrorCode,
  PtTlsFramer,
  PtTlsType,
  SaslResult,
  decodePtTlsMessage,
  encodePtTlsMessage,
} from '../../../../src/tnc/pt-tls/index.ts';
import type { PtTlsValue } from '../../../../src/tnc/pt-tls/index.ts';
import { TRACE_FILES, readTrace } from './traces.ts';

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u24 = fc.integer({ min: 0, max: 0xffffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = fc.uint8Array({ maxLength: 300 });
const mech = fc.stringMatching(/^[A-Z0-9_-]{1,20}$/);

/** One arbitrary per message kind (including unknown types). */
const valueArb: fc.Arbitrary<PtTlsValue> = fc.oneof(
  fc.record({ kind: fc.constant('VersionRequest' as const), min: u8, max: u8, preferred: u8 }),
  fc.record({ kind: fc.constant('VersionResponse' as const), version: u8 }),
  fc.record({ kind: fc.constant('SaslMechanisms' as const), mechanisms: fc.array(mech, { maxLength: 6 }) }),
  fc.record({ kind: fc.constant('SaslMechanismSelection' as const), mechanism: mech, initialData: bytes }),
  fc.record({ kind: fc.constant('SaslAuthenticationData' as const), data: bytes }),
  fc.record({
    kind: fc.constant('SaslResult' as const),
    result: u16,
    data: bytes,
    form: fc.constant('rfc6876' as const),
  }),
  fc.record({
    kind: fc.constant('SaslResult' as const),
    result: u8,
    data: fc.constant(new Uint8Array(0)),
    form: fc.constant('octet' as const),
  }),
  fc.record({ kind: fc.constant('PbTncBatch' as const), batch: bytes }),
  fc.record({ kind: fc.constant('PtTlsError' as const), vendor: u24, code: u32, original: bytes }),
  fc
    .record({ kind: fc.constant('Unknown' as const), vendor: u24, type: u32, value: bytes })
    .filter((v) => v.vendor !== 0 || v.type === 0 || v.type > 8),
);

test('every message kind round-trips: encode → decode → encode byte-equal (property)', () => {
  fc.assert(
    fc.property(u32, valueArb, (id, v) => {
      const wire = encodePtTlsMessage(id, v);
      const m = decodePtTlsMessage(wire);
      assert.equal(m.header.identifier, id);
      assert.equal(m.header.length, wire.byteLength);
      assert.equal(m.header.reserved, 0);
      assert.deepEqual(m.value, { ...v });
      assert.deepEqual(encodePtTlsMessage(id, m.value), wire);
    }),
    { numRuns: 500 },
  );
});

test('known vectors: Version Request 1/1/1, Version Response 1, SASL Mechanisms, Error layout', () => {
  assert.equal(
    toHex(encodePtTlsMessage(0, { kind: 'VersionRequest', min: 1, max: 1, preferred: 1 })),
    '0000000000000001000000140000000000010101',
  );
  assert.equal(
    toHex(encodePtTlsMessage(0x100, { kind: 'VersionResponse', version: 1 })),
    '0000000000000002000000140000010000000001',
  );
  assert.equal(
    toHex(encodePtTlsMessage(7, { kind: 'SaslMechanisms', mechanisms: ['PLAIN', 'SCRAM-SHA-256'] })),
    '00000000000000030000002400000007' + '05504c41494e' + '0d534352414d2d5348412d323536',
  );
  const e = encodePtTlsMessage(9, {
    kind: 'PtTlsError',
    vendor: 0,
    code: PtTlsErrorCode.VERSION_NOT_SUPPORTED,
    original: fromHex('0000000000000001000000140000000000020202'),
  });
  assert.equal(
    toHex(e),
    '00000000000000080000002c00000009' + '0000000000000002' + '0000000000000001000000140000000000020202',
  );
});

test('error code and type numbers follow the IANA PT-TLS registries', () => {
  assert.deepEqual(
    [
      PtTlsErrorCode.MALFORMED_MESSAGE,
      PtTlsErrorCode.VERSION_NOT_SUPPORTED,
      PtTlsErrorCode.TYPE_NOT_SUPPORTED,
      PtTlsErrorCode.INVALID_MESSAGE,
      PtTlsErrorCode.SASL_MECHANISM_ERROR,
      PtTlsErrorCode.INVALID_PARAMETER,
    ],
    [1, 2, 3, 4, 5, 6],
  );
  assert.equal(PtTlsType.PB_TNC_BATCH, 7);
  assert.equal(PtTlsType.PT_TLS_ERROR, 8);
});

test('SASL Result: both wire forms decode; strongSwan reads only the first octet', () => {
  const octet = encodePtTlsMessage(0x102, {
    kind: 'SaslResult',
    result: SaslResult.SUCCESS,
    data: new Uint8Array(0),
    form: 'octet',
  });
  const rfc = encodePtTlsMessage(0x102, {
    kind: 'SaslResult',
    result: SaslResult.SUCCESS,
    data: new Uint8Array(0),
    form: 'rfc6876',
  });
  assert.equal(toHex(octet), '0000000000000006000000110000010200');
  assert.equal(toHex(rfc), '000000000000000600000012000001020000');
  for (const w of [octet, rfc]) {
    const v = decodePtTlsMessage(w).value;
    assert.ok(v.kind === 'SaslResult' && v.result === SaslResult.SUCCESS);
  }
  // What libpttls' client does (read_uint8 of the value): fine for Success in both forms, but the RFC form of
  // Abort reads as Success, which is why the server sends strongSwan the one-octet form.
  const strongSwanReads = (wire: Uint8Array) => wire[PT_TLS_HEADER_LENGTH];
  const abort = (form: 'octet' | 'rfc6876') =>
    encodePtTlsMessage(1, { kind: 'SaslResult', result: SaslResult.ABORT, data: new Uint8Array(0), form });
  assert.equal(strongSwanReads(abort('octet')), SaslResult.ABORT);
  assert.equal(strongSwanReads(abort('rfc6876')), SaslResult.SUCCESS);
});

test('malformed messages map to their PT-TLS error codes and carry the original', () => {
  const code = (hex: string) => {
    try {
      decodePtTlsMessage(fromHex(hex));
    } catch (e) {
      assert.ok(e instanceof PtTlsError, String(e));
      assert.ok(e.data && e.data.byteLength > 0);
      return e.wireCode;
    }
    return -1;
  };
  // Message Length below the header size.
  assert.equal(code('00000000000000010000000f0000000000010101'), PtTlsErrorCode.INVALID_PARAMETER);
  // Length does not match the bytes.
  assert.equal(code('0000000000000001000000150000000000010101'), PtTlsErrorCode.MALFORMED_MESSAGE);
  // Version Request with 3 value bytes, and with 5.
  assert.equal(code('00000000000000010000001300000000000101'), PtTlsErrorCode.MALFORMED_MESSAGE);
  assert.equal(code('000000000000000100000015000000000001010101'), PtTlsErrorCode.MALFORMED_MESSAGE);
  // SASL Mechanisms: a name longer than the value, a lower-case name, a zero-length name.
  assert.equal(code('00000000000000030000001400000000' + '0a504c41'), PtTlsErrorCode.MALFORMED_MESSAGE);
  assert.equal(code('00000000000000030000001600000000' + '05706c61696e'), PtTlsErrorCode.MALFORMED_MESSAGE);
  assert.equal(code('00000000000000030000001100000000' + '00'), PtTlsErrorCode.MALFORMED_MESSAGE);
  // SASL Result without a code; PT-TLS Error shorter than its 8 fixed bytes.
  assert.equal(code('00000000000000060000001000000000'), PtTlsErrorCode.MALFORMED_MESSAGE);
  assert.equal(code('00000000000000080000001400000000' + '00000000'), PtTlsErrorCode.MALFORMED_MESSAGE);
  // Shorter than a header.
  assert.equal(code('000000000000'), PtTlsErrorCode.MALFORMED_MESSAGE);
});

test('the 3 reserved bits before a mechanism name length are ignored (strongSwan masks 0x1f)', () => {
  const v = decodePtTlsMessage(fromHex('00000000000000030000001600000000' + 'e5504c41494e')).value;
  assert.deepEqual(v, { kind: 'SaslMechanisms', mechanisms: ['PLAIN'] });
});

test('unknown vendor or type decodes to Unknown with the raw value', () => {
  const v = decodePtTlsMessage(fromHex('0000902a00000007000000130000000561626364'.slice(0, 38))).value;
  assert.deepEqual(v, { kind: 'Unknown', vendor: 0x902a, type: 7, value: fromHex('616263') });
  const x = decodePtTlsMessage(fromHex('00000000000000090000001000000005')).value;
  assert.deepEqual(x, { kind: 'Unknown', vendor: 0, type: 9, value: new Uint8Array(0) });
});

test('strongSwan traces: every raw PT-TLS message and every reply decodes and re-encodes byte-equal', () => {
  let n = 0;
  for (const f of TRACE_FILES) {
    for (const e of readTrace(f).events) {
      if (!('raw' in e)) continue;
      const m = decodePtTlsMessage(e.raw);
      assert.notEqual(m.value.kind, 'Unknown');
      assert.deepEqual(encodePtTlsMessage(m.header.identifier, m.value), e.raw, `${f}: ${toHex(e.raw)}`);
      if (e.from === 'strongswan') {
        assert.equal(m.header.type, e.type);
        assert.equal(m.header.identifier, e.id);
        if (e.batch) assert.ok(m.value.kind === 'PbTncBatch' && toHex(m.value.batch) === toHex(e.batch));
      }
      n++;
    }
  }
  assert.equal(n, 24, 'all 24 PT-TLS messages of the three traces');
});

// ---- framer ---------------------------------------------------------------------------------------------------

const messagesArb = fc
  .array(fc.tuple(u32, valueArb), { minLength: 1, maxLength: 8 })
  .map((l) => l.map(([id, v]) => encodePtTlsMessage(id, v)));

test('framer: any chunking of a message stream yields exactly the messages (property)', () => {
  fc.assert(
    fc.property(
      messagesArb,
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 40 }),
      (msgs, cuts) => {
        const stream = concat(...msgs);
        const f = new PtTlsFramer();
        const out: Uint8Array[] = [];
        let at = 0;
        let i = 0;
        while (at < stream.byteLength) {
          const n = cuts[i++ % cuts.length] as number;
          out.push(...f.push(stream.subarray(at, at + n)));
          at += n;
        }
        f.end();
        assert.deepEqual(out, msgs);
        assert.equal(f.buffered, 0);
      },
    ),
    { numRuns: 300 },
  );
});

test('framer: an oversize length is refused from the header alone, with the wire answer as cause', () => {
  const f = new PtTlsFramer({ maxMessageSize: 1024 });
  const head = fromHex('00000000000000070000040100000003');
  assert.throws(
    () => f.push(head),
    (e: unknown) =>
      e instanceof LimitError &&
      e.cause instanceof PtTlsError &&
      e.cause.wireCode === PtTlsErrorCode.INVALID_PARAMETER &&
      toHex(e.cause.data ?? new Uint8Array(0)) === toHex(head),
  );
  // Stays failed.
  assert.throws(() => f.push(new Uint8Array(1)), LimitError);
  // Exactly the maximum passes.
  const ok = new PtTlsFramer({ maxMessageSize: 1024 });
  const big = encodePtTlsMessage(1, { kind: 'PbTncBatch', batch: new Uint8Array(1024 - 16) });
  assert.deepEqual(ok.push(big), [big]);
});

test('framer: a length below 16 is Invalid Parameter; a truncated stream is a ParseError at end', () => {
  const f = new PtTlsFramer();
  assert.throws(
    () => f.push(fromHex('00000000000000070000000800000003')),
    (e: unknown) => e instanceof PtTlsError && e.wireCode === PtTlsErrorCode.INVALID_PARAMETER,
  );
  const g = new PtTlsFramer();
  assert.deepEqual(g.push(fromHex('000000000000000700000018000000')), []);
  assert.equal(g.buffered, 15);
  assert.throws(() => g.end(), ParseError);
  assert.throws(() => new PtTlsFramer({ maxMessageSize: 15 }), LimitError);
});
