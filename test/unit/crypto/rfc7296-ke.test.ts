import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getDiffieHellman } from 'node:crypto';
import fc from 'fast-check';
import { createKeyExchange, keMethods, KeMethod, KE, isKeTransformType } from '../../../src/crypto/index.ts';
import { ConfigError, StateError, VerifyError, fromHex, seededRng, toHex } from '../../../src/common/index.ts';
import type { Rng } from '../../../src/common/index.ts';
import { loadVectors } from './vectors.ts';

interface KeVector {
  name: string;
  source: string;
  method: number;
  privI: string;
  privR: string;
  pubI: string;
  pubR: string;
  shared: string;
}
const vectors = loadVectors<{ vectors: KeVector[] }>('ke.json').vectors;
const constRng =
  (hex: string): Rng =>
  () =>
    fromHex(hex);

test('ECP (RFC 5903 §8, RFC 5114) and Curve25519/448 (RFC 7748 §6, RFC 8031) known answers', () => {
  assert.ok(vectors.length >= 6);
  for (const v of vectors) {
    const i = createKeyExchange(v.method, constRng(v.privI));
    const r = createKeyExchange(v.method, constRng(v.privR));
    assert.equal(toHex(i.publicValue()), v.pubI, v.name);
    r.receive(fromHex(v.pubI));
    assert.equal(toHex(r.publicValue()), v.pubR, v.name);
    i.receive(fromHex(v.pubR));
    assert.equal(toHex(i.sharedSecret()), v.shared, v.name);
    assert.equal(toHex(r.sharedSecret()), v.shared, v.name);
  }
});

test('both roles agree on the secret for every method, with the documented value lengths', () => {
  assert.deepEqual(
    [...keMethods].sort((a, b) => a - b),
    [14, 15, 16, 19, 20, 31, 32, 35, 36, 37],
  );
  for (const m of keMethods) {
    const d = KE.get(m)!;
    const i = createKeyExchange(m, seededRng(`i${m}`));
    const r = createKeyExchange(m, seededRng(`r${m}`));
    const gi = i.publicValue();
    assert.equal(gi.byteLength, d.initiatorLength, d.name);
    r.receive(gi);
    const gr = r.publicValue();
    assert.equal(gr.byteLength, d.responderLength, d.name);
    i.receive(gr);
    assert.equal(toHex(i.sharedSecret()), toHex(r.sharedSecret()), d.name);
    const expected =
      d.kind === 'modp'
        ? d.initiatorLength
        : d.kind === 'mlkem'
          ? 32
          : d.kind === 'ecp'
            ? d.initiatorLength / 2
            : d.initiatorLength;
    assert.equal(i.sharedSecret().byteLength, expected, d.name);
    i.dispose();
    r.dispose();
    assert.throws(() => i.sharedSecret(), StateError);
  }
});

test('a DH responder may also send first (either order works for DH methods)', () => {
  for (const m of [KeMethod.MODP_2048, KeMethod.ECP_256, KeMethod.CURVE_448]) {
    const a = createKeyExchange(m, seededRng('a'));
    const b = createKeyExchange(m, seededRng('b'));
    const ga = a.publicValue();
    const gb = b.publicValue();
    b.receive(ga);
    a.receive(gb);
    assert.equal(toHex(a.sharedSecret()), toHex(b.sharedSecret()));
  }
});

test('private values come from the injected rng: same seed, same public value', () => {
  for (const m of [KeMethod.MODP_3072, KeMethod.ECP_384, KeMethod.CURVE_25519, KeMethod.ML_KEM_768]) {
    assert.equal(
      toHex(createKeyExchange(m, seededRng('s')).publicValue()),
      toHex(createKeyExchange(m, seededRng('s')).publicValue()),
    );
    assert.notEqual(
      toHex(createKeyExchange(m, seededRng('s')).publicValue()),
      toHex(createKeyExchange(m, seededRng('t')).publicValue()),
    );
  }
});

test('MODP agrees with an independent node DiffieHellman group object, left-padding to the prime length', () => {
  for (const [m, group] of [
    [KeMethod.MODP_2048, 'modp14'],
    [KeMethod.MODP_3072, 'modp15'],
    [KeMethod.MODP_4096, 'modp16'],
  ] as const) {
    const ref = getDiffieHellman(group);
    ref.generateKeys();
    const ours = createKeyExchange(m, seededRng(group));
    const pad = (b: Buffer) => {
      const out = new Uint8Array(ref.getPrime().byteLength);
      out.set(b, out.byteLength - b.byteLength);
      return out;
    };
    ours.receive(pad(ref.getPublicKey()));
    assert.equal(toHex(ours.sharedSecret()), toHex(pad(ref.computeSecret(Buffer.from(ours.publicValue())))));
  }
});

test('MODP peer values 0, 1, p-1, p and above are VerifyErrors', () => {
  const p = new Uint8Array(getDiffieHellman('modp14').getPrime());
  const pMinus1 = p.slice();
  pMinus1[pMinus1.length - 1]! -= 1;
  const one = new Uint8Array(256);
  one[255] = 1;
  for (const bad of [
    new Uint8Array(256),
    one,
    pMinus1,
    p,
    new Uint8Array(256).fill(0xff),
    new Uint8Array(255).fill(1),
  ]) {
    const ke = createKeyExchange(KeMethod.MODP_2048, seededRng('m'));
    assert.throws(() => ke.receive(bad), VerifyError);
  }
});

test('ECP points off the curve, and wrong lengths, are VerifyErrors', () => {
  const good = createKeyExchange(KeMethod.ECP_256, seededRng('p')).publicValue();
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
      const bad = good.slice();
      bad[at]! ^= x;
      const ke = createKeyExchange(KeMethod.ECP_256, seededRng('q'));
      assert.throws(() => ke.receive(bad), VerifyError);
    }),
    { numRuns: 40 },
  );
  assert.throws(() => createKeyExchange(KeMethod.ECP_384).receive(new Uint8Array(96)), VerifyError);
  assert.throws(() => createKeyExchange(KeMethod.ECP_256).receive(good.subarray(1)), VerifyError);
});

test('Curve25519/448 low-order points give an all-zero secret and are VerifyErrors', () => {
  // u = 0 and u = 1 are small-order points (RFC 7748 §6.1; RFC 8031 §2.3 requires the check).
  for (const m of [KeMethod.CURVE_25519, KeMethod.CURVE_448]) {
    const n = KE.get(m)!.initiatorLength;
    const one = new Uint8Array(n);
    one[0] = 1;
    for (const bad of [new Uint8Array(n), one]) {
      assert.throws(() => createKeyExchange(m, seededRng('x')).receive(bad), VerifyError);
    }
    assert.throws(() => createKeyExchange(m).receive(new Uint8Array(n - 1)), VerifyError);
  }
});

test('ML-KEM: invalid encapsulation keys and wrong-length ciphertexts are VerifyErrors; a forged ciphertext gives a different secret', () => {
  const r = createKeyExchange(KeMethod.ML_KEM_768);
  assert.throws(() => r.receive(new Uint8Array(1184).fill(0xff)), VerifyError);
  assert.throws(() => createKeyExchange(KeMethod.ML_KEM_512).receive(new Uint8Array(10)), VerifyError);
  const i = createKeyExchange(KeMethod.ML_KEM_1024, seededRng('kem'));
  const resp = createKeyExchange(KeMethod.ML_KEM_1024);
  resp.receive(i.publicValue());
  const ct = resp.publicValue().slice();
  assert.throws(() => i.receive(ct.subarray(1)), VerifyError);
  ct[0]! ^= 1;
  i.receive(ct); // implicit rejection (FIPS 203): no error, but no agreement either
  assert.notEqual(toHex(i.sharedSecret()), toHex(resp.sharedSecret()));
});

test('state: unsupported methods, secret before the peer value, second receive', () => {
  assert.throws(() => createKeyExchange(KeMethod.MODP_1024), ConfigError);
  assert.throws(() => createKeyExchange(12345), /unsupported key exchange method 12345/);
  const ke = createKeyExchange(KeMethod.CURVE_25519);
  assert.throws(() => ke.sharedSecret(), StateError);
  ke.receive(createKeyExchange(KeMethod.CURVE_25519).publicValue());
  assert.throws(() => ke.receive(new Uint8Array(32).fill(9)), StateError);
  assert.ok(isKeTransformType(4) && isKeTransformType(6) && isKeTransformType(12) && !isKeTransformType(5));
});
