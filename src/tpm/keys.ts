/**
 * Public keys of TPM objects in the forms the rest of the world uses: Names (TPM 2.0 Part 1 §16), node:crypto key
 * objects, DER SubjectPublicKeyInfo, and the strongSwan-style key id (SHA-1 of the SubjectPublicKeyInfo DER).
 */
import { createHash, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { Writer, concat } from '../common/bytes.ts';
import { VerifyError } from '../common/errors.ts';
import { marshal } from './marshal.ts';
import { HASH_NAME, TPM_ALG, TPM_ECC } from './types/constants.ts';
import { TPMT_PUBLIC, eccParms, eccPoint, rsaModulus, rsaParms } from './types/public.ts';

/** node:crypto / JWK curve names of TPM_ECC curves. */
export const CURVE: ReadonlyMap<number, { jwk: string; openssl: string; size: number }> = new Map([
  [TPM_ECC.NIST_P256, { jwk: 'P-256', openssl: 'prime256v1', size: 32 }],
  [TPM_ECC.NIST_P384, { jwk: 'P-384', openssl: 'secp384r1', size: 48 }],
  [TPM_ECC.NIST_P521, { jwk: 'P-521', openssl: 'secp521r1', size: 66 }],
]);

export function hashName(alg: number): string {
  const h = HASH_NAME.get(alg);
  if (!h) throw new VerifyError('hash', `unsupported hash algorithm 0x${alg.toString(16)}`);
  return h;
}

export function digest(alg: number, ...parts: Uint8Array[]): Uint8Array {
  const h = createHash(hashName(alg));
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** Name of an object = nameAlg ‖ H_nameAlg(marshaled TPMT_PUBLIC) (Part 1 §16). */
export function objectName(pub: TPMT_PUBLIC): Uint8Array {
  const alg = new Writer(2).u16(pub.nameAlg).finish();
  return concat(alg, digest(pub.nameAlg, marshal(TPMT_PUBLIC, pub)));
}

/** Name of a permanent handle or PCR = the handle itself (Part 1 §16). */
export function handleName(handle: number): Uint8Array {
  return new Writer(4).u32(handle).finish();
}

function b64u(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
}

function pad(b: Uint8Array, size: number): Uint8Array {
  if (b.byteLength >= size) return b;
  const out = new Uint8Array(size);
  out.set(b, size - b.byteLength);
  return out;
}

/** The public key of an RSA or ECC TPM object as a node:crypto KeyObject. */
export function publicKeyOf(pub: TPMT_PUBLIC): KeyObject {
  const rsa = rsaParms(pub);
  if (rsa) {
    const n = rsaModulus(pub)!;
    if (n.byteLength === 0) throw new VerifyError('public key', 'RSA modulus is empty');
    const e = rsa.exponent === 0 ? 65537 : rsa.exponent;
    const eb = new Writer(4).u32(e).finish();
    let i = 0;
    while (i < 3 && eb[i] === 0) i++;
    try {
      return createPublicKey({ key: { kty: 'RSA', n: b64u(n), e: b64u(eb.subarray(i)) }, format: 'jwk' });
    } catch (e) {
      throw new VerifyError('public key', 'RSA public key is unusable', { cause: e });
    }
  }
  const ecc = eccParms(pub);
  if (ecc) {
    const c = CURVE.get(ecc.curveID);
    if (!c) throw new VerifyError('public key', `unsupported curve 0x${ecc.curveID.toString(16)}`);
    const p = eccPoint(pub)!;
    try {
      return createPublicKey({
        key: { kty: 'EC', crv: c.jwk, x: b64u(pad(p.x, c.size)), y: b64u(pad(p.y, c.size)) },
        format: 'jwk',
      });
    } catch (e) {
      throw new VerifyError('public key', 'ECC point is not on the curve', { cause: e });
    }
  }
  throw new VerifyError('public key', `object type 0x${pub.type.toString(16)} has no asymmetric public key`);
}

/** DER SubjectPublicKeyInfo of a TPM object's public key. */
export function spkiDer(pub: TPMT_PUBLIC): Uint8Array {
  return new Uint8Array(publicKeyOf(pub).export({ type: 'spki', format: 'der' }));
}

/** strongSwan's key id: SHA-1 over the SubjectPublicKeyInfo DER. */
export function keyId(spki: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(spki).digest());
}

export function isRsa(pub: TPMT_PUBLIC): boolean {
  return pub.type === TPM_ALG.RSA;
}
