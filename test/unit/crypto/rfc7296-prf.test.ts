import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { createPrf, prfPlus, PrfId, PRF_PLUS_MAX_BLOCKS } from '../../../src/crypto/index.ts';
import { ConfigError, LimitError, fromHex, toHex, concat } from '../../../src/common/index.ts';
import { loadVectors } from './vectors.ts';

interface HmacVectors {
  prf: { name: string; prf: number; key: string; data: string; out: string }[];
}
const hmac = loadVectors<HmacVectors>('hmac-sha2.json');

test('HMAC-SHA2 PRFs reproduce the RFC 4231 vectors', () => {
  assert.ok(hmac.prf.length >= 12);
  for (const v of hmac.prf) {
    const prf = createPrf(v.prf);
    assert.equal(toHex(prf.compute(fromHex(v.key), fromHex(v.data))), v.out, v.name);
    assert.equal(prf.size, v.out.length / 2);
  }
});

test('PRF_HMAC_SHA1 has a 20-byte output; unsupported PRFs are a ConfigError', () => {
  const p = createPrf(PrfId.PRF_HMAC_SHA1);
  // RFC 2202 test case 1
  assert.equal(
    toHex(p.compute(fromHex('0b'.repeat(20)), fromHex('4869205468657265'))),
    'b617318655057264e28bc0b6fb378c8ef146be00',
  );
  assert.throws(() => createPrf(PrfId.PRF_AES128_XCBC), ConfigError);
  assert.throws(() => createPrf(999), /unsupported PRF 999/);
});

/** prf+ written out independently as the RFC 7296 §2.13 chain of HMACs. */
function manualPrfPlus(hash: string, key: Uint8Array, seed: Uint8Array, length: number): string {
  let t = new Uint8Array(0);
  let out = '';
  for (let n = 1; out.length < length * 2; n++) {
    t = new Uint8Array(createHmac(hash, key).update(t).update(seed).update(Uint8Array.of(n)).digest());
    out += toHex(t);
  }
  return out.slice(0, length * 2);
}

test('prf+ equals T1 | T2 | ... with Tn = prf(K, Tn-1 | S | n)', () => {
  const hashes: [number, string][] = [
    [PrfId.PRF_HMAC_SHA2_256, 'sha256'],
    [PrfId.PRF_HMAC_SHA2_384, 'sha384'],
    [PrfId.PRF_HMAC_SHA2_512, 'sha512'],
    [PrfId.PRF_HMAC_SHA1, 'sha1'],
  ];
  fc.assert(
    fc.property(
      fc.constantFrom(...hashes),
      fc.uint8Array({ minLength: 0, maxLength: 80 }),
      fc.uint8Array({ minLength: 0, maxLength: 100 }),
      fc.integer({ min: 0, max: 400 }),
      ([id, hash], key, seed, length) => {
        assert.equal(toHex(prfPlus(createPrf(id), key, seed, length)), manualPrfPlus(hash, key, seed, length));
      },
    ),
    { numRuns: 200 },
  );
});

test('prf+ first block is prf(K, S | 0x01) and shorter outputs are prefixes of longer ones', () => {
  const prf = createPrf(PrfId.PRF_HMAC_SHA2_256);
  const k = fromHex('00112233');
  const s = fromHex('aabbcc');
  assert.equal(toHex(prfPlus(prf, k, s, 32)), toHex(prf.compute(k, concat(s, Uint8Array.of(1)))));
  const long = toHex(prfPlus(prf, k, s, 200));
  assert.ok(long.startsWith(toHex(prfPlus(prf, k, s, 77))));
});

test('prf+ refuses more than 255 blocks', () => {
  const prf = createPrf(PrfId.PRF_HMAC_SHA2_256);
  assert.equal(prfPlus(prf, new Uint8Array(1), new Uint8Array(1), PRF_PLUS_MAX_BLOCKS * 32).byteLength, 255 * 32);
  assert.throws(() => prfPlus(prf, new Uint8Array(1), new Uint8Array(1), 255 * 32 + 1), LimitError);
  assert.throws(() => prfPlus(prf, new Uint8Array(1), new Uint8Array(1), -1), LimitError);
});
