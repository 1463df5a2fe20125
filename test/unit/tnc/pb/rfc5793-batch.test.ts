/**
 * PB-TNC batch and message codecs (RFC 5793 §4) and the PB-Error every malformed batch must get, with strongSwan's
 * rules (tnccs_20/batch/pb_tnc_batch.c).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LimitError, Writer, fromHex, toHex } from '../../../../src/common/index.ts';
import {
  PbBatchError,
  PbBatchType,
  PbErrorCode,
  decodeBatch,
  encodeBatch,
  pbMessageCodecs,
} from '../../../../src/tnc/pb/index.ts';
import type { PbBatch, PbError, PbMessage } from '../../../../src/tnc/pb/index.ts';
import { pbBatch, pbMessage } from './arbitraries.ts';

/** Builds a batch by hand: header fields and raw message bytes. */
function rawBatch(
  opts: { version?: number; flags?: number; type?: number; length?: number },
  ...messages: Uint8Array[]
): Uint8Array {
  const body = new Writer();
  for (const m of messages) body.bytes(m);
  const b = body.finish();
  const w = new Writer();
  w.u8(opts.version ?? 2)
    .u8(opts.flags ?? 0)
    .u8(0)
    .u8(opts.type ?? PbBatchType.CDATA);
  w.u32(opts.length ?? 8 + b.byteLength).bytes(b);
  return w.finish();
}
function rawMessage(
  flags: number,
  vendor: number,
  type: number,
  value: Uint8Array,
  length = 12 + value.byteLength,
): Uint8Array {
  return new Writer().u8(flags).u24(vendor).u32(type).u32(length).bytes(value).finish();
}
function errorOf(bytes: Uint8Array): PbError {
  try {
    decodeBatch(bytes);
  } catch (e) {
    assert.ok(e instanceof PbBatchError, String(e));
    assert.equal(e.error.fatal, true);
    return e.error;
  }
  assert.fail('batch was accepted');
}
const offsetError = (code: number, offset: number) => ({
  kind: 'error',
  fatal: true,
  errorVendor: 0,
  code,
  info: { format: 'offset', offset },
});

test('every message type round-trips (encode → decode → encode) — property', () => {
  fc.assert(
    fc.property(pbBatch, (batch) => {
      const bytes = encodeBatch(batch);
      const d = decodeBatch(bytes);
      assert.equal(d.type, batch.type);
      assert.equal(d.fromServer, batch.fromServer);
      assert.deepEqual(d.messages, structuredClone(batch.messages));
      assert.equal(toHex(encodeBatch(d)), toHex(bytes));
    }),
    { numRuns: 500 },
  );
});

test('each message kind appears in the arbitrary and in the codec table', () => {
  const kinds = new Set<string>();
  fc.assert(
    fc.property(pbMessage, (m: PbMessage) => void kinds.add(m.kind)),
    { numRuns: 400 },
  );
  for (const c of pbMessageCodecs) assert.ok(kinds.has(c.kind), c.kind);
  assert.ok(kinds.has('unknown'));
});

test('RFC 5793 §4.1 header layout: version 2, D flag, type, length including the header', () => {
  const b = encodeBatch({
    type: PbBatchType.RESULT,
    fromServer: true,
    messages: [{ kind: 'access-recommendation', recommendation: 1 }],
  });
  // Access-Recommendation is NOSKIP clear (strongSwan), 16 bytes: reserved(16) + code(16).
  assert.equal(toHex(b), '0280000300000018' + '00000000000000030000001000000001');
  const c = encodeBatch({
    type: PbBatchType.CDATA,
    fromServer: false,
    messages: [{ kind: 'assessment-result', result: 0 }],
  });
  assert.equal(toHex(c).slice(16, 18), '80', 'Assessment-Result carries NOSKIP');
});

test('PB-Remediation-Parameters in URI and string forms and PB-Reason-String encode as RFC 5793 §4.8/§4.11', () => {
  const b = encodeBatch({
    type: PbBatchType.RESULT,
    fromServer: true,
    messages: [
      { kind: 'remediation-parameters', parameters: { form: 'uri', uri: 'http://x' } },
      { kind: 'remediation-parameters', parameters: { form: 'string', text: 'fix', lang: 'en' } },
      { kind: 'reason-string', reason: 'ok', language: 'de' },
    ],
  });
  const hex = toHex(b);
  assert.ok(hex.includes('000000040000001c' + '00000000' + '00000001' + toHex(new TextEncoder().encode('http://x'))));
  assert.ok(hex.includes('000000040000001e' + '00000000' + '00000002' + '00000003' + '666978' + '02' + '656e'));
  assert.ok(hex.includes('0000000700000015' + '00000002' + '6f6b' + '02' + '6465'));
});

test('version ≠ 2 → PB-Error "version not supported" with bad version, max 2, min 2', () => {
  const e = errorOf(rawBatch({ version: 1 }));
  assert.deepEqual(e, {
    kind: 'error',
    fatal: true,
    errorVendor: 0,
    code: PbErrorCode.VERSION_NOT_SUPPORTED,
    info: { format: 'version', badVersion: 1, maxVersion: 2, minVersion: 2 },
  });
  // and it encodes as RFC 5793 §4.9.2: bad, max, min, reserved
  const out = encodeBatch({ type: PbBatchType.CLOSE, fromServer: true, messages: [e] });
  assert.equal(toHex(out).slice(16), '80000000' + '00000005' + '00000018' + '80000000' + '00040000' + '01020200');
});

test('bad header lengths and types → PB-Error invalid parameter with offsets 0, 3, 4', () => {
  assert.deepEqual(errorOf(fromHex('0200000100')), offsetError(PbErrorCode.INVALID_PARAMETER, 0));
  assert.deepEqual(errorOf(rawBatch({ type: 7 })), offsetError(PbErrorCode.INVALID_PARAMETER, 3));
  assert.deepEqual(errorOf(rawBatch({ type: 0 })), offsetError(PbErrorCode.INVALID_PARAMETER, 3));
  assert.deepEqual(errorOf(rawBatch({ length: 9 })), offsetError(PbErrorCode.INVALID_PARAMETER, 4));
  assert.deepEqual(errorOf(rawBatch({ length: 7 })), offsetError(PbErrorCode.INVALID_PARAMETER, 4));
});

test('bad message lengths → invalid parameter at the message (+8 for the length field)', () => {
  const lang = new TextEncoder().encode('Accept-Language: en');
  const good = rawMessage(0, 0, 6, lang);
  // a truncated header after a good message
  assert.deepEqual(
    errorOf(rawBatch({}, good, fromHex('0000000000'))),
    offsetError(PbErrorCode.INVALID_PARAMETER, 8 + good.byteLength),
  );
  // declared longer than the batch
  assert.deepEqual(
    errorOf(rawBatch({}, rawMessage(0, 0, 6, lang, 100))),
    offsetError(PbErrorCode.INVALID_PARAMETER, 16),
  );
  // Access-Recommendation must be exactly 16 bytes
  assert.deepEqual(
    errorOf(rawBatch({ type: 3, flags: 0x80 }, rawMessage(0, 0, 3, fromHex('0000000100')))),
    offsetError(PbErrorCode.INVALID_PARAMETER, 8),
  );
  // PB-PA needs at least 24
  assert.deepEqual(
    errorOf(rawBatch({}, rawMessage(0x80, 0, 1, fromHex('00')))),
    offsetError(PbErrorCode.INVALID_PARAMETER, 8),
  );
  // unknown type with a length below the header
  assert.deepEqual(
    errorOf(rawBatch({}, rawMessage(0, 0x1234, 9, new Uint8Array(0), 4))),
    offsetError(PbErrorCode.INVALID_PARAMETER, 16),
  );
});

test('NOSKIP mismatch is fatal: invalid parameter at the offset of the message (INTEROP §5)', () => {
  const lang = rawMessage(0, 0, 6, new TextEncoder().encode('Accept-Language: en'));
  const cases: [number, number, number, Uint8Array][] = [
    [0x00, 0, 1, new Uint8Array(12)], // PB-PA must have NOSKIP
    [0x00, 0, 2, new Uint8Array(4)], // Assessment-Result must have NOSKIP
    [0x00, 0, 5, new Uint8Array(12)], // Error must have NOSKIP
    [0x80, 0, 3, fromHex('00000001')], // Access-Recommendation must not
    [0x80, 0, 6, new TextEncoder().encode('Accept-Language: en')], // Language-Preference must not
    [0x80, 0, 7, fromHex('000000000000')], // Reason-String must not
    [0x80, 0, 4, fromHex('000000000000000100')], // Remediation-Parameters must not
    [0x80, 0x00902a, 1, fromHex('80000000')], // ITA Mutual-Capability must not
  ];
  for (const [flags, vendor, type, value] of cases) {
    const e = errorOf(rawBatch({ type: 3, flags: 0x80 }, lang, rawMessage(flags, vendor, type, value)));
    assert.deepEqual(e, offsetError(PbErrorCode.INVALID_PARAMETER, 8 + lang.byteLength), `type ${vendor}/${type}`);
  }
});

test('unknown messages: NOSKIP → "unsupported mandatory message" at their offset; otherwise kept and skipped', () => {
  const unknown = rawMessage(0x80, 0x1234, 42, fromHex('abcd'));
  assert.deepEqual(errorOf(rawBatch({}, unknown)), offsetError(PbErrorCode.UNSUPPORTED_MANDATORY_MESSAGE, 8));
  // ITA Noskip-Test (type 0) is unknown to us like to strongSwan
  assert.deepEqual(
    errorOf(rawBatch({}, rawMessage(0x80, 0x00902a, 0, new Uint8Array(0)))),
    offsetError(PbErrorCode.UNSUPPORTED_MANDATORY_MESSAGE, 8),
  );
  // PB-Experimental with NOSKIP is refused too
  assert.deepEqual(
    errorOf(rawBatch({}, rawMessage(0x80, 0, 0, new Uint8Array(0)))),
    offsetError(PbErrorCode.UNSUPPORTED_MANDATORY_MESSAGE, 8),
  );
  const skip = rawBatch({}, rawMessage(0, 0x1234, 42, fromHex('abcd')));
  const d = decodeBatch(skip);
  assert.deepEqual(d.messages, [{ kind: 'unknown', vendor: 0x1234, type: 42, noskip: false, value: fromHex('abcd') }]);
  assert.equal(toHex(encodeBatch(d)), toHex(skip));
});

test('reserved vendor and type, and invalid values, are invalid parameters at the field', () => {
  assert.deepEqual(errorOf(rawBatch({}, rawMessage(0, 0xffffff, 1, new Uint8Array(0)))), offsetError(1, 9));
  assert.deepEqual(errorOf(rawBatch({}, rawMessage(0, 0, 0xffffffff, new Uint8Array(0)))), offsetError(1, 12));
  // access recommendation 7 → offset of the code field (value + 2)
  assert.deepEqual(
    errorOf(rawBatch({ type: 3, flags: 0x80 }, rawMessage(0, 0, 3, fromHex('00000007')))),
    offsetError(1, 8 + 12 + 2),
  );
  // assessment result 9
  assert.deepEqual(
    errorOf(rawBatch({ type: 3, flags: 0x80 }, rawMessage(0x80, 0, 2, fromHex('00000009')))),
    offsetError(1, 20),
  );
  // PB-PA with reserved PA vendor
  assert.deepEqual(
    errorOf(rawBatch({}, rawMessage(0x80, 0, 1, fromHex('00ffffff0000000100010001')))),
    offsetError(1, 21),
  );
  // Language preference without the Accept-Language prefix
  assert.deepEqual(errorOf(rawBatch({}, rawMessage(0, 0, 6, new TextEncoder().encode('en')))), offsetError(1, 20));
  // Reason string NUL-terminated
  assert.equal(errorOf(rawBatch({ type: 3, flags: 0x80 }, rawMessage(0, 0, 7, fromHex('00000002610000')))).code, 1);
});

test('oversize batches: LimitError when encoding, PB-Error local error when receiving', () => {
  const batch: PbBatch = {
    type: PbBatchType.CDATA,
    fromServer: false,
    messages: [{ kind: 'experimental', value: new Uint8Array(100) }],
  };
  assert.throws(() => encodeBatch(batch, { maxSize: 100 }), LimitError);
  const bytes = encodeBatch(batch);
  assert.throws(
    () => decodeBatch(bytes, { maxSize: 100 }),
    (e: unknown) => e instanceof PbBatchError && e.error.code === PbErrorCode.LOCAL_ERROR,
  );
  assert.equal(decodeBatch(bytes, { maxSize: bytes.byteLength }).messages.length, 1);
});

test('random bytes never escape as anything but PbBatchError — property', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
      try {
        decodeBatch(b);
      } catch (e) {
        assert.ok(e instanceof PbBatchError, String(e));
      }
    }),
    { numRuns: 2000 },
  );
});
