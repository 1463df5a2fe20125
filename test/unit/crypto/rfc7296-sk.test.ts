import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createSkCrypto, Encr, Integ } from '../../../src/crypto/index.ts';
import type { Suite } from '../../../src/crypto/index.ts';
import { createCipherCore } from '../../../src/crypto/cipher.ts';
import {
  ConfigError,
  ParseError,
  StateError,
  VerifyError,
  concat,
  fromHex,
  seededRng,
  toHex,
} from '../../../src/common/index.ts';
import type { Rng } from '../../../src/common/index.ts';
import { loadVectors } from './vectors.ts';

interface AeadVector {
  name: string;
  source: string;
  encr: number;
  keyBits: number;
  keyAndSalt: string;
  iv: string;
  aad: string;
  plaintext: string;
  ciphertext: string;
  icv: string;
}
const aead = loadVectors<{ vectors: AeadVector[] }>('aead.json').vectors;

test('AEAD cores reproduce RFC 8439 / RFC 7634 ChaCha20-Poly1305 and GCM-spec AES-GCM vectors', () => {
  assert.ok(aead.length >= 20);
  for (const v of aead) {
    const core = createCipherCore(
      { encr: { id: v.encr, keyLength: v.keyBits } },
      fromHex(v.keyAndSalt),
      new Uint8Array(0),
      'test',
    );
    const { ciphertext, icv } = core.encrypt(fromHex(v.iv), fromHex(v.aad), fromHex(v.plaintext));
    assert.equal(toHex(ciphertext), v.ciphertext, v.name);
    assert.equal(toHex(icv), v.icv, v.name);
    assert.equal(toHex(core.decrypt(fromHex(v.iv), fromHex(v.aad), ciphertext, icv)), v.plaintext, v.name);
  }
});

/** An rng that hands out the given bytes first (for a fixed IV), then seeded bytes. */
function fixedRng(first: Uint8Array): Rng {
  const rest = seededRng('fixed');
  let used = false;
  return (n) => {
    if (!used && n === first.byteLength) {
      used = true;
      return first.slice();
    }
    return rest(n);
  };
}

test('RFC 7634 Appendix B: the IKEv2 SK example seals and opens byte-exactly (one pad-length octet)', () => {
  const v = aead.find((x) => x.name === 'chacha20poly1305_4')!;
  const suite: Suite = { encr: { id: Encr.CHACHA20_POLY1305, keyLength: 256 } };
  const sk = createSkCrypto(suite, fromHex(v.keyAndSalt), new Uint8Array(0), fixedRng(fromHex(v.iv)));
  const inner = fromHex(v.plaintext).subarray(0, -1); // the example's plaintext ends with Pad Length 0
  const body = sk.seal(fromHex(v.aad), inner);
  assert.equal(toHex(body), v.iv + v.ciphertext + v.icv);
  assert.equal(sk.sealedLength(inner.byteLength), body.byteLength);
  assert.equal(toHex(sk.open(fromHex(v.aad), body)), toHex(inner));
});

const suites: { name: string; suite: Suite; encrKey: number; integKey: number; iv: number; icv: number; bs: number }[] =
  [
    {
      name: 'AES-CBC-128/HMAC-SHA2-256-128',
      suite: { encr: { id: Encr.AES_CBC, keyLength: 128 }, integ: Integ.HMAC_SHA2_256_128 },
      encrKey: 16,
      integKey: 32,
      iv: 16,
      icv: 16,
      bs: 16,
    },
    {
      name: 'AES-CBC-192/HMAC-SHA1-96',
      suite: { encr: { id: Encr.AES_CBC, keyLength: 192 }, integ: Integ.HMAC_SHA1_96 },
      encrKey: 24,
      integKey: 20,
      iv: 16,
      icv: 12,
      bs: 16,
    },
    {
      name: 'AES-CBC-256/HMAC-SHA2-384-192',
      suite: { encr: { id: Encr.AES_CBC, keyLength: 256 }, integ: Integ.HMAC_SHA2_384_192 },
      encrKey: 32,
      integKey: 48,
      iv: 16,
      icv: 24,
      bs: 16,
    },
    {
      name: 'AES-CBC-256/HMAC-SHA2-512-256',
      suite: { encr: { id: Encr.AES_CBC, keyLength: 256 }, integ: Integ.HMAC_SHA2_512_256 },
      encrKey: 32,
      integKey: 64,
      iv: 16,
      icv: 32,
      bs: 16,
    },
    {
      name: 'AES-GCM-16-128',
      suite: { encr: { id: Encr.AES_GCM_16, keyLength: 128 } },
      encrKey: 20,
      integKey: 0,
      iv: 8,
      icv: 16,
      bs: 1,
    },
    {
      name: 'AES-GCM-16-256',
      suite: { encr: { id: Encr.AES_GCM_16, keyLength: 256 } },
      encrKey: 36,
      integKey: 0,
      iv: 8,
      icv: 16,
      bs: 1,
    },
    {
      name: 'AES-GCM-12-192',
      suite: { encr: { id: Encr.AES_GCM_12, keyLength: 192 } },
      encrKey: 28,
      integKey: 0,
      iv: 8,
      icv: 12,
      bs: 1,
    },
    {
      name: 'AES-GCM-8-128',
      suite: { encr: { id: Encr.AES_GCM_8, keyLength: 128 } },
      encrKey: 20,
      integKey: 0,
      iv: 8,
      icv: 8,
      bs: 1,
    },
    {
      name: 'ChaCha20-Poly1305',
      suite: { encr: { id: Encr.CHACHA20_POLY1305, keyLength: 256 } },
      encrKey: 36,
      integKey: 0,
      iv: 8,
      icv: 16,
      bs: 1,
    },
  ];

function pair(s: (typeof suites)[number], seed: string) {
  const rng = seededRng(seed);
  const ek = rng(s.encrKey);
  const ik = rng(s.integKey);
  return {
    a: createSkCrypto(s.suite, ek, ik, seededRng(seed + 'a')),
    b: createSkCrypto(s.suite, ek, ik, seededRng(seed + 'b')),
  };
}

for (const s of suites) {
  test(`SK ${s.name}: seal/open round trip, lengths and padding (property)`, () => {
    const { a, b } = pair(s, s.name);
    assert.equal(a.ivLength, s.iv);
    assert.equal(a.icvLength, s.icv);
    assert.equal(a.blockSize, s.bs);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 28, maxLength: 60 }), (plain, aad) => {
        const body = a.seal(aad, plain);
        assert.equal(body.byteLength, a.sealedLength(plain.byteLength));
        const ctLength = body.byteLength - s.iv - s.icv;
        assert.equal(ctLength % s.bs, 0);
        // At least the pad-length octet, at most one block of padding.
        assert.ok(ctLength >= plain.byteLength + 1 && ctLength <= plain.byteLength + s.bs);
        if (s.bs === 1) assert.equal(ctLength, plain.byteLength + 1);
        assert.equal(toHex(b.open(aad, body)), toHex(plain));
      }),
      { numRuns: 60 },
    );
  });

  test(`SK ${s.name}: any flipped bit in AAD, IV, ciphertext or ICV is a VerifyError`, () => {
    const { a, b } = pair(s, s.name + 'tamper');
    const aad = fromHex('00'.repeat(28));
    const body = a.seal(aad, fromHex('2900000c0100000054455354'));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: (aad.byteLength + body.byteLength) * 8 - 1 }), (bit) => {
        const all = concat(aad, body);
        all[bit >> 3]! ^= 1 << (bit & 7);
        assert.throws(() => b.open(all.subarray(0, aad.byteLength), all.subarray(aad.byteLength)), VerifyError);
      }),
      { numRuns: 80 },
    );
  });

  test(`SK ${s.name}: a pad length beyond the plaintext is a ParseError; bad body lengths too`, () => {
    const rng = seededRng(s.name + 'pad');
    const ek = rng(s.encrKey);
    const ik = rng(s.integKey);
    const core = createCipherCore(s.suite, ek, ik, 'SK');
    const sk = createSkCrypto(s.suite, ek, ik, rng);
    const aad = fromHex('11'.repeat(32));
    const iv = rng(s.iv);
    const padded = new Uint8Array(s.bs === 1 ? 5 : 16);
    padded[padded.length - 1] = padded.length; // claims one more byte than exists
    const { ciphertext, icv } = core.encrypt(iv, aad, padded);
    assert.throws(() => sk.open(aad, concat(iv, ciphertext, icv)), ParseError);
    padded[padded.length - 1] = padded.length - 1; // exactly everything is padding: empty payloads
    const ok = core.encrypt(iv, aad, padded);
    assert.equal(sk.open(aad, concat(iv, ok.ciphertext, ok.icv)).byteLength, 0);
    assert.throws(() => sk.open(aad, new Uint8Array(s.iv + s.icv)), ParseError);
    if (s.bs > 1) assert.throws(() => sk.open(aad, new Uint8Array(s.iv + s.icv + 15)), ParseError);
  });
}

test('AEAD IVs come from a counter seeded by the rng and never repeat; CBC IVs are random', () => {
  const s = suites.find((x) => x.name === 'AES-GCM-16-256')!;
  const start = fromHex('fffffffffffffffe');
  const sk = createSkCrypto(s.suite, new Uint8Array(36), new Uint8Array(0), fixedRng(start));
  const ivs = [0, 1, 2, 3].map(() => toHex(sk.seal(new Uint8Array(0), new Uint8Array(4)).subarray(0, 8)));
  assert.deepEqual(ivs, ['fffffffffffffffe', 'ffffffffffffffff', '0000000000000000', '0000000000000001']);
  const c = suites[0]!;
  const cbc = createSkCrypto(c.suite, new Uint8Array(16), new Uint8Array(32), seededRng('cbc'));
  const a = cbc.seal(new Uint8Array(0), new Uint8Array(4)).subarray(0, 16);
  const b = cbc.seal(new Uint8Array(0), new Uint8Array(4)).subarray(0, 16);
  assert.notEqual(toHex(a), toHex(b));
});

test('wrong key sizes or mixing AEAD with integrity are ConfigErrors', () => {
  const rng = seededRng('cfg');
  assert.throws(
    () => createSkCrypto({ encr: { id: Encr.AES_GCM_16, keyLength: 128 } }, new Uint8Array(16), new Uint8Array(0), rng),
    ConfigError,
  );
  assert.throws(
    () =>
      createSkCrypto(
        { encr: { id: Encr.AES_GCM_16, keyLength: 128 }, integ: Integ.HMAC_SHA2_256_128 },
        new Uint8Array(20),
        new Uint8Array(32),
        rng,
      ),
    ConfigError,
  );
  assert.throws(
    () => createSkCrypto({ encr: { id: Encr.AES_CBC, keyLength: 128 } }, new Uint8Array(16), new Uint8Array(0), rng),
    /integrity/,
  );
  assert.throws(
    () =>
      createSkCrypto(
        { encr: { id: Encr.AES_CBC, keyLength: 128 }, integ: Integ.HMAC_SHA2_256_128 },
        new Uint8Array(16),
        new Uint8Array(20),
        rng,
      ),
    ConfigError,
  );
});

test('dispose() drops the keys: later use is a StateError', () => {
  const s = suites[4]!;
  const sk = createSkCrypto(s.suite, new Uint8Array(s.encrKey), new Uint8Array(s.integKey), seededRng('d'));
  const body = sk.seal(new Uint8Array(4), new Uint8Array(4));
  sk.dispose();
  assert.throws(() => sk.seal(new Uint8Array(4), new Uint8Array(4)), StateError);
  assert.throws(() => sk.open(new Uint8Array(4), body), StateError);
});
