/**
 * Fuzz targets for SWIMA: PA-TNC messages decoded with the SWIMA registry, and the package-metadata parsers on
 * arbitrary text. Only declared errors may escape.
 */
import fc from 'fast-check';
import { decodePaMessage, encodePaMessage } from '../../src/tnc/pa/index.ts';
import {
  parseApkInstalled,
  parseDpkgLog,
  parseDpkgStatus,
  parseSwidIdentity,
  swimaPaRegistry,
} from '../../src/swima/index.ts';
import type { FuzzTarget } from '../support/harness.ts';
import { swimaAttributeByKind } from '../unit/swima/arbitraries.ts';

const td = new TextDecoder();
const te = new TextEncoder();

export const targets: FuzzTarget[] = [
  {
    name: 'attributes',
    seeds: () =>
      Object.values(swimaAttributeByKind).flatMap((arb, i) =>
        fc
          .sample(arb, { numRuns: 3, seed: 2000 + i })
          .map((a) => encodePaMessage({ messageId: i, attributes: [a] }, swimaPaRegistry)),
      ),
    run(input) {
      decodePaMessage(input, swimaPaRegistry);
    },
  },
  {
    name: 'package-metadata',
    seeds: () =>
      [
        'Package: a\nStatus: install ok installed\nVersion: 1\n\n',
        'P:a\nV:1\nA:x\n\n',
        '2024-01-02 10:00:01 upgrade a:amd64 1 2\n',
        '<SoftwareIdentity name="a" tagId="t" version="1">',
      ].map((s) => te.encode(s)),
    run(input) {
      const s = td.decode(input);
      parseDpkgStatus(s);
      parseApkInstalled(s);
      parseDpkgLog(s);
      parseSwidIdentity(s);
    },
  },
];
