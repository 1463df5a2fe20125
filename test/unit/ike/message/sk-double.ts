/**
 * A test double of SkCrypto: AES-256-GCM with a 16-byte ICV in the layout of RFC 5282 §3 (8-byte explicit IV ‖
 * ciphertext ‖ ICV, nonce = 4-byte salt ‖ IV, AAD as given), plaintext padded to a multiple of 4 with a final
 * Pad Length byte (RFC 7296 §3.14). Keys are fixed, IVs a counter: deterministic, for tests only.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { ParseError, VerifyError } from '../../../../src/common/errors.ts';
import type { SkCrypto } from '../../../../src/crypto/types.ts';

/** Fixed test keys; tshark gets them as "AES-GCM-256 with 16 octet ICV" (key ‖ salt). */
export const TEST_KEY = new Uint8Array(32).map((_, i) => i + 1);
export const TEST_SALT = new Uint8Array([0xa0, 0xa1, 0xa2, 0xa3]);

export class GcmSkDouble implements SkCrypto {
  readonly ivLength = 8;
  readonly icvLength = 16;
  readonly blockSize: number;
  #counter: bigint;
  readonly #key: Uint8Array;
  readonly #salt: Uint8Array;
  readonly #cipher: 'aes-256-gcm' | 'chacha20-poly1305';

  /**
   * `cipher` chacha20-poly1305 gives the RFC 7634 layout (same IV/salt/ICV shape, no padding); `firstIv` sets the
   * IV of the first seal (later ones count up); `blockSize` the padding granularity (default 4 for GCM, 1 for
   * ChaCha20-Poly1305).
   */
  constructor(
    key: Uint8Array = TEST_KEY,
    salt: Uint8Array = TEST_SALT,
    cipher: 'aes-256-gcm' | 'chacha20-poly1305' = 'aes-256-gcm',
    firstIv = 1n,
    blockSize?: number,
  ) {
    this.#key = key;
    this.#salt = salt;
    this.#cipher = cipher;
    this.blockSize = blockSize ?? (cipher === 'aes-256-gcm' ? 4 : 1);
    this.#counter = firstIv - 1n;
  }

  #padded(n: number): number {
    return Math.ceil((n + 1) / this.blockSize) * this.blockSize;
  }

  sealedLength(n: number): number {
    return this.ivLength + this.#padded(n) + this.icvLength;
  }

  seal(aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const iv = new Uint8Array(8);
    new DataView(iv.buffer).setBigUint64(0, ++this.#counter);
    const padded = new Uint8Array(this.#padded(plaintext.byteLength));
    padded.set(plaintext);
    const padLength = padded.byteLength - plaintext.byteLength - 1;
    padded[padded.byteLength - 1] = padLength;
    const nonce = new Uint8Array([...this.#salt, ...iv]);
    const c =
      this.#cipher === 'aes-256-gcm'
        ? createCipheriv('aes-256-gcm', this.#key, nonce, { authTagLength: 16 })
        : createCipheriv('chacha20-poly1305', this.#key, nonce, { authTagLength: 16 });
    c.setAAD(aad);
    const ct = Buffer.concat([c.update(padded), c.final()]);
    return new Uint8Array(Buffer.concat([iv, ct, c.getAuthTag()]));
  }

  open(aad: Uint8Array, body: Uint8Array): Uint8Array {
    if (body.byteLength < this.ivLength + this.icvLength + 1) throw new ParseError('SK body too short', 0, 'sk');
    const iv = body.subarray(0, 8);
    const ct = body.subarray(8, body.byteLength - 16);
    const tag = body.subarray(body.byteLength - 16);
    const nonce = new Uint8Array([...this.#salt, ...iv]);
    const d =
      this.#cipher === 'aes-256-gcm'
        ? createDecipheriv('aes-256-gcm', this.#key, nonce, { authTagLength: 16 })
        : createDecipheriv('chacha20-poly1305', this.#key, nonce, { authTagLength: 16 });
    d.setAAD(aad);
    d.setAuthTag(tag);
    let pt: Uint8Array;
    try {
      pt = new Uint8Array(Buffer.concat([d.update(ct), d.final()]));
    } catch {
      throw new VerifyError('SK', 'ICV mismatch');
    }
    const padLength = pt[pt.byteLength - 1] ?? 0;
    if (padLength + 1 > pt.byteLength) throw new ParseError(`pad length ${padLength} too long`, 0, 'sk.padLength');
    return pt.slice(0, pt.byteLength - padLength - 1);
  }
}
