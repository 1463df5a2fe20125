// TPM 2.0 Part 2 structures through the descriptor engine: round trips (encode → decode → encode byte-equal),
// fast-check properties, known encodings, and the errors malformed input must produce.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LimitError, ParseError, fromHex, toHex } from '../../../src/common/index.ts';
import {
  bits,
  list,
  marshal,
  sized,
  struct,
  tpm2b,
  u16,
  u32,
  u64,
  u8,
  union,
  unmarshal,
  empty,
} from '../../../src/tpm/marshal.ts';
import type { Desc } from '../../../src/tpm/marshal.ts';
import {
  TPM2B_DIGEST,
  TPML_PCR_SELECTION,
  TPMT_HA,
  TPMS_AUTH_COMMAND,
  TPMA_SESSION,
  pcrIndices,
  pcrSelectBytes,
} from '../../../src/tpm/types/basic.ts';
import { TPM2B_PUBLIC, TPMA_OBJECT, TPMT_PUBLIC } from '../../../src/tpm/types/public.ts';
import { TPMS_ATTEST } from '../../../src/tpm/types/attest.ts';
import { TPMT_SIGNATURE } from '../../../src/tpm/types/signature.ts';
import { TPMS_CAPABILITY_DATA } from '../../../src/tpm/types/capability.ts';
import { TPM2B_NV_PUBLIC } from '../../../src/tpm/types/nv.ts';
import { TPMS_CONTEXT } from '../../../src/tpm/types/context.ts';
import { TPM_ALG, TPM_CAP, TPM_ECC, TPM_ST } from '../../../src/tpm/types/constants.ts';
import {
  aikTemplateEccP256,
  aikTemplateRsa2048,
  ekTemplateEccP256,
  ekTemplateRsa2048,
  srkTemplateRsa2048,
} from '../../../src/tpm/templates.ts';

function roundTrip<T>(d: Desc<T>, v: T): Uint8Array {
  const a = marshal(d, v);
  const back = unmarshal(d, a);
  const b = marshal(d, back);
  assert.equal(toHex(b), toHex(a), `${d.name} round trip`);
  return a;
}

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => new Uint8Array(b));
const hashAlg = fc.constantFrom(TPM_ALG.SHA1, TPM_ALG.SHA256, TPM_ALG.SHA384, TPM_ALG.SHA512);
const size = (h: number) =>
  ({ [TPM_ALG.SHA1]: 20, [TPM_ALG.SHA256]: 32, [TPM_ALG.SHA384]: 48, [TPM_ALG.SHA512]: 64 })[h] ?? 32;
const pcrSel = fc.record({ hash: hashAlg, pcrSelect: bytes(4) });
const clockInfo = fc.record({
  clock: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  resetCount: fc.nat({ max: 0xffffffff }),
  restartCount: fc.nat({ max: 0xffffffff }),
  safe: fc.boolean(),
});
const attrs = fc.nat({ max: 0xffffffff }).map((n) => TPMA_OBJECT.fromNumber(n));

const sym = fc.oneof(
  fc.constant({ algorithm: TPM_ALG.NULL, keyBits: null, mode: null }),
  fc.record({
    algorithm: fc.constant(TPM_ALG.AES),
    keyBits: fc.constantFrom(128, 256),
    mode: fc.constant(TPM_ALG.CFB),
  }),
);
const sigScheme = fc.oneof(
  fc.constant({ scheme: TPM_ALG.NULL, details: null }),
  fc.record({
    scheme: fc.constantFrom(TPM_ALG.RSASSA, TPM_ALG.RSAPSS, TPM_ALG.ECDSA),
    details: fc.record({ hashAlg }),
  }),
);
const rsaPublic = fc.record({
  type: fc.constant(TPM_ALG.RSA),
  nameAlg: hashAlg,
  objectAttributes: attrs,
  authPolicy: bytes(64),
  parameters: fc.record({
    symmetric: sym,
    scheme: sigScheme,
    keyBits: fc.constantFrom(1024, 2048, 3072),
    exponent: fc.nat({ max: 0xffffffff }),
  }),
  unique: bytes(512),
});
const eccPublic = fc.record({
  type: fc.constant(TPM_ALG.ECC),
  nameAlg: hashAlg,
  objectAttributes: attrs,
  authPolicy: bytes(64),
  parameters: fc.record({
    symmetric: sym,
    scheme: sigScheme,
    curveID: fc.constantFrom(TPM_ECC.NIST_P256, TPM_ECC.NIST_P384),
    kdf: fc.oneof(
      fc.constant({ scheme: TPM_ALG.NULL, details: null }),
      fc.record({ scheme: fc.constant(TPM_ALG.KDF1_SP800_108), details: fc.record({ hashAlg }) }),
    ),
  }),
  unique: fc.record({ x: bytes(66), y: bytes(66) }),
});

test('integer and sized-buffer descriptors encode big-endian with u16 sizes (Part 2 §10.4)', () => {
  assert.equal(toHex(marshal(u8, 0xab)), 'ab');
  assert.equal(toHex(marshal(u16, 0x1234)), '1234');
  assert.equal(toHex(marshal(u32, 0xff544347)), 'ff544347');
  assert.equal(toHex(marshal(u64, 0x0102030405060708n)), '0102030405060708');
  assert.equal(toHex(marshal(TPM2B_DIGEST, fromHex('aabb'))), '0002aabb');
  assert.equal(toHex(marshal(TPM2B_DIGEST, new Uint8Array(0))), '0000');
});

test('TPM2B sizes above the declared maximum are refused both ways', () => {
  assert.throws(() => marshal(TPM2B_DIGEST, new Uint8Array(65)), LimitError);
  const bad = fromHex('0041' + '00'.repeat(65));
  assert.throws(
    () => unmarshal(TPM2B_DIGEST, bad),
    (e: unknown) => e instanceof ParseError && /exceeds the maximum 64/.test(e.message),
  );
});

test('TPML counts above the maximum fail before reading elements', () => {
  const bad = fromHex('00000011'); // 17 banks > HASH_COUNT 16
  assert.throws(
    () => unmarshal(TPML_PCR_SELECTION, bad),
    (e: unknown) => e instanceof ParseError && e.offset === 0 && /count 17/.test(e.message),
  );
});

test('a union with an unknown selector is a ParseError naming the union and selector', () => {
  const attest = fromHex('ff544347' + '8099' + '0000' + '0000' + '00'.repeat(17) + '00'.repeat(8));
  assert.throws(
    () => unmarshal(TPMS_ATTEST, attest),
    (e: unknown) => e instanceof ParseError && /TPMU_ATTEST has no member for type=0x8099/.test(e.message),
  );
});

test('trailing bytes after a structure are refused; sized structures must be filled exactly', () => {
  assert.throws(() => unmarshal(TPM2B_DIGEST, fromHex('0001aa00')), /1 trailing bytes/);
  const pub = marshal(TPM2B_PUBLIC, aikTemplateEccP256());
  const grown = new Uint8Array(pub.byteLength + 1);
  grown.set(pub);
  new DataView(grown.buffer).setUint16(0, pub.byteLength - 1); // size claims one more byte than TPMT_PUBLIC uses
  assert.throws(() => unmarshal(TPM2B_PUBLIC, grown), /trailing/);
});

test('TPMA bit fields keep unnamed bits so that round trips are exact', () => {
  const v = TPMA_OBJECT.fromNumber(0x000300b2 | 0x80000000);
  assert.equal(
    v.fixedTPM && v.fixedParent && v.sensitiveDataOrigin && v.adminWithPolicy && v.restricted && v.decrypt,
    true,
  );
  assert.equal(v.sign, false);
  assert.equal(v.other, 0x80000000);
  assert.equal(TPMA_OBJECT.toNumber(v), 0x800300b2);
  fc.assert(fc.property(fc.nat({ max: 0xffffffff }), (n) => TPMA_OBJECT.toNumber(TPMA_OBJECT.fromNumber(n)) === n));
  fc.assert(fc.property(fc.nat({ max: 0xff }), (n) => TPMA_SESSION.toNumber(TPMA_SESSION.fromNumber(n)) === n));
});

test('EK template L-1 marshals to the TCG EK Credential Profile bytes', () => {
  // Expected prefix: type RSA, nameAlg SHA256, attributes 0x000300b2, authPolicy (32 bytes), AES-128-CFB, NULL scheme,
  // keyBits 2048, exponent 0, unique size 256 (EK Credential Profile 2.0 §B.3.3, Template L-1).
  const b = marshal(TPMT_PUBLIC, ekTemplateRsa2048());
  assert.equal(
    toHex(b.subarray(0, 58)),
    '0001000b000300b20020837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa' +
      '00060080004300100800000000000100',
  );
  assert.equal(b.byteLength, 58 + 256);
  const e = marshal(TPMT_PUBLIC, ekTemplateEccP256());
  assert.equal(
    toHex(e.subarray(0, 56)),
    '0023000b000300b20020837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa' +
      '0006008000430010000300100020',
  );
  assert.equal(e.byteLength, 56 + 32 + 2 + 32);
});

test('templates round-trip through TPM2B_PUBLIC', () => {
  for (const t of [
    ekTemplateRsa2048(),
    ekTemplateEccP256(),
    srkTemplateRsa2048(),
    aikTemplateEccP256(),
    aikTemplateRsa2048(),
    aikTemplateRsa2048(true),
  ]) {
    roundTrip(TPM2B_PUBLIC, t);
  }
});

test('property: TPMT_PUBLIC (RSA and ECC) round-trips', () => {
  fc.assert(
    fc.property(fc.oneof(rsaPublic, eccPublic), (p) => void roundTrip(TPMT_PUBLIC, p)),
    { numRuns: 300 },
  );
});

test('property: TPMS_ATTEST for quotes and certify info round-trips', () => {
  const quote = fc.record({
    magic: fc.nat({ max: 0xffffffff }),
    type: fc.constant(TPM_ST.ATTEST_QUOTE),
    qualifiedSigner: bytes(66),
    extraData: bytes(66),
    clockInfo,
    firmwareVersion: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    attested: fc.record({ pcrSelect: fc.array(pcrSel, { maxLength: 4 }), pcrDigest: bytes(64) }),
  });
  const certify = fc.record({
    magic: fc.nat({ max: 0xffffffff }),
    type: fc.constant(TPM_ST.ATTEST_CERTIFY),
    qualifiedSigner: bytes(66),
    extraData: bytes(66),
    clockInfo,
    firmwareVersion: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    attested: fc.record({ name: bytes(66), qualifiedName: bytes(66) }),
  });
  fc.assert(
    fc.property(fc.oneof(quote, certify), (a) => void roundTrip(TPMS_ATTEST, a)),
    { numRuns: 300 },
  );
});

test('property: TPMT_SIGNATURE round-trips for RSA, ECC and NULL', () => {
  const sig = fc.oneof(
    fc.record({
      sigAlg: fc.constantFrom(TPM_ALG.RSASSA, TPM_ALG.RSAPSS),
      signature: fc.record({ hash: hashAlg, sig: bytes(512) }),
    }),
    fc.record({
      sigAlg: fc.constant(TPM_ALG.ECDSA),
      signature: fc.record({ hash: hashAlg, signatureR: bytes(66), signatureS: bytes(66) }),
    }),
    fc.constant({ sigAlg: TPM_ALG.NULL, signature: null }),
  );
  fc.assert(
    fc.property(sig, (s) => void roundTrip(TPMT_SIGNATURE, s)),
    { numRuns: 300 },
  );
});

test('property: TPMT_HA digests must have the size their algorithm implies', () => {
  fc.assert(
    fc.property(hashAlg, fc.integer({ min: 0, max: 70 }), (h, n) => {
      const v = { hashAlg: h, digest: new Uint8Array(n) };
      if (n === size(h)) roundTrip(TPMT_HA, v);
      else assert.throws(() => marshal(TPMT_HA, v), LimitError);
    }),
  );
});

test('property: capability data, NV public areas and contexts round-trip', () => {
  const cap = fc.oneof(
    fc.record({
      capability: fc.constant(TPM_CAP.HANDLES),
      data: fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 20 }),
    }),
    fc.record({ capability: fc.constant(TPM_CAP.PCRS), data: fc.array(pcrSel, { maxLength: 4 }) }),
    fc.record({
      capability: fc.constant(TPM_CAP.TPM_PROPERTIES),
      data: fc.array(fc.record({ property: fc.nat({ max: 0xffffffff }), value: fc.nat({ max: 0xffffffff }) }), {
        maxLength: 20,
      }),
    }),
    fc.record({
      capability: fc.constant(TPM_CAP.ALGS),
      data: fc.array(fc.record({ alg: fc.nat({ max: 0xffff }), algProperties: fc.nat({ max: 0xffffffff }) }), {
        maxLength: 20,
      }),
    }),
  );
  fc.assert(fc.property(cap, (c) => void roundTrip(TPMS_CAPABILITY_DATA, c)));
  const nv = fc.record({
    nvIndex: fc.nat({ max: 0xffffffff }),
    nameAlg: hashAlg,
    attributes: fc.nat({ max: 0xffffffff }).map((n) => TPM2B_NV_PUBLIC_ATTR(n)),
    authPolicy: bytes(64),
    dataSize: fc.nat({ max: 0xffff }),
  });
  fc.assert(fc.property(nv, (n) => void roundTrip(TPM2B_NV_PUBLIC, n)));
  const ctx = fc.record({
    sequence: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    savedHandle: fc.nat({ max: 0xffffffff }),
    hierarchy: fc.nat({ max: 0xffffffff }),
    contextBlob: bytes(2000),
  });
  fc.assert(
    fc.property(ctx, (c) => void roundTrip(TPMS_CONTEXT, c)),
    { numRuns: 50 },
  );
});
import { TPMA_NV } from '../../../src/tpm/types/nv.ts';
function TPM2B_NV_PUBLIC_ATTR(n: number) {
  return TPMA_NV.fromNumber(n);
}

test('TPMS_AUTH_COMMAND of a password session (TPM_RS_PW, continueSession, empty nonce)', () => {
  const b = roundTrip(TPMS_AUTH_COMMAND, {
    sessionHandle: 0x40000009,
    nonce: new Uint8Array(0),
    sessionAttributes: TPMA_SESSION.of('continueSession'),
    hmac: fromHex('6f6f6f'),
  });
  assert.equal(toHex(b), '40000009' + '0000' + '01' + '0003' + '6f6f6f');
});

test('PCR selection bit sets map PCR n to bit n%8 of byte n/8', () => {
  assert.equal(toHex(pcrSelectBytes([0, 1, 2, 10, 23])), '070480');
  assert.deepEqual(pcrIndices(fromHex('070480')), [0, 1, 2, 10, 23]);
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 63 }), { maxLength: 20 }), (pcrs) => {
      assert.deepEqual(
        pcrIndices(pcrSelectBytes(pcrs)),
        [...pcrs].sort((a, b) => a - b),
      );
    }),
  );
});

test('struct, list, union and sized compose; errors carry the field path', () => {
  const inner = struct('IN', { sel: u16, body: union('U', 'sel', { 1: u32, 2: empty }) });
  const outer = struct('OUT', { items: list('L', sized('S', inner), 4), tail: tpm2b('T', 4) });
  const v = {
    items: [
      { sel: 1, body: 7 },
      { sel: 2, body: null },
    ],
    tail: fromHex('01'),
  };
  const b = roundTrip(outer, v);
  assert.equal(toHex(b), '00000002' + '0006' + '0001' + '00000007' + '0002' + '0002' + '0001' + '01');
  const truncated = b.subarray(0, 8);
  assert.throws(
    () => unmarshal(outer, truncated),
    (e: unknown) => e instanceof ParseError && e.field.startsWith('OUT.items[0]'),
  );
  const flags = bits('F', 8, { a: 0, b: 7 });
  assert.equal(toHex(marshal(flags, flags.of('a', 'b'))), '81');
});
