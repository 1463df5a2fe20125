import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { createEspCipher, espHeader, Encr, Integ } from '../../../src/crypto/index.ts';
import type { Suite } from '../../../src/crypto/index.ts';
import { createCipherCore } from '../../../src/crypto/cipher.ts';
import { ParseError, StateError, VerifyError, concat, fromHex, seededRng, toHex } from '../../../src/common/index.ts';
import type { Rng } from '../../../src/common/index.ts';
import { loadVectors } from './vectors.ts';

interface AeadVector {
  name: string;
  keyAndSalt: string;
  iv: string;
  aad: string;
  plaintext: string;
  ciphertext: string;
  icv: string;
}
const vectors = loadVectors<{ vectors: AeadVector[] }>('aead.json').vectors;

test('RFC 7634 Appendix A: the ESP example packet is reproduced byte-exactly and opens', () => {
  const v = vectors.find((x) => x.name === 'chacha20poly1305_3')!;
  const suite: Suite = { encr: { id: Encr.CHACHA20_POLY1305, keyLength: 256 }, esn: 0 };
  // IV = seq XOR mask; choose the mask so that seq 5 gives the example's IV.
  const mask = (BigInt('0x' + v.iv) ^ 5n).toString(16).padStart(16, '0');
  const maskRng: Rng = () => fromHex(mask);
  const esp = createEspCipher(suite, fromHex(v.keyAndSalt), new Uint8Array(0), maskRng);
  const plain = fromHex(v.plaintext);
  const payload = plain.subarray(0, plain.byteLength - 4);
  assert.equal(toHex(plain.subarray(-4)), '01020204'); // padding 1, 2; pad length 2; next header 4 (IPv4)
  const packet = esp.seal({ spi: 0x01020304, seq: 5, payload, nextHeader: 4 });
  assert.equal(toHex(packet), v.aad + v.iv + v.ciphertext + v.icv);
  assert.equal(esp.sealedLength(payload.byteLength), packet.byteLength);
  const opened = esp.open(packet);
  assert.deepEqual(
    { ...opened, payload: toHex(opened.payload) },
    { spi: 0x01020304, seq: 5, nextHeader: 4, payload: toHex(payload) },
  );
  assert.deepEqual(espHeader(packet), { spi: 0x01020304, seq: 5 });
});

const suites: { name: string; suite: Suite; ek: number; ik: number }[] = [
  {
    name: 'AES-CBC-128/HMAC-SHA2-256-128',
    suite: { encr: { id: Encr.AES_CBC, keyLength: 128 }, integ: Integ.HMAC_SHA2_256_128, esn: 0 },
    ek: 16,
    ik: 32,
  },
  {
    name: 'AES-CBC-256/HMAC-SHA1-96 ESN',
    suite: { encr: { id: Encr.AES_CBC, keyLength: 256 }, integ: Integ.HMAC_SHA1_96, esn: 1 },
    ek: 32,
    ik: 20,
  },
  { name: 'AES-GCM-16-128', suite: { encr: { id: Encr.AES_GCM_16, keyLength: 128 }, esn: 0 }, ek: 20, ik: 0 },
  { name: 'AES-GCM-16-256 ESN', suite: { encr: { id: Encr.AES_GCM_16, keyLength: 256 }, esn: 1 }, ek: 36, ik: 0 },
  {
    name: 'ChaCha20-Poly1305 ESN',
    suite: { encr: { id: Encr.CHACHA20_POLY1305, keyLength: 256 }, esn: 1 },
    ek: 36,
    ik: 0,
  },
];

function keys(s: (typeof suites)[number], seed: string) {
  const rng = seededRng(seed);
  return { ek: rng(s.ek), ik: rng(s.ik) };
}

for (const s of suites) {
  test(`ESP ${s.name}: round trip with 4-byte alignment, padding 1,2,3..., TFC padTo (property)`, () => {
    const { ek, ik } = keys(s, s.name);
    const tx = createEspCipher(s.suite, ek, ik, seededRng('tx'));
    const rx = createEspCipher(s.suite, ek, ik);
    let seq = 0;
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom(1, 16, 64),
        (payload, nh, padTo) => {
          seq++;
          const hi = s.suite.esn === 1 ? 7 : 0;
          const packet = tx.seal({ spi: 0xc0ffee01, seq, seqHi: hi, payload, nextHeader: nh, padTo });
          const ct = packet.byteLength - 8 - tx.ivLength - tx.icvLength;
          assert.equal(ct % Math.max(4, tx.blockSize, padTo), 0);
          if (padTo === 1) assert.equal(packet.byteLength, tx.sealedLength(payload.byteLength));
          const out = rx.open(packet, hi);
          assert.equal(out.nextHeader, nh);
          assert.equal(out.seq, seq);
          assert.equal(toHex(out.payload), toHex(payload));
          if (s.suite.esn === 1) assert.throws(() => rx.open(packet, hi + 1), VerifyError);
        },
      ),
      { numRuns: 60 },
    );
  });

  test(`ESP ${s.name}: flipped bits anywhere are VerifyErrors`, () => {
    const { ek, ik } = keys(s, s.name + 't');
    const tx = createEspCipher(s.suite, ek, ik);
    const rx = createEspCipher(s.suite, ek, ik);
    const packet = tx.seal({ spi: 7, seq: 1, payload: new Uint8Array(40).fill(0x45), nextHeader: 4 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: packet.byteLength * 8 - 1 }), (bit) => {
        const p = packet.slice();
        p[bit >> 3]! ^= 1 << (bit & 7);
        assert.throws(() => rx.open(p), VerifyError);
      }),
      { numRuns: 60 },
    );
    assert.throws(() => rx.open(packet.subarray(0, 8 + tx.ivLength + tx.icvLength)), ParseError);
  });
}

test('ESP CBC ICV = HMAC(SPI ‖ seq ‖ IV ‖ ciphertext [‖ seqHi]) truncated (RFC 4303 §2.8, §3.3.2.1; RFC 4868)', () => {
  for (const s of suites.slice(0, 2)) {
    const { ek, ik } = keys(s, 'icv');
    const esp = createEspCipher(s.suite, ek, ik);
    const packet = esp.seal({ spi: 0x11223344, seq: 9, seqHi: 3, payload: new Uint8Array(33).fill(1), nextHeader: 41 });
    const covered = packet.subarray(0, packet.byteLength - esp.icvLength);
    const hash = s.suite.integ === Integ.HMAC_SHA1_96 ? 'sha1' : 'sha256';
    const tail = s.suite.esn === 1 ? fromHex('00000003') : new Uint8Array(0);
    const mac = createHmac(hash, ik).update(covered).update(tail).digest().subarray(0, esp.icvLength);
    assert.equal(toHex(packet.subarray(-esp.icvLength)), mac.toString('hex'), s.name);
  }
});

test('ESP AES-GCM decrypts independently with nonce = salt ‖ IV and AAD = SPI ‖ [seqHi ‖] seq (RFC 4106 §4, §5)', () => {
  for (const s of suites.slice(2, 4)) {
    const { ek } = keys(s, 'gcm');
    const esp = createEspCipher(s.suite, ek, new Uint8Array(0));
    const payload = new Uint8Array(50).fill(0x60);
    const packet = esp.seal({ spi: 0xaabbccdd, seq: 0x10, seqHi: 0x2, payload, nextHeader: 41 });
    const keyBytes = s.suite.encr.keyLength / 8;
    const iv = packet.subarray(8, 16);
    const d = createDecipheriv(
      `aes-${s.suite.encr.keyLength}-gcm` as 'aes-256-gcm',
      ek.subarray(0, keyBytes),
      concat(ek.subarray(keyBytes), iv),
    );
    d.setAAD(s.suite.esn === 1 ? fromHex('aabbccdd 00000002 00000010') : fromHex('aabbccdd 00000010'));
    d.setAuthTag(packet.subarray(-16));
    const plain = Buffer.concat([d.update(packet.subarray(16, -16)), d.final()]);
    assert.equal(plain.subarray(0, 50).toString('hex'), toHex(payload), s.name);
    // 50 + 2 trailer bytes are already 4-aligned: no padding, pad length 0, next header 41.
    assert.equal(toHex(plain.subarray(50)), '0029');
  }
});

test('ESP AEAD refuses to reuse a sequence number (the IV would repeat); IVs differ per packet', () => {
  const s = suites[2]!;
  const { ek } = keys(s, 'seq');
  const esp = createEspCipher(s.suite, ek, new Uint8Array(0));
  const a = esp.seal({ spi: 1, seq: 1, payload: new Uint8Array(4), nextHeader: 4 });
  const b = esp.seal({ spi: 1, seq: 2, payload: new Uint8Array(4), nextHeader: 4 });
  assert.notEqual(toHex(a.subarray(8, 16)), toHex(b.subarray(8, 16)));
  assert.throws(() => esp.seal({ spi: 1, seq: 2, payload: new Uint8Array(4), nextHeader: 4 }), StateError);
  assert.throws(() => esp.seal({ spi: 1, seq: 1, payload: new Uint8Array(4), nextHeader: 4 }), StateError);
  esp.seal({ spi: 1, seq: 0, seqHi: 1, payload: new Uint8Array(4), nextHeader: 4 }); // 2^32 > 2
});

test('ESP padding that is not 1, 2, 3, ... or longer than the payload is a ParseError', () => {
  const s = suites[2]!;
  const { ek } = keys(s, 'pad');
  const core = createCipherCore(s.suite, ek, new Uint8Array(0), 'ESP');
  const rx = createEspCipher(s.suite, ek, new Uint8Array(0));
  const seal = (plain: Uint8Array) => {
    const iv = fromHex('0000000000000001');
    const aad = fromHex('00000001 00000001');
    const { ciphertext, icv } = core.encrypt(iv, aad, plain);
    return concat(aad, iv, ciphertext, icv);
  };
  assert.throws(
    () => rx.open(seal(fromHex('45 01 03 02 04'.replace(/ /g, '')))),
    (e: unknown) => e instanceof ParseError && /padding/.test(e.message),
  );
  assert.throws(
    () => rx.open(seal(fromHex('450304'))),
    (e: unknown) => e instanceof ParseError && /pad length/.test(e.message),
  );
  assert.equal(rx.open(seal(fromHex('01020204'))).payload.byteLength, 0);
});
