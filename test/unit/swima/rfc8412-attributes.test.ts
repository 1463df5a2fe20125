/** SWIMA attributes (RFC 8412 §5.7–5.13; layouts as strongSwan's src/libimcv/ietf/swima): round trips and bounds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ParseError, Reader, fromHex, toHex } from '../../../src/common/index.ts';
import {
  IetfAttr,
  PaErrorCode,
  decodePaMessage,
  encodePaMessage,
  readAttributeHeader,
} from '../../../src/tnc/pa/index.ts';
import type { PaAttribute } from '../../../src/tnc/pa/index.ts';
import {
  decodeSwimaErrorInfo,
  encodeSwimaErrorInfo,
  swimaAttributeCodecs,
  swimaPaRegistry,
} from '../../../src/swima/index.ts';
import { swimaAttributeByKind } from './arbitraries.ts';

const one = (a: PaAttribute) => swimaPaRegistry.encodeOne(a);
const decodeOne = (b: Uint8Array) => {
  const r = new Reader(b, 'attr');
  const h = readAttributeHeader(r);
  return swimaPaRegistry.decodeValue(h, r.sub(h.length - 12, 'value'));
};

test('every SWIMA codec is IETF 13..19 and has an arbitrary', () => {
  assert.deepEqual(swimaAttributeCodecs.map((c) => c.kind).sort(), Object.keys(swimaAttributeByKind).sort());
  assert.deepEqual(
    swimaAttributeCodecs.map((c) => [c.vendor, c.type]),
    [13, 14, 15, 16, 17, 18, 19].map((t) => [0, t]),
  );
  assert.equal(IetfAttr.SOURCE_METADATA_REQUEST, 20);
});

for (const [kind, arb] of Object.entries(swimaAttributeByKind)) {
  test(`${kind}: encode → decode → encode is byte-equal — property`, () => {
    fc.assert(
      fc.property(arb, (attr) => {
        const bytes = encodePaMessage({ messageId: 3, attributes: [attr] }, swimaPaRegistry);
        const d = decodePaMessage(bytes, swimaPaRegistry);
        assert.deepEqual(d.attributes[0], { ...structuredClone(attr), noskip: attr.noskip ?? false });
        assert.equal(toHex(encodePaMessage(d, swimaPaRegistry)), toHex(bytes));
      }),
      { numRuns: 120 },
    );
  });
  test(`${kind}: truncations are ParseErrors — property`, () => {
    fc.assert(
      fc.property(arb, fc.nat(), (attr, cut) => {
        const b = one(attr);
        if (b.byteLength === 12) return;
        const n = 12 + (cut % (b.byteLength - 12));
        const t = b.slice(0, n);
        new DataView(t.buffer).setUint32(8, n);
        assert.throws(() => decodeOne(t), ParseError);
      }),
      { numRuns: 60 },
    );
  });
}

test('SW Request layout: flags, 24-bit count, request id, earliest EID, 16-bit prefixed identifiers', () => {
  const a = { kind: 'ietf/swima-request', flags: 0x60, requestId: 5, earliestEid: 7, targets: ['ab'] } as PaAttribute;
  assert.equal(toHex(one(a).subarray(12)), '60000001' + '00000005' + '00000007' + '0002' + '6162');
});

test('an inventory count larger than its bytes is refused before allocating', () => {
  const v = fromHex('00ffffff' + '00000001' + '00000000' + '00000000');
  const h = fromHex('00000000' + '0000000e' + (12 + v.byteLength).toString(16).padStart(8, '0'));
  assert.throws(() => decodeOne(new Uint8Array([...h, ...v])), /cannot fit/);
});

test('SWIMA PA-TNC error info (§5.16): request id copy, max size only for RESPONSE_TOO_LARGE, description; short bodies yield less', () => {
  const big = encodeSwimaErrorInfo(PaErrorCode.SWIMA_RESPONSE_TOO_LARGE, {
    requestId: 7,
    maxSize: 4096,
    description: 'too big',
  });
  assert.equal(big.byteLength, 8 + 7);
  assert.deepEqual(decodeSwimaErrorInfo(PaErrorCode.SWIMA_RESPONSE_TOO_LARGE, big), {
    requestId: 7,
    maxSize: 4096,
    description: 'too big',
  });
  const plain = encodeSwimaErrorInfo(PaErrorCode.SWIMA_ERROR, { requestId: 0xffffffff, description: 'é' });
  assert.deepEqual(decodeSwimaErrorInfo(PaErrorCode.SWIMA_ERROR, plain), { requestId: 0xffffffff, description: 'é' });
  assert.deepEqual(decodeSwimaErrorInfo(PaErrorCode.SWIMA_RESPONSE_TOO_LARGE, plain.subarray(0, 5)), {
    description: '',
  });
});
