import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import {
  deriveIkeKeys,
  deriveRekeyedIkeKeys,
  deriveIkeKeysAfterAddKe,
  deriveChildKeys,
  createPrf,
  Encr,
  Integ,
  PrfId,
  KeMethod,
} from '../../../src/crypto/index.ts';
import type { Suite } from '../../../src/crypto/index.ts';
import { ConfigError, concat, fromHex, toHex } from '../../../src/common/index.ts';

const hmac = (hash: string, key: Uint8Array, ...data: Uint8Array[]) => {
  const h = createHmac(hash, key);
  for (const d of data) h.update(d);
  return new Uint8Array(h.digest());
};
/** Independent prf+ (RFC 7296 §2.13). */
function prfPlusRef(hash: string, key: Uint8Array, seed: Uint8Array, length: number): Uint8Array {
  const out: Uint8Array[] = [];
  let t = new Uint8Array(0);
  let n = 0;
  for (let i = 1; n < length; i++) {
    t = hmac(hash, key, t, seed, Uint8Array.of(i));
    out.push(t);
    n += t.byteLength;
  }
  return concat(...out).slice(0, length);
}

const ni = fromHex('a1'.repeat(32));
const nr = fromHex('b2'.repeat(32));
const spiI = 0x0102030405060708n;
const spiR = 0xf0e0d0c0b0a09080n;
const spis = fromHex('0102030405060708 f0e0d0c0b0a09080');
const gir = fromHex('c3'.repeat(256));

const cbcSuite: Suite = {
  encr: { id: Encr.AES_CBC, keyLength: 256 },
  prf: PrfId.PRF_HMAC_SHA2_256,
  integ: Integ.HMAC_SHA2_256_128,
  ke: KeMethod.MODP_2048,
};
const gcmSuite: Suite = {
  encr: { id: Encr.AES_GCM_16, keyLength: 128 },
  prf: PrfId.PRF_HMAC_SHA2_384,
  ke: KeMethod.CURVE_25519,
};
const chachaSuite: Suite = {
  encr: { id: Encr.CHACHA20_POLY1305, keyLength: 256 },
  prf: PrfId.PRF_HMAC_SHA2_512,
  ke: KeMethod.ECP_384,
};

test('SKEYSEED = prf(Ni | Nr, g^ir) and the seven keys split prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) (§2.14)', () => {
  const { skeyseed, keys } = deriveIkeKeys({ suite: cbcSuite, ni, nr, sharedSecret: gir, spiI, spiR });
  const expectSeed = hmac('sha256', concat(ni, nr), gir);
  assert.equal(toHex(skeyseed), toHex(expectSeed));
  const km = prfPlusRef('sha256', expectSeed, concat(ni, nr, spis), 32 * 3 + 32 * 2 + 32 * 2);
  const parts = [keys.skD, keys.skAi, keys.skAr, keys.skEi, keys.skEr, keys.skPi, keys.skPr];
  assert.deepEqual(
    parts.map((p) => p.byteLength),
    [32, 32, 32, 32, 32, 32, 32],
  );
  assert.equal(toHex(concat(...parts)), toHex(km));
});

test('AEAD suites have no SK_a and SK_e includes the 4-byte salt', () => {
  const gcm = deriveIkeKeys({ suite: gcmSuite, ni, nr, sharedSecret: gir, spiI, spiR }).keys;
  assert.equal(gcm.skAi.byteLength, 0);
  assert.equal(gcm.skEi.byteLength, 16 + 4);
  assert.equal(gcm.skD.byteLength, 48);
  assert.equal(gcm.skPr.byteLength, 48);
  const cc = deriveIkeKeys({ suite: chachaSuite, ni, nr, sharedSecret: gir, spiI, spiR }).keys;
  assert.equal(cc.skEr.byteLength, 32 + 4);
  assert.equal(cc.skD.byteLength, 64);
  const km = prfPlusRef('sha384', hmac('sha384', concat(ni, nr), gir), concat(ni, nr, spis), 48 + 20 + 20 + 48 + 48);
  assert.equal(toHex(concat(gcm.skD, gcm.skEi, gcm.skEr, gcm.skPi, gcm.skPr)), toHex(km));
});

test('SPIs enter as 8-byte big-endian values', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      (a, b) => {
        const { skeyseed, keys } = deriveIkeKeys({ suite: gcmSuite, ni, nr, sharedSecret: gir, spiI: a, spiR: b });
        const s = new Uint8Array(16);
        new DataView(s.buffer).setBigUint64(0, a);
        new DataView(s.buffer).setBigUint64(8, b);
        assert.equal(toHex(keys.skD), toHex(prfPlusRef('sha384', skeyseed, concat(ni, nr, s), 48)));
      },
    ),
    { numRuns: 30 },
  );
});

test('rekeyed IKE SA: SKEYSEED = prf_old(SK_d_old, g^ir | Ni | Nr), expansion with the new PRF (§2.18)', () => {
  const skDOld = fromHex('5d'.repeat(32));
  const { skeyseed, keys } = deriveRekeyedIkeKeys({
    suite: gcmSuite,
    prfOld: PrfId.PRF_HMAC_SHA2_256,
    skDOld,
    sharedSecret: gir,
    ni,
    nr,
    spiI,
    spiR,
  });
  const seed = hmac('sha256', skDOld, gir, ni, nr);
  assert.equal(toHex(skeyseed), toHex(seed));
  assert.equal(toHex(keys.skD), toHex(prfPlusRef('sha384', seed, concat(ni, nr, spis), 48)));
  // RFC 9370 §2.2.4: additional secrets are concatenated after g^ir.
  const extra = fromHex('77'.repeat(32));
  const withAdd = deriveRekeyedIkeKeys({
    suite: gcmSuite,
    prfOld: 5,
    skDOld,
    sharedSecret: [gir, extra],
    ni,
    nr,
    spiI,
    spiR,
  });
  assert.equal(toHex(withAdd.skeyseed), toHex(hmac('sha256', skDOld, gir, extra, ni, nr)));
});

test('additional key exchange: SKEYSEED(n) = prf(SK_d(n-1), SK(n) | Ni | Nr) (RFC 9370 §2.2.2)', () => {
  const first = deriveIkeKeys({ suite: gcmSuite, ni, nr, sharedSecret: gir, spiI, spiR });
  const sk1 = fromHex('99'.repeat(32));
  const next = deriveIkeKeysAfterAddKe({
    suite: gcmSuite,
    skDOld: first.keys.skD,
    sharedSecret: sk1,
    ni,
    nr,
    spiI,
    spiR,
  });
  const seed = hmac('sha384', first.keys.skD, sk1, ni, nr);
  assert.equal(toHex(next.skeyseed), toHex(seed));
  assert.equal(
    toHex(next.keys.skPi),
    toHex(prfPlusRef('sha384', seed, concat(ni, nr, spis), 48 + 2 * 20 + 2 * 48).slice(48 + 2 * 20, 48 + 2 * 20 + 48)),
  );
  assert.notEqual(toHex(next.keys.skEi), toHex(first.keys.skEi));
});

test('CHILD_SA KEYMAT = prf+(SK_d, [g^ir] | Ni | Nr), split encr_i, integ_i, encr_r, integ_r (§2.17)', () => {
  const skD = fromHex('42'.repeat(32));
  const esp: Suite = { encr: { id: Encr.AES_CBC, keyLength: 128 }, integ: Integ.HMAC_SHA2_256_128, esn: 0 };
  const k = deriveChildKeys({ prf: createPrf(PrfId.PRF_HMAC_SHA2_256), skD, ni, nr, suite: esp });
  const km = prfPlusRef('sha256', skD, concat(ni, nr), 2 * (16 + 32));
  assert.equal(toHex(concat(k.encrI, k.integI, k.encrR, k.integR)), toHex(km));
  assert.deepEqual(
    [k.encrI.byteLength, k.integI.byteLength, k.encrR.byteLength, k.integR.byteLength],
    [16, 32, 16, 32],
  );

  const pfs = deriveChildKeys({ prf: PrfId.PRF_HMAC_SHA2_256, skD, ni, nr, sharedSecret: gir, suite: esp });
  assert.equal(toHex(pfs.encrI), toHex(prfPlusRef('sha256', skD, concat(gir, ni, nr), 16)));

  const gcm = deriveChildKeys({
    prf: 5,
    skD,
    ni,
    nr,
    suite: { encr: { id: Encr.AES_GCM_16, keyLength: 256 }, esn: 0 },
  });
  assert.equal(gcm.encrI.byteLength, 36);
  assert.equal(gcm.integR.byteLength, 0);
  const cc = deriveChildKeys({ prf: 5, skD, ni, nr, suite: { encr: { id: Encr.CHACHA20_POLY1305, keyLength: 256 } } });
  assert.equal(cc.encrR.byteLength, 36);
  assert.equal(toHex(concat(cc.encrI, cc.encrR)), toHex(prfPlusRef('sha256', skD, concat(ni, nr), 72)));
});

test('suites with unsupported or inconsistent algorithms are ConfigErrors', () => {
  assert.throws(
    () =>
      deriveIkeKeys({
        suite: { encr: { id: Encr.AES_CBC, keyLength: 100 }, prf: 5 },
        ni,
        nr,
        sharedSecret: gir,
        spiI,
        spiR,
      }),
    ConfigError,
  );
  assert.throws(
    () => deriveIkeKeys({ suite: { encr: { id: 3, keyLength: 128 }, prf: 5 }, ni, nr, sharedSecret: gir, spiI, spiR }),
    /unsupported encryption/,
  );
  assert.throws(
    () =>
      deriveIkeKeys({ suite: { encr: { id: Encr.AES_CBC, keyLength: 128 } }, ni, nr, sharedSecret: gir, spiI, spiR }),
    /without a PRF/,
  );
  assert.throws(
    () => deriveIkeKeys({ suite: { ...cbcSuite, integ: 5 }, ni, nr, sharedSecret: gir, spiI, spiR }),
    /unsupported integrity/,
  );
});
