/**
 * The fuzz driver: fast-check generated inputs plus mutations of real seeds, fed to a target that may throw only
 * declared errors. Used by `npm run fuzz -- <suite>` (a million inputs) and by a short-budget test in `npm test`.
 */
import fc from 'fast-check';
import { isDeclaredError } from '../../src/common/errors.ts';
import type { FuzzTarget } from './harness.ts';

export interface FuzzStats {
  target: string;
  runs: number;
  declaredErrors: number;
  accepted: number;
  maxHeapMB: number;
}

/** Mutates a seed: bit flips, byte sets, truncation, duplication, insertion of random bytes, length-field pokes. */
function mutationArb(seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const seed = fc.constantFrom(...(seeds.length ? seeds : [new Uint8Array(0)]));
  const op = fc.oneof(
    fc.record({ k: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ k: fc.constant('set' as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ k: fc.constant('trunc' as const), at: fc.nat() }),
    fc.record({ k: fc.constant('insert' as const), at: fc.nat(), b: fc.uint8Array({ maxLength: 16 }) }),
    fc.record({ k: fc.constant('dup' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ k: fc.constant('max' as const), at: fc.nat() }),
  );
  return fc.tuple(seed, fc.array(op, { minLength: 1, maxLength: 4 })).map(([s, ops]) => {
    let b = s.slice();
    for (const o of ops) {
      const at = b.byteLength ? o.at % b.byteLength : 0;
      switch (o.k) {
        case 'flip':
          if (b.byteLength) b[at]! ^= 1 << o.bit;
          break;
        case 'set':
          if (b.byteLength) b[at] = o.v;
          break;
        case 'trunc':
          b = b.slice(0, at);
          break;
        case 'insert':
          b = new Uint8Array([...b.subarray(0, at), ...o.b, ...b.subarray(at)]);
          break;
        case 'dup':
          b = new Uint8Array([...b, ...b.subarray(at, at + o.n)]);
          break;
        case 'max':
          if (b.byteLength) b.fill(0xff, at, Math.min(b.byteLength, at + 4));
          break;
      }
    }
    return b;
  });
}

export async function fuzz(target: FuzzTarget, runs: number, seed?: number): Promise<FuzzStats> {
  const stats: FuzzStats = { target: target.name, runs: 0, declaredErrors: 0, accepted: 0, maxHeapMB: 0 };
  const seeds = target.seeds();
  const arb = fc.oneof(
    { weight: 3, arbitrary: mutationArb(seeds) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }) },
  );
  await fc.assert(
    fc.asyncProperty(arb, async (input) => {
      stats.runs++;
      try {
        await target.run(input);
        stats.accepted++;
      } catch (e) {
        if (!isDeclaredError(e)) throw e;
        stats.declaredErrors++;
      }
      if (stats.runs % 10_000 === 0) {
        stats.maxHeapMB = Math.max(stats.maxHeapMB, process.memoryUsage().heapUsed / 2 ** 20);
      }
    }),
    { numRuns: runs, ...(seed === undefined ? {} : { seed }), endOnFailure: true },
  );
  stats.maxHeapMB = Math.round(Math.max(stats.maxHeapMB, process.memoryUsage().heapUsed / 2 ** 20));
  return stats;
}
