/**
 * The message codec of RFC 7296 §3.1/§3.2/§3.14: header checks, the payload chain, SK sealing and opening with an
 * AES-GCM test double (RFC 5282 layout), and the error paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { concat, fromHex, toHex } from '../../../../src/common/bytes.ts';
import { ParseError, ProtocolError, StateError, VerifyError } from '../../../../src/common/errors.ts';
import {
  decodeHeader,
  decodeMessage,
  encodeMessage,
  encodePayloads,
  IKE_HEADER_LENGTH,
  intermediatePlain,
} from '../../../../src/ike/message/index.ts';
import type { SkCrypto } from '../../../../src/crypto/types.ts';
import type { IkeHeader, IkeMessage } from '../../../../src/ike/payloads/types.ts';
import { ExchangeType, NotifyType, PayloadType } from '../../../../src/ike/payloads/types.ts';
import { payloadsArb } from '../payloads/arbitraries.ts';
import { ikeAuthRequest, ikeSaInitRequest } from './messages.ts';
import { GcmSkDouble } from './sk-double.ts';

const headerArb: fc.Arbitrary<IkeHeader> = fc
  .record({
    spiI: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    spiR: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    exchange: fc.constantFrom(34, 35, 36, 37, 43),
    flags: fc.integer({ min: 0, max: 255 }),
    messageId: fc.nat({ max: 0xffffffff }),
  })
  .map((h) => ({ ...h, nextPayload: 0, version: 0x20, length: 0 }));

/** Sets the header Length field (offset 24) to the datagram size. */
function fixLength(b: Uint8Array): Uint8Array {
  new DataView(b.buffer, b.byteOffset).setUint32(24, b.byteLength);
  return b;
}

test('header: 28 bytes in RFC 7296 §3.1 order; nextPayload and length filled in by the encoder', () => {
  const bytes = encodeMessage(ikeSaInitRequest());
  assert.equal(
    toHex(bytes.subarray(0, 28)),
    '0123456789abcdef' +
      '0000000000000000' +
      '21' +
      '20' +
      '22' +
      '08' +
      '00000000' +
      bytes.byteLength.toString(16).padStart(8, '0'),
  );
  const h = decodeHeader(bytes);
  assert.equal(h.nextPayload, PayloadType.SA);
  assert.equal(h.length, bytes.byteLength);
  assert.equal(h.exchange, ExchangeType.IKE_SA_INIT);
});

test('header: Length must equal the datagram size; short input; IKEv1 and IKEv3', () => {
  const bytes = encodeMessage(ikeSaInitRequest());
  assert.throws(() => decodeHeader(concat(bytes, new Uint8Array(1))), ParseError);
  assert.throws(() => decodeHeader(bytes.subarray(0, bytes.byteLength - 1)), ParseError);
  assert.throws(() => decodeHeader(bytes.subarray(0, 27)), ParseError);
  const v3 = bytes.slice();
  v3[17] = 0x30;
  assert.throws(
    () => decodeHeader(v3),
    (e: unknown) => e instanceof ProtocolError && e.wireCode === NotifyType.INVALID_MAJOR_VERSION,
  );
  const v1 = bytes.slice();
  v1[17] = 0x10;
  assert.throws(() => decodeHeader(v1), ParseError);
  // A minor version above 0 is accepted (§2.5).
  const minor = bytes.slice();
  minor[17] = 0x21;
  assert.equal(decodeHeader(minor).version, 0x21);
});

test('unencrypted messages round-trip (property)', () => {
  fc.assert(
    fc.property(headerArb, payloadsArb, (header, payloads) => {
      const msg: IkeMessage = { header, encrypted: false, payloads };
      const bytes = encodeMessage(msg);
      const r = decodeMessage(bytes);
      assert.equal(r.kind, 'message');
      if (r.kind !== 'message') return;
      assert.deepEqual(r.message.payloads, payloads);
      assert.equal(r.message.header.length, bytes.byteLength);
      assert.deepEqual(encodeMessage(r.message), bytes);
    }),
    { numRuns: 500 },
  );
});

test('encrypted messages seal into one SK payload and open again (property)', () => {
  fc.assert(
    fc.property(headerArb, payloadsArb, (header, payloads) => {
      const sk = new GcmSkDouble();
      const bytes = encodeMessage({ header, encrypted: true, payloads }, sk);
      const h = decodeHeader(bytes);
      assert.equal(h.nextPayload, PayloadType.SK);
      // SK generic header: Next Payload = first inner type, Payload Length = rest of the message.
      assert.equal(bytes[28], payloads[0]?.type ?? 0);
      assert.equal((bytes[30]! << 8) | bytes[31]!, bytes.byteLength - 28);
      const r = decodeMessage(bytes, sk);
      assert.equal(r.kind, 'message');
      if (r.kind !== 'message') return;
      assert.equal(r.message.encrypted, true);
      assert.deepEqual(r.message.payloads, payloads);
      assert.deepEqual(r.sk?.aad, bytes.subarray(0, 32));
    }),
    { numRuns: 300 },
  );
});

test('SK: any flipped bit in header, SK header, IV, ciphertext or ICV is a VerifyError or ParseError', () => {
  const sk = new GcmSkDouble();
  const bytes = encodeMessage(ikeAuthRequest(), sk);
  for (let i = 0; i < bytes.byteLength; i++) {
    if ((i >= 24 && i < 28) || (i >= 30 && i < 32)) continue; // length fields: ParseError, tested below
    const t = bytes.slice();
    t[i]! ^= 0x01;
    assert.throws(
      () => decodeMessage(t, sk),
      (e: unknown) => e instanceof VerifyError || (i === 16 && e instanceof ParseError),
      `byte ${i}`,
    );
  }
  const badLen = bytes.slice();
  badLen[31]! ^= 0x01;
  assert.throws(() => decodeMessage(badLen, sk), ParseError);
});

test('SK: must be the last payload, needs keys, and is not mixed with clear payloads', () => {
  const sk = new GcmSkDouble();
  const bytes = encodeMessage(ikeAuthRequest(), sk);
  // Vendor ID after the SK payload.
  assert.throws(() => decodeMessage(fixLength(concat(bytes, new Uint8Array([0, 0, 0, 5, 0xab]))), sk), ParseError);
  assert.throws(() => decodeMessage(bytes), StateError);
  // A Vendor ID before SK: header → V → SK.
  const vid = new Uint8Array([PayloadType.SK, 0, 0, 5, 0xab]);
  const mixed = fixLength(concat(bytes.subarray(0, 28), vid, bytes.subarray(28)));
  mixed[16] = PayloadType.VENDOR;
  assert.throws(() => decodeMessage(mixed, sk), ParseError);
  assert.throws(() => encodeMessage(ikeAuthRequest()), StateError);
});

test('SK: a critical unknown payload inside is refused after decryption (RFC 7296 §2.5)', () => {
  const sk = new GcmSkDouble();
  const msg = ikeAuthRequest();
  msg.payloads.push({ type: 200, unknown: true, critical: true, data: new Uint8Array(3) });
  const bytes = encodeMessage(msg, sk);
  assert.throws(
    () => decodeMessage(bytes, sk),
    (e: unknown) =>
      e instanceof ProtocolError && e.wireCode === NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD && e.data?.[0] === 200,
  );
  msg.payloads[msg.payloads.length - 1] = { type: 200, unknown: true, critical: false, data: new Uint8Array(3) };
  const ok = decodeMessage(encodeMessage(msg, sk), sk);
  assert.equal(ok.kind === 'message' && ok.message.payloads.at(-1)?.type, 200);
});

test('payload chain: trailing bytes, short payload length and overruns are ParseErrors', () => {
  const bytes = encodeMessage(ikeSaInitRequest());
  assert.throws(() => decodeMessage(fixLength(concat(bytes, new Uint8Array([0])))), ParseError);
  const short = bytes.slice();
  short[IKE_HEADER_LENGTH + 2] = 0;
  short[IKE_HEADER_LENGTH + 3] = 3;
  assert.throws(() => decodeMessage(short), ParseError);
  const long = bytes.slice();
  long[IKE_HEADER_LENGTH + 2] = 0xff;
  assert.throws(() => decodeMessage(long), ParseError);
  // The last payload announces a next one that is not there.
  const empty = encodeMessage({ ...ikeSaInitRequest(), payloads: [] });
  empty[16] = PayloadType.NONCE;
  assert.throws(() => decodeMessage(empty), ParseError);
});

test('SkCrypto that breaks its sealedLength promise is caught', () => {
  const sk = new GcmSkDouble();
  const liar: SkCrypto = {
    ivLength: sk.ivLength,
    icvLength: sk.icvLength,
    blockSize: sk.blockSize,
    sealedLength: (n) => sk.sealedLength(n) + 1,
    seal: (a, p) => sk.seal(a, p),
    open: (a, b) => sk.open(a, b),
  };
  assert.throws(() => encodeMessage(ikeAuthRequest(), liar), StateError);
});

// RFC 7634 Appendix B (also strongSwan src/libcharon/tests/suites/test_message_chapoly.c): an INFORMATIONAL
// message with N(SET_WINDOW_SIZE, 10), SPIs c0..c7/d0..d7, message id 9, encrypted with ChaCha20-Poly1305,
// key 80..9f, salt a0..a3, IV 1011121314151617.
const RFC7634_B =
  'c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d7' +
  '2e202500' +
  '00000009' +
  '00000045' +
  '29000029' +
  '1011121314151617' +
  '610394701f8d017f7c129248896b71bfe25236efd7cdc670669063' +
  '15b2';

test('RFC 7634 Appendix B: encrypted INFORMATIONAL matches byte for byte, and decodes', () => {
  const key = new Uint8Array(32).map((_, i) => 0x80 + i);
  const sk = new GcmSkDouble(key, fromHex('a0a1a2a3'), 'chacha20-poly1305', 0x1011121314151617n);
  const msg: IkeMessage = {
    header: {
      spiI: 0xc0c1c2c3c4c5c6c7n,
      spiR: 0xd0d1d2d3d4d5d6d7n,
      nextPayload: 0,
      version: 0x20,
      exchange: ExchangeType.INFORMATIONAL,
      flags: 0,
      messageId: 9,
      length: 0,
    },
    encrypted: true,
    payloads: [
      {
        type: PayloadType.NOTIFY,
        protocol: 0,
        spi: new Uint8Array(0),
        notifyType: NotifyType.SET_WINDOW_SIZE,
        data: fromHex('0000000a'),
      },
    ],
  };
  assert.equal(toHex(encodeMessage(msg, sk)), RFC7634_B);
  const r = decodeMessage(fromHex(RFC7634_B), sk);
  assert.equal(r.kind, 'message');
  if (r.kind === 'message') {
    assert.deepEqual(r.message.payloads, msg.payloads);
    assert.equal(r.message.header.messageId, 9);
  }
});

test('intermediatePlain: RFC 9242 IntAuth data with lengths that exclude IV, padding and ICV (as strongSwan)', () => {
  const msg = { ...ikeAuthRequest(), header: { ...ikeAuthRequest().header, exchange: ExchangeType.IKE_INTERMEDIATE } };
  const plain = intermediatePlain(msg);
  const inner = encodePayloads(msg.payloads);
  assert.equal(plain.byteLength, 32 + inner.byteLength);
  const sealed = encodeMessage(msg, new GcmSkDouble());
  // Same header and SK header as the sealed message except for the two length fields.
  assert.deepEqual(plain.subarray(0, 24), sealed.subarray(0, 24));
  assert.equal(new DataView(plain.buffer).getUint32(24), plain.byteLength);
  assert.equal(plain[28], PayloadType.IDi);
  assert.equal(new DataView(plain.buffer).getUint16(30), 4 + inner.byteLength);
  assert.deepEqual(plain.subarray(32), inner);
  // The decrypted side rebuilds it from the decoded message.
  const r = decodeMessage(sealed, new GcmSkDouble());
  assert.ok(r.kind === 'message');
  assert.deepEqual(intermediatePlain(r.message), plain);
});
