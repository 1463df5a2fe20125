import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createHmac,
  generateKeyPairSync,
  createPublicKey,
  sign as nodeSign,
  verify as nodeVerify,
  constants,
} from 'node:crypto';
import fc from 'fast-check';
import {
  pskAuth,
  signDigital,
  verifyDigital,
  digitalSignatureName,
  signLegacy,
  verifyLegacy,
  signatureHashAlgorithms,
  SignatureHash,
  hashFromId,
  createPrf,
  PrfId,
} from '../../../src/crypto/index.ts';
import { ConfigError, VerifyError, concat, fromHex, toHex, utf8 } from '../../../src/common/index.ts';

test('PSK AUTH = prf(prf(psk, "Key Pad for IKEv2"), octets) (RFC 7296 §2.15)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 300 }), (psk, octets) => {
      const inner = createHmac('sha256', psk).update('Key Pad for IKEv2').digest();
      const expected = createHmac('sha256', inner).update(octets).digest('hex');
      assert.equal(toHex(pskAuth(createPrf(PrfId.PRF_HMAC_SHA2_256), psk, octets)), expected);
      assert.equal(toHex(pskAuth(PrfId.PRF_HMAC_SHA2_256, psk, octets)), expected);
    }),
    { numRuns: 50 },
  );
  assert.equal(pskAuth(PrfId.PRF_HMAC_SHA2_512, utf8('secret'), utf8('x')).byteLength, 64);
});

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
const ed25519 = generateKeyPairSync('ed25519');
const ed448 = generateKeyPairSync('ed448');
const octets = utf8('IKE_SA_INIT message | Nr | prf(SK_pi, IDi)');

/** AlgorithmIdentifier prefixes, RFC 7427 Appendix A / RFC 8420 §3 (independent copy of the table). */
const cases = [
  { name: 'RSA PKCS#1 SHA-256', key: rsa, opts: {}, aid: '300d06092a864886f70d01010b0500' },
  { name: 'RSA PKCS#1 SHA-384', key: rsa, opts: { hash: 'sha384' as const }, aid: '300d06092a864886f70d01010c0500' },
  { name: 'RSA PKCS#1 SHA-512', key: rsa, opts: { hash: 'sha512' as const }, aid: '300d06092a864886f70d01010d0500' },
  {
    name: 'RSASSA-PSS SHA-256',
    key: rsa,
    opts: { rsaPss: true },
    aid: '304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120',
  },
  {
    name: 'RSASSA-PSS SHA-512',
    key: rsa,
    opts: { rsaPss: true, hash: 'sha512' as const },
    aid: '304106092a864886f70d01010a3034a00f300d06096086480165030402030500a11c301a06092a864886f70d010108300d06096086480165030402030500a203020140',
  },
  { name: 'ECDSA P-256', key: p256, opts: {}, aid: '300a06082a8648ce3d040302' },
  {
    name: 'ECDSA P-384 (hash follows the curve)',
    key: p384,
    opts: { hash: 'sha256' as const },
    aid: '300a06082a8648ce3d040303',
  },
  { name: 'ECDSA P-521', key: p521, opts: {}, aid: '300a06082a8648ce3d040304' },
  { name: 'Ed25519', key: ed25519, opts: {}, aid: '300506032b6570' },
  { name: 'Ed448', key: ed448, opts: {}, aid: '300506032b6571' },
];

for (const c of cases) {
  test(`RFC 7427 ${c.name}: AUTH data layout, round trip, tampering`, () => {
    const data = signDigital(c.key.privateKey, octets, c.opts);
    const aidLen = c.aid.length / 2;
    assert.equal(data[0], aidLen);
    assert.equal(toHex(data.subarray(1, 1 + aidLen)), c.aid);
    verifyDigital(c.key.publicKey, octets, data);
    verifyDigital(c.key.privateKey, octets, data); // a private key is reduced to its public half
    assert.ok(digitalSignatureName(data));
    const tampered = octets.slice();
    tampered[3]! ^= 1;
    assert.throws(
      () => verifyDigital(c.key.publicKey, tampered, data),
      (e: unknown) => e instanceof VerifyError && /does not verify/.test(e.message),
    );
    const sigFlip = data.slice();
    sigFlip[sigFlip.length - 1]! ^= 0x40;
    assert.throws(() => verifyDigital(c.key.publicKey, octets, sigFlip), VerifyError);
  });
}

test('RFC 7427 signatures are what OpenSSL produces for the named scheme (independent verification)', () => {
  const pss = signDigital(rsa.privateKey, octets, { rsaPss: true, hash: 'sha384' });
  const sig = pss.subarray(1 + pss[0]!);
  assert.ok(
    nodeVerify('sha384', octets, { key: rsa.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }, sig),
  );
  const ec = signDigital(p256.privateKey, octets);
  assert.ok(nodeVerify('sha256', octets, p256.publicKey, ec.subarray(1 + ec[0]!)));
  // A signature made elsewhere with the RFC 7427 A.1 sha256WithRSAEncryption identifier verifies.
  const external = concat(
    Uint8Array.of(15),
    fromHex('300d06092a864886f70d01010b0500'),
    nodeSign('sha256', octets, rsa.privateKey),
  );
  verifyDigital(rsa.publicKey, octets, external);
  // RFC 7427 A.4.3 original PSS identifier (with trailerField) is accepted.
  const aid = fromHex(
    '304606092a864886f70d01010a3039a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120a303020101',
  );
  const pssSig = nodeSign('sha256', octets, {
    key: rsa.privateKey,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: 32,
  });
  verifyDigital(rsa.publicKey, octets, concat(Uint8Array.of(aid.byteLength), aid, pssSig));
});

test('verifyDigital names the reason: unknown AlgorithmIdentifier, key type mismatch, truncation', () => {
  const ec = signDigital(p256.privateKey, octets);
  assert.throws(
    () => verifyDigital(rsa.publicKey, octets, ec),
    (e: unknown) => e instanceof VerifyError && /does not fit a rsa key/.test(e.message),
  );
  assert.throws(
    () => verifyDigital(ed25519.publicKey, octets, signDigital(rsa.privateKey, octets)),
    /does not fit a ed25519 key/,
  );
  const unknown = ec.slice();
  unknown[unknown[0]!]! ^= 0x07; // last byte of the OID
  assert.throws(() => verifyDigital(p256.publicKey, octets, unknown), /unknown signature AlgorithmIdentifier/);
  assert.throws(() => verifyDigital(p256.publicKey, octets, new Uint8Array(0)), /truncated/);
  assert.throws(() => verifyDigital(p256.publicKey, octets, Uint8Array.of(200, 1, 2)), /does not fit/);
  // A P-256 signature checked with the P-384 key fails as a bad signature, not a crash.
  assert.throws(() => verifyDigital(p384.publicKey, octets, ec), VerifyError);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (junk) => {
      try {
        verifyDigital(p256.publicKey, octets, junk);
        assert.fail('junk verified');
      } catch (e) {
        assert.ok(e instanceof VerifyError, String(e));
      }
    }),
    { numRuns: 200 },
  );
  const dsa = generateKeyPairSync('x25519');
  assert.throws(() => signDigital(dsa.privateKey, octets), ConfigError);
});

test('legacy methods: RSA (1) and ECDSA 9/10/11 with raw r ‖ s (RFC 4754 §7)', () => {
  const r1 = signLegacy(1, rsa.privateKey, octets);
  assert.equal(r1.byteLength, 256);
  verifyLegacy(1, rsa.publicKey, octets, r1);
  for (const [method, kp, size] of [
    [9, p256, 64],
    [10, p384, 96],
    [11, p521, 132],
  ] as const) {
    const s = signLegacy(method, kp.privateKey, octets);
    assert.equal(s.byteLength, size);
    verifyLegacy(method, createPublicKey(kp.privateKey), octets, s);
    const bad = s.slice();
    bad[5]! ^= 1;
    assert.throws(() => verifyLegacy(method, kp.publicKey, octets, bad), VerifyError);
  }
  assert.throws(() => verifyLegacy(9, p384.publicKey, octets, new Uint8Array(96)), /needs a prime256v1 key/);
  assert.throws(() => verifyLegacy(14, p256.publicKey, octets, new Uint8Array(64)), /not a legacy signature method/);
  assert.throws(() => verifyLegacy(9, p256.publicKey, octets, new Uint8Array(3)), VerifyError);
});

test('SIGNATURE_HASH_ALGORITHMS ids (RFC 7427 §7)', () => {
  assert.deepEqual(SignatureHash, { SHA1: 1, SHA2_256: 2, SHA2_384: 3, SHA2_512: 4, IDENTITY: 5 });
  assert.deepEqual(signatureHashAlgorithms, [2, 3, 4, 5]);
  assert.equal(hashFromId(3), 'sha384');
  assert.equal(hashFromId(1), undefined);
});
