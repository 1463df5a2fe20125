/** Hand-made PTS attributes for verifier tests without a TPM. */
import { createHash } from 'node:crypto';
import type { PaAttribute } from '../../../src/tnc/pa/index.ts';
import { PtsMeasAlgo } from '../../../src/pts/constants.ts';
import { IMA_COMPONENT } from '../../../src/pts/components.ts';
import { imaNgTemplateHash } from '../../../src/pts/verify/index.ts';

export const sha256 = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());

/** An attribute from its fields (noskip off unless given). */
export const A = (a: Record<string, unknown>) => ({ noskip: false, ...a }) as PaAttribute;

/** The IMA (ima-ng, sha256) Simple Component Evidence of `path` holding `content`, as measured into PCR 10. */
export const imaEvent = (path: string, content: string) =>
  A({
    kind: 'tcg/pts-simple-comp-evid',
    depth: 0,
    name: IMA_COMPONENT,
    pcr: 10,
    hashAlgorithm: PtsMeasAlgo.SHA256,
    transform: 0,
    time: '0000-00-00T00:00:00Z',
    validation: 0x60,
    policyUri: `sha256:${path}`,
    measurement: imaNgTemplateHash('sha256', sha256(content), path, 'sha256'),
  });

/** A Simple Evidence Final with TPM 2.0 quote info over `pcrSelect` and zero-filled digest and signature. */
export const evidenceFinal = (pcrSelect: Uint8Array) =>
  A({
    kind: 'tcg/pts-simple-evid-final',
    quoteMode: 0x10,
    compositeHashAlgorithm: PtsMeasAlgo.SHA256,
    pcrComposite: new Uint8Array(32),
    tpm2: {
      qualifiedSigner: new Uint8Array(0),
      clockInfo: new Uint8Array(17),
      firmwareVersion: new Uint8Array(8),
      pcrSelect,
    },
    quoteSignature: new Uint8Array(64),
  });
