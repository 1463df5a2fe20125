/**
 * Payload codecs of RFC 7296 §3.3–§3.16: round trips (encode → decode → encode byte-equal) of every payload type
 * with fast-check, hand-assembled vectors from the RFC bit diagrams, and the error paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, Reader, toHex } from '../../../../src/common/bytes.ts';
import { ParseError, ProtocolError } from '../../../../src/common/errors.ts';
import { decodeBody, decodeChain, encodePayloadBody, encodePayloads } from '../../../../src/ike/payloads/chain.ts';
import { encodeIdBody } from '../../../../src/ike/payloads/id.ts';
import { caKeyHashes } from '../../../../src/ike/payloads/certreq.ts';
import type { CertReqPayload, Payload, SaPayload } from '../../../../src/ike/payloads/types.ts';
import { NotifyType, PayloadType, ProtocolId } from '../../../../src/ike/payloads/types.ts';
import { payloadArb, payloadsArb } from './arbitraries.ts';

function decode(type: number, hex: string | Uint8Array, critical = false): Payload {
  const b = typeof hex === 'string' ? fromHex(hex) : hex;
  return decodeBody(type, critical, new Reader(b, 'body'));
}

test('every payload body round-trips (property)', () => {
  fc.assert(
    fc.property(payloadArb, (p) => {
      const body = encodePayloadBody(p);
      const back = decodeBody(p.type, p.critical === true, new Reader(body, 'body'));
      assert.deepEqual(back, p);
      assert.deepEqual(encodePayloadBody(back), body);
    }),
    { numRuns: 2000 },
  );
});

test('payload chains round-trip with generic headers (property)', () => {
  fc.assert(
    fc.property(payloadsArb, (ps) => {
      const bytes = encodePayloads(ps);
      const chain = decodeChain(new Reader(bytes, 'chain'), ps[0]?.type ?? 0, false);
      assert.deepEqual(chain.payloads, ps);
      assert.deepEqual(encodePayloads(chain.payloads), bytes);
    }),
    { numRuns: 1000 },
  );
});

// RFC 7296 §3.3.1/§3.3.2/§3.3.5 layout, assembled by hand: one IKE proposal
// ENCR_AES_CBC(12) with Key Length 256 (TV attribute 0x800e), PRF_HMAC_SHA2_256 (5), AUTH_HMAC_SHA2_256_128 (12),
// D-H group 31 (Curve25519). Last Substruc: 3 on all transforms but the last (0), 0 on the only proposal.
const SA_ONE =
  '0000002c' + '01010004' + '0300000c0100000c800e0100' + '0300000802000005' + '030000080300000c' + '000000080400001f';
const SA_ONE_VALUE: SaPayload = {
  type: PayloadType.SA,
  proposals: [
    {
      num: 1,
      protocol: ProtocolId.IKE,
      spi: new Uint8Array(0),
      transforms: [
        { type: 1, id: 12, keyLength: 256 },
        { type: 2, id: 5 },
        { type: 3, id: 12 },
        { type: 4, id: 31 },
      ],
    },
  ],
};

test('SA: RFC 7296 §3.3 layout with Key Length TV attribute and Last Substruc 0/3', () => {
  assert.equal(toHex(encodePayloadBody(SA_ONE_VALUE)), SA_ONE);
  assert.deepEqual(decode(PayloadType.SA, SA_ONE), SA_ONE_VALUE);
});

test('SA: two proposals use Last Substruc 2 then 0; ESP proposal carries a 4-byte SPI', () => {
  const esp = {
    num: 2,
    protocol: ProtocolId.ESP,
    spi: fromHex('c0ffee01'),
    transforms: [{ type: 1, id: 20, keyLength: 128 }],
  };
  const p: SaPayload = { type: PayloadType.SA, proposals: [SA_ONE_VALUE.proposals[0]!, esp] };
  const hex = toHex(encodePayloadBody(p));
  assert.equal(hex.slice(0, 2), '02');
  assert.equal(hex.slice(88, 90), '00');
  assert.equal(hex.slice(88), '00000018' + '02030401' + 'c0ffee01' + '0000000c01000014800e0080');
  assert.deepEqual(decode(PayloadType.SA, hex), p);
});

test('SA: a proposal with an unknown transform attribute is dropped (RFC 7296 §3.3.6), others kept', () => {
  // Proposal 1: one transform with TV attribute type 15 (unknown). Proposal 2: the known one.
  const p1 = '02000014' + '01010001' + '0000000c0100000c800f0100';
  const hex = p1 + SA_ONE;
  const sa = decode(PayloadType.SA, hex) as SaPayload;
  assert.equal(sa.proposals.length, 1);
  assert.deepEqual(sa.proposals[0], SA_ONE_VALUE.proposals[0]);
  // A TLV attribute (AF=0) is skipped by its length and also makes the proposal unusable.
  const p2 = '00000016' + '01010001' + '0000000e0100000c000f0002abcd';
  assert.equal((decode(PayloadType.SA, p2) as SaPayload).proposals.length, 0);
});

test('SA: malformed substructures are ParseErrors', () => {
  const bad = [
    '0100002c' + SA_ONE.slice(8), // Last Substruc 1
    '0000002c' + '01010005' + SA_ONE.slice(16), // declares 5 transforms, has 4
    '0000002c' + '01010004' + SA_ONE.slice(16, 56) + '03000008' + '0400001f', // last transform not marked
    '00000030' + SA_ONE.slice(8), // proposal length beyond the body
    '00000004' + SA_ONE.slice(8), // proposal length < 8
    SA_ONE + SA_ONE, // a proposal after the last
    '0000002c' + '01010004' + '03000004' + SA_ONE.slice(24), // transform length < 8
  ];
  for (const hex of bad) assert.throws(() => decode(PayloadType.SA, hex), ParseError, hex);
});

test('KE, ID, AUTH, CERT, CERTREQ: fixed fields per RFC 7296 §3.4–§3.8', () => {
  assert.equal(toHex(encodePayloadBody({ type: PayloadType.KE, group: 31, data: fromHex('aabb') })), '001f0000aabb');
  assert.equal(
    toHex(encodePayloadBody({ type: PayloadType.IDi, idType: 2, data: fromHex('6d6f6f6e') })),
    '020000006d6f6f6e',
  );
  assert.equal(toHex(encodeIdBody({ idType: 1, data: fromHex('0a010001') })), '010000000a010001');
  assert.equal(toHex(encodePayloadBody({ type: PayloadType.AUTH, method: 2, data: fromHex('01') })), '0200000001');
  assert.equal(toHex(encodePayloadBody({ type: PayloadType.CERT, encoding: 4, data: fromHex('3082') })), '043082');
  const cr = decode(PayloadType.CERTREQ, '04' + '11'.repeat(20) + '22'.repeat(20));
  assert.equal(cr.type, PayloadType.CERTREQ);
  assert.deepEqual(caKeyHashes(cr as CertReqPayload).map(toHex), ['11'.repeat(20), '22'.repeat(20)]);
  assert.equal(decode(PayloadType.IDr, '02000000').type, PayloadType.IDr);
  assert.throws(() => decode(PayloadType.KE, '001f00'), ParseError);
  assert.throws(() => decode(PayloadType.AUTH, '020000'), ParseError);
});

test('Nonce: 16..256 bytes (RFC 7296 §2.10)', () => {
  assert.equal(decode(PayloadType.NONCE, '00'.repeat(16)).type, PayloadType.NONCE);
  assert.equal(decode(PayloadType.NONCE, '00'.repeat(256)).type, PayloadType.NONCE);
  assert.throws(() => decode(PayloadType.NONCE, '00'.repeat(15)), ParseError);
  assert.throws(() => decode(PayloadType.NONCE, '00'.repeat(257)), ParseError);
});

test('Notify: protocol, SPI size, type, SPI, data (RFC 7296 §3.10)', () => {
  const n = {
    type: PayloadType.NOTIFY,
    protocol: 3,
    spi: fromHex('01020304'),
    notifyType: NotifyType.REKEY_SA,
    data: fromHex(''),
  };
  assert.equal(toHex(encodePayloadBody(n)), '0304400901020304');
  assert.deepEqual(decode(PayloadType.NOTIFY, '0304400901020304'), n);
  assert.throws(() => decode(PayloadType.NOTIFY, '0308400901020304'), ParseError);
});

test('Delete: IKE without SPIs, ESP with 4-byte SPIs; counts must match (RFC 7296 §3.11)', () => {
  assert.equal(toHex(encodePayloadBody({ type: PayloadType.DELETE, protocol: 1, spis: [] })), '01000000');
  const d = { type: PayloadType.DELETE, protocol: 3, spis: [fromHex('0a0b0c0d'), fromHex('01020304')] };
  assert.equal(toHex(encodePayloadBody(d)), '030400020a0b0c0d01020304');
  assert.deepEqual(decode(PayloadType.DELETE, '030400020a0b0c0d01020304'), d);
  assert.throws(() => decode(PayloadType.DELETE, '030400030a0b0c0d01020304'), ParseError);
  assert.throws(() => decode(PayloadType.DELETE, '03040001'), ParseError);
  assert.throws(() => decode(PayloadType.DELETE, '01000002'), ParseError);
});

test('TS: IPv4 range selector of 16 bytes, IPv6 of 40 (RFC 7296 §3.13.1)', () => {
  const ts = {
    type: PayloadType.TSi,
    selectors: [
      {
        tsType: 7,
        ipProtocol: 6,
        startPort: 80,
        endPort: 80,
        startAddr: fromHex('0a010000'),
        endAddr: fromHex('0a0100ff'),
      },
    ],
  };
  const hex = '01000000' + '07060010' + '00500050' + '0a010000' + '0a0100ff';
  assert.equal(toHex(encodePayloadBody(ts)), hex);
  assert.deepEqual(decode(PayloadType.TSi, hex), ts);
  assert.equal(decode(PayloadType.TSr, hex).type, PayloadType.TSr);
  assert.throws(() => decode(PayloadType.TSi, '01000000' + '07060028' + '00500050' + '00'.repeat(32)), ParseError);
  assert.throws(() => decode(PayloadType.TSi, '02000000' + hex.slice(8)), ParseError); // announces 2
  assert.throws(() => decode(PayloadType.TSi, hex + '00'), ParseError); // trailing byte
});

test('CP: attributes with 15-bit type and length (RFC 7296 §3.15.1)', () => {
  const cp = {
    type: PayloadType.CP,
    cfgType: 1,
    attributes: [
      { type: 1, value: new Uint8Array(0) },
      { type: 3, value: fromHex('08080808') },
    ],
  };
  const hex = '01000000' + '00010000' + '0003000408080808';
  assert.equal(toHex(encodePayloadBody(cp)), hex);
  assert.deepEqual(decode(PayloadType.CP, hex), cp);
  assert.throws(() => decode(PayloadType.CP, '01000000' + '00030005080808'), ParseError);
});

test('EAP: the EAP Length must equal the payload body (RFC 7296 §3.16)', () => {
  assert.equal(decode(PayloadType.EAP, '0101000501').type, PayloadType.EAP);
  assert.throws(() => decode(PayloadType.EAP, '0101000601'), ParseError);
  assert.throws(() => decode(PayloadType.EAP, '010100'), ParseError);
});

test('unknown payloads: critical → UNSUPPORTED_CRITICAL_PAYLOAD with the type, else kept raw (RFC 7296 §2.5)', () => {
  assert.deepEqual(decode(200, 'abcd'), { type: 200, unknown: true, critical: false, data: fromHex('abcd') });
  assert.throws(
    () => decode(200, 'abcd', true),
    (e: unknown) =>
      e instanceof ProtocolError && e.wireCode === NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD && e.data?.[0] === 200,
  );
  // The critical bit on a known payload is kept and ignored (§3.2).
  assert.equal(decode(PayloadType.VENDOR, 'ab', true).critical, true);
});

test('chain: lengths below 4, overruns, trailing bytes and missing payloads are ParseErrors', () => {
  const chain = (hex: string, first: number) => decodeChain(new Reader(fromHex(hex), 'c'), first, false);
  assert.equal(chain('2b000005ab' + '00000005cd', PayloadType.VENDOR).payloads.length, 2);
  for (const [hex, first] of [
    ['00000003', PayloadType.VENDOR],
    ['00000009ab', PayloadType.VENDOR],
    ['00000005ab00', PayloadType.VENDOR],
    ['2b000005ab', PayloadType.VENDOR],
    ['2e000004', PayloadType.VENDOR],
  ] as const) {
    assert.throws(() => chain(hex, first), ParseError, hex);
  }
  // SK inside SK is refused.
  assert.throws(() => chain('00000004', PayloadType.SK), ParseError);
});
