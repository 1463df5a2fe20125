/**
 * Fuzz targets for TCG PTS: PA-TNC messages decoded with the PTS registry (only declared errors may escape), and the
 * verifier core fed whatever decodes, in the capabilities phase and again after it (it must never throw).
 */
import fc from 'fast-check';
import { decodePaMessage, encodePaMessage } from '../../src/tnc/pa/index.ts';
import { ptsPaRegistry } from '../../src/pts/attrs/index.ts';
import { MemoryPtsReferences, PtsVerifier } from '../../src/pts/verify/index.ts';
import { seededRng } from '../../src/common/index.ts';
import type { FuzzTarget } from '../support/harness.ts';
import { ptsAttributeByKind } from '../unit/pts/arbitraries.ts';

const seeds = (): Uint8Array[] =>
  Object.values(ptsAttributeByKind).flatMap((arb, i) =>
    fc
      .sample(arb, { numRuns: 3, seed: 1000 + i })
      .map((a) => encodePaMessage({ messageId: i, attributes: [a] }, ptsPaRegistry)),
  );

export const targets: FuzzTarget[] = [
  {
    name: 'attributes',
    seeds,
    run(input) {
      decodePaMessage(input, ptsPaRegistry);
    },
  },
  {
    name: 'verifier',
    seeds,
    async run(input) {
      const attrs = decodePaMessage(input, ptsPaRegistry).attributes;
      const v = new PtsVerifier({ references: new MemoryPtsReferences(), files: [{ path: '/x' }], rng: seededRng(1) });
      v.start();
      await v.receive(attrs);
      await v.receive(attrs);
    },
  },
];
