/**
 * The cipher core shared by IKE SK payloads (sk.ts) and ESP (esp.ts): one encrypt/decrypt pair per negotiated
 * ENCR (+ INTEG) transform, over node:crypto.
 *
 * - Classic ciphers (AES-CBC, RFC 3602) with HMAC integrity (RFC 4868, RFC 2404): ICV = HMAC(aad ‖ IV ‖ ciphertext
 *   ‖ trailer) truncated, compared in constant time BEFORE anything is decrypted. `trailer` is integrity-only data
 *   after the ciphertext (ESP's high-order ESN bits, RFC 4303 §2.2.1).
 * - AEADs: AES-GCM (RFC 5282 for IKE, RFC 4106 for ESP) and ChaCha20-Poly1305 (RFC 7634): nonce = salt(4) ‖ IV(8),
 *   salt = the last 4 bytes of the key material; the tag is checked by OpenSSL before the plaintext is released.
 */
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import type { CipherGCMTypes, KeyObject } from 'node:crypto';
import { ConfigError, StateError, VerifyError } from '../common/errors.ts';
import { concat, wipe } from '../common/bytes.ts';
import { nameOf } from '../common/names.ts';
import { ENCR, EncrNames, INTEG, IntegNames } from './ids.ts';
import type { EncrDescriptor, IntegDescriptor } from './ids.ts';
import type { Suite } from './types.ts';

export interface CipherCore {
  readonly encr: EncrDescriptor;
  readonly integ: IntegDescriptor | undefined;
  readonly ivSize: number;
  readonly icvSize: number;
  readonly blockSize: number;
  encrypt(
    iv: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
    trailer?: Uint8Array,
  ): { ciphertext: Uint8Array; icv: Uint8Array };
  /** VerifyError when the ICV does not match; nothing is decrypted then. */
  decrypt(iv: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, icv: Uint8Array, trailer?: Uint8Array): Uint8Array;
  dispose(): void;
}

/** Constant-time equality of two byte strings (false for different lengths, which are not secret). */
export function ctEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return timingSafeEqual(a, b);
}

/** update() ‖ final() without a copy when final() is empty (always, for GCM, ChaCha and unpadded CBC). */
function joined(a: Buffer, b: Buffer): Uint8Array {
  return b.byteLength === 0 ? u8(a) : concat(u8(a), u8(b));
}

function u8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Builds the cipher core for a suite; `what` names it in VerifyErrors (e.g. "SK", "ESP"). */
export function createCipherCore(suite: Suite, encrKey: Uint8Array, integKey: Uint8Array, what: string): CipherCore {
  const encr = ENCR.get(suite.encr.id);
  if (!encr) throw new ConfigError(`unsupported encryption algorithm ${nameOf(EncrNames, suite.encr.id)}`);
  const bits = suite.encr.keyLength;
  if (!encr.keyLengths.includes(bits)) throw new ConfigError(`${encr.name} does not take a ${bits}-bit key`);
  if (encrKey.byteLength !== bits / 8 + encr.saltSize) {
    throw new ConfigError(
      `${encr.name}-${bits} needs ${bits / 8 + encr.saltSize} key bytes, got ${encrKey.byteLength}`,
    );
  }
  // Keys live in OpenSSL KeyObjects (faster per packet than raw bytes, and not copied around the JS heap).
  const raw = encrKey.slice(0, bits / 8);
  let key: KeyObject | undefined = createSecretKey(raw);
  wipe(raw);
  const salt = encrKey.slice(bits / 8);
  const live = (): KeyObject => {
    if (!key) throw new StateError(`${what} keys were disposed`);
    return key;
  };
  const cipherName = encr.cipher(bits);

  if (encr.aead) {
    if (suite.integ !== undefined && suite.integ !== 0) {
      throw new ConfigError(`${encr.name} is an AEAD and takes no integrity algorithm`);
    }
    if (integKey.byteLength !== 0) throw new ConfigError(`${encr.name} takes no integrity key`);
    const nonce = (iv: Uint8Array) => {
      if (iv.byteLength !== encr.ivSize) throw new ConfigError(`${encr.name} IV must be ${encr.ivSize} bytes`);
      return concat(salt, iv);
    };
    const tagLength = encr.icvSize;
    return {
      encr,
      integ: undefined,
      ivSize: encr.ivSize,
      icvSize: encr.icvSize,
      blockSize: encr.blockSize,
      encrypt(iv, aad, plaintext) {
        const c = createCipheriv(cipherName as CipherGCMTypes, live(), nonce(iv), { authTagLength: tagLength });
        c.setAAD(aad);
        const ciphertext = joined(c.update(plaintext), c.final());
        return { ciphertext, icv: u8(c.getAuthTag()) };
      },
      decrypt(iv, aad, ciphertext, icv) {
        if (icv.byteLength !== tagLength) throw new VerifyError(what, `ICV must be ${tagLength} bytes`);
        const d = createDecipheriv(cipherName as CipherGCMTypes, live(), nonce(iv), { authTagLength: tagLength });
        d.setAuthTag(icv);
        d.setAAD(aad);
        const part = d.update(ciphertext);
        try {
          d.final();
        } catch (e) {
          part.fill(0);
          throw new VerifyError(what, 'ICV mismatch', { cause: e });
        }
        const plain = new Uint8Array(part);
        part.fill(0);
        return plain;
      },
      dispose() {
        key = undefined;
        wipe(salt);
      },
    };
  }

  const integ = suite.integ === undefined ? undefined : INTEG.get(suite.integ);
  if (!integ) {
    throw new ConfigError(
      `${encr.name} needs a supported integrity algorithm, got ${suite.integ === undefined ? 'none' : nameOf(IntegNames, suite.integ)}`,
    );
  }
  if (integKey.byteLength !== integ.keySize) {
    throw new ConfigError(`${integ.name} needs a ${integ.keySize}-byte key, got ${integKey.byteLength}`);
  }
  let mac: KeyObject | undefined = createSecretKey(integKey);
  const icvOf = (aad: Uint8Array, iv: Uint8Array, ct: Uint8Array, trailer: Uint8Array | undefined) => {
    if (!mac) throw new StateError(`${what} keys were disposed`);
    const h = createHmac(integ.hash, mac).update(aad).update(iv).update(ct);
    if (trailer) h.update(trailer);
    return u8(h.digest()).subarray(0, integ.icvSize);
  };
  return {
    encr,
    integ,
    ivSize: encr.ivSize,
    icvSize: integ.icvSize,
    blockSize: encr.blockSize,
    encrypt(iv, aad, plaintext, trailer) {
      if (plaintext.byteLength % encr.blockSize !== 0) {
        throw new ConfigError(`${encr.name} plaintext must be a multiple of ${encr.blockSize} bytes`);
      }
      const c = createCipheriv(cipherName, live(), iv).setAutoPadding(false);
      const ciphertext = joined(c.update(plaintext), c.final());
      return { ciphertext, icv: icvOf(aad, iv, ciphertext, trailer) };
    },
    decrypt(iv, aad, ciphertext, icv, trailer) {
      // Integrity first: nothing is decrypted for a forged message.
      if (!ctEqual(icvOf(aad, iv, ciphertext, trailer), icv)) throw new VerifyError(what, 'ICV mismatch');
      const d = createDecipheriv(cipherName, live(), iv).setAutoPadding(false);
      return joined(d.update(ciphertext), d.final());
    },
    dispose() {
      key = undefined;
      mac = undefined;
    },
  };
}
