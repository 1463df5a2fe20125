/**
 * Encrypted payload SK / SKF body (RFC 7296 §3.14, RFC 7383 §2.5; AEAD per RFC 5282 §3, ChaCha20-Poly1305 per
 * RFC 7634 §3):
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | Next Payload  |C|  RESERVED   |         Payload Length        |   <- part of `aad`
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                     Initialization Vector                     |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  ~                    Encrypted IKE Payloads                     ~
 *  +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |               |             Padding (0-255 octets)            |
 *  +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
 *  |                                               |  Pad Length   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  ~                    Integrity Checksum Data                    ~
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Padding: plaintext ‖ pad ‖ pad-length so that the total is a multiple of the cipher's block size; the pad-length
 * octet is always present. strongSwan (encrypted_payload.c encrypt_content) pads with bs - (len mod bs) octets
 * including the length octet, and its AEADs report a block size of 1, so an AEAD body always carries exactly one
 * pad-length octet of 0 — we do the same (pad bytes are zero; RFC 7296 allows any value). On receipt it accepts any
 * pad length that fits, as we do.
 *
 * IVs: CBC takes a fresh random IV per message (RFC 3602 §3: unpredictable). GCM and ChaCha20-Poly1305 need an IV
 * that never repeats under one key, so a 64-bit counter seeded from the rng is used (RFC 5282 §3.1 / RFC 7634 §2).
 */
import { ConfigError, LimitError, ParseError } from '../common/errors.ts';
import { Reader } from '../common/bytes.ts';
import type { Rng } from '../common/rng.ts';
import { createCipherCore } from './cipher.ts';
import type { SkCrypto, Suite } from './types.ts';

export interface SkCryptoHandle extends SkCrypto {
  /** Zeroes the keys held by this instance. */
  dispose(): void;
}

/** SK payload encryption for one direction's keys (SK_ei/SK_ai or SK_er/SK_ar). */
export function createSkCrypto(suite: Suite, encrKey: Uint8Array, integKey: Uint8Array, rng: Rng): SkCryptoHandle {
  const core = createCipherCore(suite, encrKey, integKey, 'SK');
  const bs = core.blockSize;
  const aead = core.encr.aead;
  const seed = rng(8);
  let counter = new DataView(seed.buffer, seed.byteOffset, 8).getBigUint64(0);
  let used = 0n;

  const nextIv = (): Uint8Array => {
    if (!aead) return rng(core.ivSize);
    if (used >= 1n << 64n) throw new LimitError('SK IV', 'IV counter exhausted; rekey the IKE SA');
    const iv = new Uint8Array(8);
    new DataView(iv.buffer).setBigUint64(0, counter);
    counter = BigInt.asUintN(64, counter + 1n);
    used++;
    return iv;
  };
  const paddedLength = (n: number) => n + 1 + ((bs - ((n + 1) % bs)) % bs);

  return {
    ivLength: core.ivSize,
    icvLength: core.icvSize,
    blockSize: bs,
    sealedLength(n) {
      return core.ivSize + paddedLength(n) + core.icvSize;
    },
    seal(aad, plaintext) {
      const total = paddedLength(plaintext.byteLength);
      const padLength = total - plaintext.byteLength - 1;
      if (padLength > 255) throw new ConfigError('SK padding over 255 bytes');
      const padded = new Uint8Array(total);
      padded.set(plaintext);
      padded.fill(0, plaintext.byteLength, total - 1);
      new DataView(padded.buffer).setUint8(total - 1, padLength);
      const iv = nextIv();
      const { ciphertext, icv } = core.encrypt(iv, aad, padded);
      padded.fill(0);
      const out = new Uint8Array(iv.byteLength + ciphertext.byteLength + icv.byteLength);
      out.set(iv);
      out.set(ciphertext, iv.byteLength);
      out.set(icv, iv.byteLength + ciphertext.byteLength);
      return out;
    },
    open(aad, body) {
      const r = new Reader(body, 'sk');
      const ctLength = body.byteLength - core.ivSize - core.icvSize;
      if (ctLength <= 0 || ctLength % bs !== 0) {
        r.fail('body', `${body.byteLength} bytes do not hold IV, whole cipher blocks and ICV`);
      }
      const iv = r.bytes(core.ivSize, 'iv');
      const ct = r.bytes(ctLength, 'encrypted');
      const icv = r.bytes(core.icvSize, 'icv');
      r.end();
      const plain = core.decrypt(iv, aad, ct, icv);
      const pr = new Reader(plain, 'sk.encrypted', core.ivSize);
      pr.skip(plain.byteLength - 1, 'payloads');
      const padLength = pr.u8('padLength');
      if (padLength + 1 > plain.byteLength) {
        plain.fill(0);
        throw new ParseError(
          `pad length ${padLength} exceeds ${plain.byteLength - 1} decrypted bytes`,
          core.ivSize + plain.byteLength - 1,
          'sk.encrypted.padLength',
        );
      }
      return plain.subarray(0, plain.byteLength - padLength - 1);
    },
    dispose() {
      core.dispose();
    },
  };
}
