/**
 * The TPM key derivation functions (TPM 2.0 Part 1, Rev 1.59, §11.4.10), built on node:crypto HMAC and hashes.
 *
 *   KDFa (SP 800-108 counter mode, HMAC):  K(i) = HMAC_key( [i]32 ‖ Label ‖ 00 ‖ contextU ‖ contextV ‖ [bits]32 )
 *   KDFe (SP 800-56A concatenation):       K(i) = H( [i]32 ‖ Z ‖ Label ‖ 00 ‖ partyUInfo ‖ partyVInfo )
 * Both concatenate K(1), K(2), … and keep the first `bits` bits (multiples of 8 here).
 */
import { createHash, createHmac } from 'node:crypto';
import { concat, u32be, utf8 } from '../common/bytes.ts';
import { LimitError } from '../common/errors.ts';
import { hashName } from './keys.ts';

function label0(label: string): Uint8Array {
  return concat(utf8(label), new Uint8Array([0]));
}

export function kdfa(
  hashAlg: number,
  key: Uint8Array,
  label: string,
  contextU: Uint8Array,
  contextV: Uint8Array,
  bits: number,
): Uint8Array {
  if (bits <= 0 || bits % 8 !== 0) throw new LimitError('KDFa', `bits must be a positive multiple of 8, got ${bits}`);
  const h = hashName(hashAlg);
  const need = bits / 8;
  const parts: Uint8Array[] = [];
  let have = 0;
  for (let i = 1; have < need; i++) {
    const k = createHmac(h, key)
      .update(u32be(i))
      .update(label0(label))
      .update(contextU)
      .update(contextV)
      .update(u32be(bits))
      .digest();
    parts.push(new Uint8Array(k));
    have += k.byteLength;
  }
  return concat(...parts).slice(0, need);
}

export function kdfe(
  hashAlg: number,
  z: Uint8Array,
  label: string,
  partyU: Uint8Array,
  partyV: Uint8Array,
  bits: number,
): Uint8Array {
  if (bits <= 0 || bits % 8 !== 0) throw new LimitError('KDFe', `bits must be a positive multiple of 8, got ${bits}`);
  const h = hashName(hashAlg);
  const need = bits / 8;
  const parts: Uint8Array[] = [];
  let have = 0;
  for (let i = 1; have < need; i++) {
    const k = createHash(h).update(u32be(i)).update(z).update(label0(label)).update(partyU).update(partyV).digest();
    parts.push(new Uint8Array(k));
    have += k.byteLength;
  }
  return concat(...parts).slice(0, need);
}
