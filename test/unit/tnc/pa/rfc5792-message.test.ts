/** PA-TNC messages (RFC 5792 §4.1) and NOSKIP semantics with PA-TNC Error answers (§4.2, §4.2.8). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ParseError, fromHex, toHex } from '../../../../src/common/index.ts';
import {
  PaErrorCode,
  PaVersionError,
  decodePaMessage,
  defaultPaRegistry,
  encodePaMessage,
  paErrorFor,
  receivePaMessage,
} from '../../../../src/tnc/pa/index.ts';
import { paAttribute } from './arbitraries.ts';

const HDR = '01000000aabbccdd';

test('message round trip with several attributes — property', () => {
  fc.assert(
    fc.property(fc.array(paAttribute, { maxLength: 5 }), fc.nat({ max: 0xffffffff }), (attributes, messageId) => {
      const bytes = encodePaMessage({ messageId, attributes });
      const d = decodePaMessage(bytes);
      assert.equal(d.attributes.length, attributes.length);
      assert.equal(toHex(encodePaMessage(d)), toHex(bytes));
    }),
    { numRuns: 300 },
  );
});

test('an unknown attribute without NOSKIP is kept raw and ignored; with NOSKIP the message is refused', () => {
  const skip = fromHex(HDR + '00' + '123456' + '00000009' + '0000000e' + 'abcd');
  const d = decodePaMessage(skip);
  assert.deepEqual(d.unsupportedNoskip, []);
  assert.deepEqual(d.attributes, [
    { kind: 'unknown', vendor: 0x123456, type: 9, noskip: false, value: fromHex('abcd') },
  ]);
  assert.equal(receivePaMessage(skip).ok, true);

  const cmd = '8000902a0000000100000011616c6c6f77';
  const noskip = fromHex(HDR + cmd + '80' + '123456' + '00000009' + '0000000e' + 'abcd');
  const r = receivePaMessage(noskip);
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.errors.length, 1);
  const e = r.errors[0]!;
  assert.equal(e.errorCode, PaErrorCode.ATTRIBUTE_TYPE_NOT_SUPPORTED);
  assert.deepEqual(e.info, {
    format: 'attribute-type-not-supported',
    messageHeader: fromHex(HDR),
    flags: 0x80,
    vendor: 0x123456,
    type: 9,
  });
  // On the wire (RFC 5792 §4.2.8): reserved, vendor 0, code 3, header copy, flags, vendor, type.
  assert.equal(
    toHex(defaultPaRegistry.encodeOne(e)),
    '00000000' + '00000008' + '00000024' + '00000000' + '00000003' + HDR + '80123456' + '00000009',
  );
});

test('version ≠ 1 → Version Not Supported with max 1, min 1 and the header copy', () => {
  const bytes = fromHex('02000000aabbccdd');
  assert.throws(() => decodePaMessage(bytes), PaVersionError);
  const r = receivePaMessage(bytes);
  assert.ok(!r.ok);
  assert.deepEqual(r.errors[0]!.info, {
    format: 'version-not-supported',
    messageHeader: bytes,
    maxVersion: 1,
    minVersion: 1,
  });
  assert.equal(r.errors[0]!.errorCode, PaErrorCode.VERSION_NOT_SUPPORTED);
});

test('malformed messages → Invalid Parameter with strongSwan offsets', () => {
  const offset = (hex: string) => {
    const r = receivePaMessage(fromHex(hex));
    assert.ok(!r.ok);
    const e = r.errors[0]!;
    assert.equal(e.errorCode, PaErrorCode.INVALID_PARAMETER);
    assert.ok(e.info.format === 'invalid-parameter');
    return e.info.offset;
  };
  assert.equal(offset('0100'), 0, 'short header');
  assert.equal(offset(HDR + '0000902a00000001'), 8, 'truncated attribute header');
  assert.equal(offset(HDR + '0000902a0000000100000004'), 16, 'length below 12');
  assert.equal(offset(HDR + '0000902a0000000100000020' + '61'), 16, 'value beyond the message');
  assert.equal(offset(HDR + '00ffffff000000010000000c'), 9, 'reserved vendor');
  assert.equal(offset(HDR + '00000000ffffffff0000000c'), 12, 'reserved type');
  assert.equal(offset(HDR + '000000000000000b0000000f' + '000001'), 20, 'bad value');
});

test('a broken PA-TNC Error attribute is not answered with another error', () => {
  const bytes = fromHex(HDR + '00000000' + '00000008' + '0000000f' + '000000');
  const r = receivePaMessage(bytes);
  assert.ok(r.ok);
  assert.equal(r.message.attributes[0]!.kind, 'unknown');
  assert.deepEqual(paErrorFor(bytes, r.message), []);
});

test('paErrorFor ignores undeclared problems; ParseError offsets are carried', () => {
  assert.deepEqual(paErrorFor(new Uint8Array(8), new Error('x')), []);
  const e = paErrorFor(fromHex(HDR), new ParseError('x', 42, 'f'))[0]!;
  assert.deepEqual(e.info, { format: 'invalid-parameter', messageHeader: fromHex(HDR), offset: 42 });
});

test('random bytes: decodePaMessage throws only ParseError or PaVersionError — property', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 64 }).map((b) => (b.byteLength > 0 && b[0]! % 4 !== 0 ? (b.set([1], 0), b) : b)),
      (b) => {
        try {
          decodePaMessage(b);
        } catch (e) {
          assert.ok(e instanceof ParseError || e instanceof PaVersionError, String(e));
        }
      },
    ),
    { numRuns: 3000 },
  );
});
