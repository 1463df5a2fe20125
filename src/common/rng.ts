/**
 * Randomness as an injected dependency (STYLE practice 9). Production uses the system CSPRNG; tests use a seeded
 * deterministic generator (SHA-256 in counter mode over node:crypto) so exchanges are reproducible.
 */
import { createHash, randomFillSync } from 'node:crypto';

export type Rng = (n: number) => Uint8Array;

export const systemRng: Rng = (n) => {
  const b = new Uint8Array(n);
  if (n > 0) randomFillSync(b);
  return b;
};

/** Deterministic bytes from a seed; for tests only. */
export function seededRng(seed: string | number): Rng {
  let counter = 0;
  let pool = new Uint8Array(0);
  return (n) => {
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      if (pool.byteLength === 0) {
        pool = new Uint8Array(createHash('sha256').update(`${seed}/${counter++}`).digest());
      }
      const take = Math.min(pool.byteLength, n - o);
      out.set(pool.subarray(0, take), o);
      pool = pool.subarray(take);
      o += take;
    }
    return out;
  };
}

/** A random 32-bit unsigned integer. */
export function randomU32(rng: Rng): number {
  const b = rng(4);
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
}
