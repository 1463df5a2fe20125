/**
 * EAP packet, Nak and EAP-MD5 codecs (RFC 3748 §4, §5.3.1, §5.4): round trips, property tests, and the length
 * rules (Length below 4, above what arrived, Success/Failure with data).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { fromHex } from '../../../src/common/bytes.ts';
import { ParseError } from '../../../src/common/errors.ts';
import {
  EapCode,
  EapType,
  decodeEap,
  decodeMd5,
  decodeNak,
  encodeEap,
  encodeMd5,
  encodeNak,
  md5Response,
} from '../../../src/eap/index.ts';
import type { EapPacket } from '../../../src/eap/index.ts';

const arbPacket: fc.Arbitrary<EapPacket> = fc.oneof(
  fc.record({
    code: fc.constantFrom(EapCode.REQUEST, EapCode.RESPONSE),
    identifier: fc.integer({ min: 0, max: 255 }),
    type: fc.integer({ min: 1, max: 255 }),
    data: fc.uint8Array({ maxLength: 300 }),
  }),
  fc.record({ code: fc.constantFrom(EapCode.SUCCESS, EapCode.FAILURE), identifier: fc.integer({ min: 0, max: 255 }) }),
);

test('EAP packets round-trip byte-equal (property)', () => {
  fc.assert(
    fc.property(arbPacket, (p) => {
      const bytes = encodeEap(p);
      const back = decodeEap(bytes);
      assert.deepEqual(back, { ...p });
      assert.deepEqual(encodeEap(back), bytes);
    }),
  );
});

test('wire layout: Request/Identity id 7 and Success id 9 (RFC 3748 §4, §5.1)', () => {
  // Hand-assembled from the §4 diagram: code 1, identifier 7, length 5, type 1.
  assert.deepEqual(
    encodeEap({ code: 1, identifier: 7, type: EapType.IDENTITY, data: new Uint8Array(0) }),
    fromHex('0107000501'),
  );
  assert.deepEqual(encodeEap({ code: EapCode.SUCCESS, identifier: 9 }), fromHex('03090004'));
});

test('bad lengths are malformed; octets beyond Length are link padding', () => {
  assert.throws(() => decodeEap(fromHex('010700')), ParseError, 'truncated header');
  assert.throws(() => decodeEap(fromHex('01070003')), ParseError, 'length below 4');
  assert.throws(() => decodeEap(fromHex('0107000901')), ParseError, 'length beyond the data');
  assert.throws(() => decodeEap(fromHex('0309000500')), ParseError, 'Success with data');
  assert.throws(() => decodeEap(fromHex('05090004')), ParseError, 'unknown code');
  assert.throws(() => decodeEap(fromHex('01070004')), ParseError, 'Request without a type');
  const padded = decodeEap(fromHex('0107000601aaffff'));
  assert.deepEqual(padded, { code: 1, identifier: 7, type: 1, data: fromHex('aa') });
});

test('Nak lists the desired types; an empty list is the single octet 0 (RFC 3748 §5.3.1)', () => {
  assert.deepEqual(encodeNak([EapType.TTLS, EapType.MD5]), Uint8Array.of(21, 4));
  assert.deepEqual(encodeNak([]), Uint8Array.of(0));
  assert.deepEqual(encodeNak([EapType.IDENTITY]), Uint8Array.of(0), 'Identity is not an authentication type');
  assert.deepEqual(decodeNak(Uint8Array.of(0)), []);
  assert.deepEqual(decodeNak(Uint8Array.of(54, 21)), [54, 21]);
  assert.throws(() => decodeNak(new Uint8Array(0)), ParseError);
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 4, max: 255 }), { minLength: 1, maxLength: 20 }), (types) => {
      assert.deepEqual(decodeNak(encodeNak(types)), types);
    }),
  );
});

test('EAP-MD5 value is MD5(identifier ‖ secret ‖ challenge) (RFC 1994 §4.1); codec round-trips', () => {
  const challenge = fromHex('00112233445566778899aabbccddeeff');
  const secret = new TextEncoder().encode('carol-secret');
  const want = createHash('md5')
    .update(Buffer.from([0x2a]))
    .update(secret)
    .update(challenge)
    .digest();
  assert.deepEqual(md5Response(0x2a, secret, challenge), new Uint8Array(want));
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 255 }), fc.uint8Array({ maxLength: 40 }), (value, name) => {
      const bytes = encodeMd5({ value, name });
      assert.deepEqual(decodeMd5(bytes), { value, name });
      assert.deepEqual(encodeMd5(decodeMd5(bytes)), bytes);
    }),
  );
  assert.throws(() => decodeMd5(Uint8Array.of(0)), ParseError, 'empty value');
  assert.throws(() => decodeMd5(Uint8Array.of(16, 1, 2)), ParseError, 'value shorter than its size');
});
