/**
 * ESP packet protection for the data plane (RFC 4303 §2), with AES-CBC + HMAC (RFC 3602, RFC 4868, RFC 2404),
 * AES-GCM (RFC 4106) and ChaCha20-Poly1305 (RFC 7634). Replay windows and SA state live in src/esp; this file is
 * the pure transform.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ----
 * |               Security Parameters Index (SPI)                 | ^Int.
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |Cov-
 * |                      Sequence Number                          | |ered
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ | ----
 * |                    IV (explicit, 16 CBC / 8 AEAD)             | |   ^
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |   |
 * ~                    Payload Data (variable)                    ~ |   |
 * +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |Conf.
 * |               |     Padding (0-255 bytes)                     | |Cov-
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |ered*
 * |                               |  Pad Length   | Next Header   | v   v
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ------
 * |         Integrity Check Value-ICV   (variable)                |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * - Padding (§2.4): 1, 2, 3, ... so that payload ‖ padding ‖ 2 is a multiple of the cipher block size and of 4
 *   (and of `padTo` when given, for traffic-flow confidentiality); checked on receipt like strongSwan's libipsec.
 * - ESN (§2.2.1): with ESN the high 32 bits of the sequence number are authenticated but not sent: appended after
 *   the ciphertext for HMAC (§3.3.2.1), AAD = SPI ‖ seqHi ‖ seqLo for AEADs (RFC 4106 §5, RFC 7634 §2.1);
 *   without ESN the AAD is SPI ‖ seq.
 * - AEAD IVs = 64-bit sequence number XOR a per-SA mask drawn from the rng (unique per key, like strongSwan's
 *   iv_gen_seq); seal() refuses a sequence number that is not larger than the previous one, so an IV can never
 *   repeat. CBC IVs are random.
 */
import { ConfigError, ParseError, StateError } from '../common/errors.ts';
import { Reader, Writer, wipe } from '../common/bytes.ts';
import { systemRng } from '../common/rng.ts';
import type { Rng } from '../common/rng.ts';
import { createCipherCore } from './cipher.ts';
import type { Suite } from './types.ts';

export interface EspSealInput {
  spi: number;
  /** Low 32 bits of the sequence number (the wire field). */
  seq: number;
  /** High 32 bits (ESN); 0 when absent. */
  seqHi?: number;
  /** The inner packet (IP datagram in tunnel mode, transport payload in transport mode). */
  payload: Uint8Array;
  /** IP protocol number of the payload (4 IPv4, 41 IPv6, 59 dummy packet). */
  nextHeader: number;
  /** Optional extra alignment of payload ‖ padding ‖ trailer (power of two), for TFC padding. */
  padTo?: number;
}

export interface EspOpened {
  spi: number;
  seq: number;
  nextHeader: number;
  payload: Uint8Array;
}

export interface EspCipher {
  readonly ivLength: number;
  readonly icvLength: number;
  readonly blockSize: number;
  readonly esn: boolean;
  /** Packet length (from the SPI to the ICV) for a payload length without TFC padding. */
  sealedLength(payloadLength: number): number;
  seal(input: EspSealInput): Uint8Array;
  /**
   * Checks the ICV (constant time / AEAD tag) before anything else, then removes the padding.
   * VerifyError on an ICV mismatch, ParseError on bad lengths or padding. `seqHi` is the receiver's guess of the
   * high sequence bits (RFC 4303 Appendix A), used only with ESN.
   */
  open(packet: Uint8Array, seqHi?: number): EspOpened;
  dispose(): void;
}

/** SPI and sequence number of an ESP packet, without any crypto (for SA lookup and the replay pre-check). */
export function espHeader(packet: Uint8Array): { spi: number; seq: number } {
  const r = new Reader(packet, 'esp');
  return { spi: r.u32('spi'), seq: r.u32('seq') };
}

function u32(v: number): Uint8Array {
  return new Writer(4).u32(v).finish();
}

/** ESP transform for one direction's keys (from deriveChildKeys: encrI/integI or encrR/integR). */
export function createEspCipher(
  suite: Suite,
  encrKey: Uint8Array,
  integKey: Uint8Array,
  rng: Rng = systemRng,
): EspCipher {
  const core = createCipherCore(suite, encrKey, integKey, 'ESP');
  const aead = core.encr.aead;
  const esn = suite.esn === 1;
  const bs = core.blockSize;
  const mask = aead ? new Reader(rng(8), 'iv mask').u64('mask') : 0n;
  let last = -1n;

  const align = (n: number, padTo: number) => {
    const a = Math.max(bs, 4, padTo);
    if (a % bs !== 0 || a % 4 !== 0 || a > 256)
      throw new ConfigError(`ESP alignment ${a} is not usable with block size ${bs}`);
    return Math.ceil(n / a) * a;
  };
  const aadFor = (spi: number, seq: number, seqHi: number) => {
    const w = new Writer(12).u32(spi);
    if (aead && esn) w.u32(seqHi);
    return w.u32(seq).finish();
  };

  return {
    ivLength: core.ivSize,
    icvLength: core.icvSize,
    blockSize: bs,
    esn,
    sealedLength(n) {
      return 8 + core.ivSize + align(n + 2, 1) + core.icvSize;
    },
    seal({ spi, seq, seqHi = 0, payload, nextHeader, padTo = 1 }) {
      const full = (BigInt(seqHi >>> 0) << 32n) | BigInt(seq >>> 0);
      if (aead) {
        if (full <= last) throw new StateError(`ESP sequence number ${full} not above ${last}: the IV would repeat`);
        last = full;
      }
      const total = align(payload.byteLength + 2, padTo);
      const padLength = total - payload.byteLength - 2;
      const plain = new Writer(total).bytes(payload);
      for (let i = 1; i <= padLength; i++) plain.u8(i);
      const body = plain.u8(padLength).u8(nextHeader).finish();
      const iv = aead ? new Writer(8).u64(full ^ mask).finish() : rng(core.ivSize);
      const { ciphertext, icv } = core.encrypt(
        iv,
        aadFor(spi, seq, seqHi),
        body,
        !aead && esn ? u32(seqHi) : undefined,
      );
      wipe(body);
      return new Writer(8 + iv.byteLength + ciphertext.byteLength + icv.byteLength)
        .u32(spi)
        .u32(seq)
        .bytes(iv)
        .bytes(ciphertext)
        .bytes(icv)
        .finish();
    },
    open(packet, seqHi = 0) {
      const r = new Reader(packet, 'esp');
      const spi = r.u32('spi');
      const seq = r.u32('seq');
      const ctLength = r.remaining - core.ivSize - core.icvSize;
      if (ctLength < 2 || ctLength % bs !== 0) {
        r.fail('body', `${r.remaining} bytes do not hold IV, whole cipher blocks and ICV`);
      }
      const iv = r.bytes(core.ivSize, 'iv');
      const ct = r.bytes(ctLength, 'encrypted');
      const icv = r.bytes(core.icvSize, 'icv');
      r.end();
      const plain = core.decrypt(iv, aadFor(spi, seq, seqHi), ct, icv, !aead && esn ? u32(seqHi) : undefined);
      const base = 8 + core.ivSize;
      const t = new Reader(plain, 'esp.encrypted', base);
      t.skip(plain.byteLength - 2, 'payload');
      const padLength = t.u8('padLength');
      const nextHeader = t.u8('nextHeader');
      const payloadLength = plain.byteLength - 2 - padLength;
      if (payloadLength < 0) {
        throw new ParseError(
          `pad length ${padLength} exceeds the ${plain.byteLength - 2} decrypted bytes`,
          base + plain.byteLength - 2,
          'esp.encrypted.padLength',
        );
      }
      const pad = new Reader(
        plain.subarray(payloadLength, payloadLength + padLength),
        'esp.encrypted.padding',
        base + payloadLength,
      );
      for (let i = 1; i <= padLength; i++) {
        if (pad.u8(`[${i - 1}]`) !== i) pad.fail(`[${i - 1}]`, 'padding is not 1, 2, 3, ... (RFC 4303 §2.4)', i - 1);
      }
      return { spi, seq, nextHeader, payload: plain.subarray(0, payloadLength) };
    },
    dispose() {
      core.dispose();
    },
  };
}
