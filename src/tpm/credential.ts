/**
 * MakeCredential in software, on the verifier side (TPM 2.0 Part 1, Rev 1.59, §24 "Credential Protection";
 * Part 3 §12.6), so that a privacy CA never needs a TPM. The device's TPM2_ActivateCredential undoes it.
 *
 *   seed         RSA EK: random digestSize bytes, encrypted with RSA-OAEP(nameAlg, label "IDENTITY\0")
 *                ECC EK: KDFe(nameAlg, Z, "IDENTITY", ephemeral.x, EK.x, digestSize·8), Z = x of d_e·Q_EK;
 *                        the secret is the marshaled ephemeral point (TPMS_ECC_POINT)
 *   symKey       KDFa(nameAlg, seed, "STORAGE", objectName, ∅, EK symmetric keyBits)
 *   encIdentity  AES-CFB(symKey, IV = 0, TPM2B_DIGEST credential)      (size ‖ bytes)
 *   HMACkey      KDFa(nameAlg, seed, "INTEGRITY", ∅, ∅, digestSize·8)
 *   outerHMAC    HMAC_nameAlg(HMACkey, encIdentity ‖ objectName)
 *   credentialBlob (TPM2B_ID_OBJECT contents) = TPM2B_DIGEST outerHMAC ‖ encIdentity
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHmac,
  publicEncrypt,
  timingSafeEqual,
} from 'node:crypto';
import { Reader, concat, utf8, wipe } from '../common/bytes.ts';
import { VerifyError } from '../common/errors.ts';
import { systemRng } from '../common/rng.ts';
import type { Rng } from '../common/rng.ts';
import { marshal } from './marshal.ts';
import { kdfa, kdfe } from './kdf.ts';
import { CURVE, hashName, publicKeyOf } from './keys.ts';
import { TPM2B_DIGEST } from './types/basic.ts';
import { DIGEST_SIZE, TPM_ALG } from './types/constants.ts';
import { TPMS_ECC_POINT, eccParms, eccPoint, rsaParms } from './types/public.ts';
import type { TPMT_PUBLIC, TPMT_SYM_DEF_OBJECT } from './types/public.ts';

export interface Credential {
  /** TPM2B_ID_OBJECT contents. */
  credentialBlob: Uint8Array;
  /** TPM2B_ENCRYPTED_SECRET contents. */
  secret: Uint8Array;
}

function symmetricOf(ek: TPMT_PUBLIC): TPMT_SYM_DEF_OBJECT {
  const s = rsaParms(ek)?.symmetric ?? eccParms(ek)?.symmetric;
  if (!s || s.algorithm !== TPM_ALG.AES || s.mode !== TPM_ALG.CFB || typeof s.keyBits !== 'number') {
    throw new VerifyError('EK', 'the EK is not a storage key with AES-CFB for its children');
  }
  if (!ek.objectAttributes.restricted || !ek.objectAttributes.decrypt)
    throw new VerifyError('EK', 'the EK is not a restricted decryption key');
  return s;
}

function seedFor(ek: TPMT_PUBLIC, rng: Rng): { seed: Uint8Array; secret: Uint8Array } {
  const size = DIGEST_SIZE.get(ek.nameAlg);
  if (!size) throw new VerifyError('EK', `unsupported nameAlg 0x${ek.nameAlg.toString(16)}`);
  if (rsaParms(ek)) {
    const seed = rng(size);
    const secret = publicEncrypt(
      {
        key: publicKeyOf(ek),
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: hashName(ek.nameAlg),
        oaepLabel: Buffer.from(utf8('IDENTITY\0')),
      },
      seed,
    );
    return { seed, secret: new Uint8Array(secret) };
  }
  const ecc = eccParms(ek);
  const curve = ecc && CURVE.get(ecc.curveID);
  if (!ecc || !curve) throw new VerifyError('EK', 'unsupported EK key type or curve');
  const q = eccPoint(ek)!;
  const pad = (b: Uint8Array) => concat(new Uint8Array(Math.max(0, curve.size - b.byteLength)), b);
  const ecdh = createECDH(curve.openssl);
  ecdh.setPrivateKey(rng(curve.size));
  const pub = new Uint8Array(ecdh.getPublicKey());
  const ex = pub.subarray(1, 1 + curve.size);
  const ey = pub.subarray(1 + curve.size);
  let z: Uint8Array;
  try {
    z = new Uint8Array(ecdh.computeSecret(concat(new Uint8Array([4]), pad(q.x), pad(q.y))));
  } catch (e) {
    throw new VerifyError('EK', 'EK point is not on its curve', { cause: e });
  }
  const seed = kdfe(ek.nameAlg, z, 'IDENTITY', ex, pad(q.x), size * 8);
  wipe(z);
  return { seed, secret: marshal(TPMS_ECC_POINT, { x: ex.slice(), y: ey.slice() }) };
}

/** Wraps `credential` (≤ digest size of the EK's nameAlg) for the TPM holding `ek`, bound to `objectName`. */
export function makeCredential(
  ek: TPMT_PUBLIC,
  objectName: Uint8Array,
  credential: Uint8Array,
  rng: Rng = systemRng,
): Credential {
  const sym = symmetricOf(ek);
  const size = DIGEST_SIZE.get(ek.nameAlg) ?? 32;
  if (credential.byteLength === 0 || credential.byteLength > size) {
    throw new VerifyError('credential', `must be 1..${size} bytes, got ${credential.byteLength}`);
  }
  const { seed, secret } = seedFor(ek, rng);
  const keyBits = sym.keyBits as number;
  const symKey = kdfa(ek.nameAlg, seed, 'STORAGE', objectName, new Uint8Array(0), keyBits);
  const cipher = createCipheriv(`aes-${keyBits}-cfb`, symKey, new Uint8Array(16));
  const encIdentity = concat(
    new Uint8Array(cipher.update(marshal(TPM2B_DIGEST, credential))),
    new Uint8Array(cipher.final()),
  );
  const hmacKey = kdfa(ek.nameAlg, seed, 'INTEGRITY', new Uint8Array(0), new Uint8Array(0), size * 8);
  const outer = new Uint8Array(
    createHmac(hashName(ek.nameAlg), hmacKey).update(encIdentity).update(objectName).digest(),
  );
  wipe(seed, symKey, hmacKey);
  return { credentialBlob: concat(marshal(TPM2B_DIGEST, outer), encIdentity), secret };
}

/**
 * The inverse given the seed (for tests of this module without a TPM): checks the HMAC and decrypts.
 */
export function openCredential(
  nameAlg: number,
  keyBits: number,
  seed: Uint8Array,
  objectName: Uint8Array,
  blob: Uint8Array,
): Uint8Array {
  const r = new Reader(blob, 'TPM2B_ID_OBJECT');
  const hmac = TPM2B_DIGEST.decode(r, 'integrityHMAC', {});
  const encIdentity = r.rest('encIdentity');
  const size = DIGEST_SIZE.get(nameAlg) ?? 32;
  const hmacKey = kdfa(nameAlg, seed, 'INTEGRITY', new Uint8Array(0), new Uint8Array(0), size * 8);
  const expect = createHmac(hashName(nameAlg), hmacKey).update(encIdentity).update(objectName).digest();
  if (expect.byteLength !== hmac.byteLength || !timingSafeEqual(expect, hmac))
    throw new VerifyError('credential', 'integrity HMAC mismatch');
  const symKey = kdfa(nameAlg, seed, 'STORAGE', objectName, new Uint8Array(0), keyBits);
  const d = createDecipheriv(`aes-${keyBits}-cfb`, symKey, new Uint8Array(16));
  const plain = concat(new Uint8Array(d.update(encIdentity)), new Uint8Array(d.final()));
  const pr = new Reader(plain, 'credential');
  const out = TPM2B_DIGEST.decode(pr, '', {});
  pr.end();
  return out;
}
