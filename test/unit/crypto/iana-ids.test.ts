import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  Encr,
  EncrNames,
  PrfId,
  PrfIdNames,
  Integ,
  IntegNames,
  KeMethod,
  KeMethodNames,
  Esn,
  ENCR,
  PRF,
  INTEG,
  KE,
} from '../../../src/crypto/index.ts';
import { DerTag, derUint, readTlv, readUint, tlv } from '../../../src/crypto/der.ts';
import { ParseError, Reader, toHex } from '../../../src/common/index.ts';

test('IANA IKEv2 transform ids (RFC 7296 §3.3.2, RFC 8031, RFC 9370, ML-KEM draft) and reverse names', () => {
  assert.deepEqual(
    [Encr.AES_CBC, Encr.AES_GCM_8, Encr.AES_GCM_12, Encr.AES_GCM_16, Encr.CHACHA20_POLY1305],
    [12, 18, 19, 20, 28],
  );
  assert.deepEqual(
    [PrfId.PRF_HMAC_SHA1, PrfId.PRF_HMAC_SHA2_256, PrfId.PRF_HMAC_SHA2_384, PrfId.PRF_HMAC_SHA2_512],
    [2, 5, 6, 7],
  );
  assert.deepEqual(
    [Integ.NONE, Integ.HMAC_SHA1_96, Integ.HMAC_SHA2_256_128, Integ.HMAC_SHA2_384_192, Integ.HMAC_SHA2_512_256],
    [0, 2, 12, 13, 14],
  );
  assert.deepEqual(
    [
      KeMethod.MODP_2048,
      KeMethod.MODP_3072,
      KeMethod.MODP_4096,
      KeMethod.ECP_256,
      KeMethod.ECP_384,
      KeMethod.CURVE_25519,
      KeMethod.CURVE_448,
    ],
    [14, 15, 16, 19, 20, 31, 32],
  );
  assert.deepEqual(
    [KeMethod.ML_KEM_512, KeMethod.ML_KEM_768, KeMethod.ML_KEM_1024, Esn.NO, Esn.YES],
    [35, 36, 37, 0, 1],
  );
  assert.equal(EncrNames.get(20), 'AES_GCM_16');
  assert.equal(PrfIdNames.get(5), 'PRF_HMAC_SHA2_256');
  assert.equal(IntegNames.get(12), 'HMAC_SHA2_256_128');
  assert.equal(KeMethodNames.get(36), 'ML_KEM_768');
});

test('descriptors are consistent with the id tables and the RFC sizes', () => {
  for (const d of ENCR.values()) {
    assert.equal(EncrNames.get(d.id), d.name);
    assert.equal(d.aead, d.icvSize > 0);
    assert.equal(d.saltSize, d.aead ? 4 : 0); // RFC 5282 §7.1, RFC 7634 §2
    assert.equal(d.ivSize, d.aead ? 8 : 16);
  }
  for (const d of PRF.values()) assert.equal(PrfIdNames.get(d.id), d.name);
  for (const d of INTEG.values()) {
    assert.equal(IntegNames.get(d.id), d.name);
    assert.ok(d.icvSize * 2 <= d.keySize || d.hash === 'sha1'); // RFC 4868: truncation to half the output
  }
  for (const d of KE.values()) assert.equal(KeMethodNames.get(d.id), d.name);
});

test('DER helpers: INTEGER and TLV encoding round-trips (short and long lengths)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 600 }), (m) => {
      const enc = tlv(DerTag.SEQUENCE, derUint(m));
      const r = new Reader(enc);
      const back = readUint(readTlv(r, DerTag.SEQUENCE, 'seq'), 'int');
      r.end();
      let i = 0;
      while (i < m.byteLength - 1 && m[i] === 0) i++;
      assert.equal(toHex(back), toHex(m.subarray(i)));
      assert.equal(toHex(tlv(DerTag.SEQUENCE, derUint(back))), toHex(enc));
    }),
  );
  assert.equal(toHex(derUint(Uint8Array.of(0x80))), '02020080');
  assert.equal(toHex(derUint(Uint8Array.of(0, 0, 5))), '020105');
  assert.throws(() => readTlv(new Reader(Uint8Array.of(0x02, 0x01, 0x00)), DerTag.SEQUENCE, 'x'), ParseError);
  assert.throws(() => readTlv(new Reader(Uint8Array.of(0x30, 0x85, 1, 1, 1, 1, 1)), DerTag.SEQUENCE, 'x'), ParseError);
  assert.throws(() => readTlv(new Reader(Uint8Array.of(0x30, 0x05, 0x00)), DerTag.SEQUENCE, 'x'), ParseError);
});
