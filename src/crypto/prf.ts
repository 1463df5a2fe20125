/**
 * Pseudo-random functions and prf+ (RFC 7296 §2.13). HMAC over node:crypto; the PRF key may be any length
 * (HMAC hashes over-long keys, RFC 2104 §2), which is what IKE's Ni | Nr keys rely on.
 *
 *   prf+ (K,S) = T1 | T2 | T3 | T4 | ...
 *   T1 = prf (K, S | 0x01)
 *   T2 = prf (K, T1 | S | 0x02)
 *   ...
 * The counter is one octet, so at most 255 blocks can be produced.
 */
import { createHmac } from 'node:crypto';
import { ConfigError, LimitError } from '../common/errors.ts';
import { PRF, PrfIdNames } from './ids.ts';
import { nameOf } from '../common/names.ts';
import type { Prf } from './types.ts';

const cache = new Map<number, Prf>();

/** A PRF for a transform id (PRF_HMAC_SHA1, PRF_HMAC_SHA2_256/384/512). ConfigError for others. */
export function createPrf(id: number): Prf {
  const hit = cache.get(id);
  if (hit) return hit;
  const d = PRF.get(id);
  if (!d) throw new ConfigError(`unsupported PRF ${nameOf(PrfIdNames, id)}`);
  const prf: Prf = {
    id,
    size: d.size,
    compute(key, data) {
      return new Uint8Array(createHmac(d.hash, key).update(data).digest());
    },
  };
  cache.set(id, prf);
  return prf;
}

/** Maximum number of prf+ output blocks (one-octet counter). */
export const PRF_PLUS_MAX_BLOCKS = 255;

/** prf+ (RFC 7296 §2.13): `length` bytes of key material. LimitError beyond 255 blocks. */
export function prfPlus(prf: Prf, key: Uint8Array, seed: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0) throw new LimitError('prf+', `invalid length ${length}`);
  const blocks = Math.ceil(length / prf.size);
  if (blocks > PRF_PLUS_MAX_BLOCKS) {
    throw new LimitError('prf+', `${length} bytes need ${blocks} blocks, more than ${PRF_PLUS_MAX_BLOCKS}`);
  }
  const out = new Uint8Array(blocks * prf.size);
  const input = new Uint8Array(prf.size + seed.byteLength + 1);
  let prev = 0; // length of T(n-1) at the front of `input`
  for (let n = 1; n <= blocks; n++) {
    input.set(seed, prev);
    input[prev + seed.byteLength] = n;
    const t = prf.compute(key, input.subarray(0, prev + seed.byteLength + 1));
    out.set(t, (n - 1) * prf.size);
    input.set(t, 0);
    prev = t.byteLength;
  }
  input.fill(0);
  const result = out.slice(0, length);
  out.fill(0);
  return result;
}
