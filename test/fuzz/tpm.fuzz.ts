/**
 * Fuzz targets of the TPM unmarshaler: TPMS_ATTEST, TPM2B_PUBLIC and a whole TPM2_Quote response (framing,
 * parameters, attest and signature), plus quote verification of the mutated evidence. Seeds: real swtpm output
 * (test/unit/tpm/vectors, captured by capture-vectors.ts) and structures from our marshaler.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex } from '../../src/common/bytes.ts';
import { isDeclaredError } from '../../src/common/errors.ts';
import type { FuzzTarget } from '../support/harness.ts';
import { decodeResponse } from '../../src/tpm/command.ts';
import { Quote, ReadPublic, GetCapability } from '../../src/tpm/commands.ts';
import { marshal, unmarshal } from '../../src/tpm/marshal.ts';
import { objectName, publicKeyOf } from '../../src/tpm/keys.ts';
import {
  aikTemplateEccP256,
  aikTemplateRsa2048,
  ekTemplateEccP256,
  ekTemplateRsa2048,
  srkTemplateRsa2048,
} from '../../src/tpm/templates.ts';
import { TPMS_ATTEST } from '../../src/tpm/types/attest.ts';
import { TPM2B_PUBLIC } from '../../src/tpm/types/public.ts';
import { TPM_ALG } from '../../src/tpm/types/constants.ts';
import { checkQuote } from '../../src/tpm/verify-quote.ts';

const dir = join(import.meta.dirname, '../unit/tpm/vectors');
interface Vector {
  aikSpki: string;
  aikPublic: string;
  nonce: string;
  quoted: string;
  signature: string;
  quoteResponse: string;
  pcrs: { sha256: Record<string, string> };
}
const vectors = (): Vector[] =>
  ['ecc', 'rsa'].map((t) => JSON.parse(readFileSync(join(dir, `swtpm-quote-${t}.json`), 'utf8')) as Vector);

export const targets: FuzzTarget[] = [
  {
    name: 'TPMS_ATTEST',
    seeds: () => vectors().map((v) => fromHex(v.quoted)),
    run(input) {
      const a = unmarshal(TPMS_ATTEST, input);
      marshal(TPMS_ATTEST, a);
    },
  },
  {
    name: 'TPM2B_PUBLIC',
    seeds: () => [
      ...vectors().map((v) => fromHex(v.aikPublic)),
      fromHex(readFileSync(join(dir, 'swtpm-ek-rsa-public.hex'), 'utf8').trim()),
      ...[
        ekTemplateRsa2048(),
        ekTemplateEccP256(),
        srkTemplateRsa2048(),
        aikTemplateEccP256(),
        aikTemplateRsa2048(),
      ].map((t) => marshal(TPM2B_PUBLIC, t)),
    ],
    run(input) {
      const p = unmarshal(TPM2B_PUBLIC, input);
      objectName(p.nameAlg === TPM_ALG.SHA256 ? p : { ...p, nameAlg: TPM_ALG.SHA256 });
      // node:crypto rejects some keys with its own errors; publicKeyOf must turn them into declared errors.
      if (p.type === TPM_ALG.RSA || p.type === TPM_ALG.ECC) publicKeyOf(p);
    },
  },
  {
    name: 'TPM2_Quote response',
    seeds: () => vectors().map((v) => fromHex(v.quoteResponse)),
    run(input) {
      const r = decodeResponse(Quote, input, 1);
      const v = vectors()[0]!;
      checkQuote({
        quoted: r.params.quoted,
        signature: r.params.signature,
        aik: fromHex(v.aikSpki),
        nonce: fromHex(v.nonce),
        pcrs: [
          {
            hash: TPM_ALG.SHA256,
            values: new Map(Object.entries(v.pcrs.sha256).map(([k, x]) => [Number(k), fromHex(x)])),
          },
        ],
      });
    },
  },
  {
    name: 'other responses (ReadPublic, GetCapability)',
    seeds: () => {
      const pub = fromHex(vectors()[0]!.aikPublic);
      const name = objectName(unmarshal(TPM2B_PUBLIC, pub));
      const body = new Uint8Array([...pub, 0, name.byteLength, ...name, 0, name.byteLength, ...name]);
      const hdr = (n: number) => [
        0x80,
        0x01,
        (n >>> 24) & 0xff,
        (n >>> 16) & 0xff,
        (n >>> 8) & 0xff,
        n & 0xff,
        0,
        0,
        0,
        0,
      ];
      return [
        new Uint8Array([...hdr(10 + body.byteLength), ...body]),
        fromHex('80010000001f0000000000000000050000000200040300000000000b03ffffff'),
      ];
    },
    run(input) {
      let first: unknown;
      try {
        decodeResponse(ReadPublic, input, 0);
      } catch (e) {
        if (!isDeclaredError(e)) throw e;
        first = e;
      }
      if (first) decodeResponse(GetCapability, input, 0);
    },
  },
];
