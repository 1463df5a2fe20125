/**
 * The TCG PTS attribute codecs and the PA-TNC registry that knows them (the defaults of src/tnc/pa plus PTS).
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { defaultPaRegistry } from '../../tnc/pa/registry.ts';
import { tcgPtsAik } from './aik.ts';
import { tcgPtsDhNonceFinish } from './dh-nonce-finish.ts';
import { tcgPtsDhNonceParamsRequest } from './dh-nonce-params-request.ts';
import { tcgPtsDhNonceParamsResponse } from './dh-nonce-params-response.ts';
import { tcgPtsFileMeas } from './file-measurement.ts';
import { tcgPtsGenAttestEvid } from './generate-attestation-evidence.ts';
import { tcgPtsGetAik } from './get-aik.ts';
import { tcgPtsGetTpmVersionInfo } from './get-tpm-version-info.ts';
import { tcgPtsMeasAlgo, tcgPtsMeasAlgoSelection } from './meas-algo.ts';
import { tcgPtsProtoCaps, tcgPtsReqProtoCaps } from './proto-caps.ts';
import { tcgPtsReqFileMeas } from './request-file-measurement.ts';
import { tcgPtsReqFileMeta } from './request-file-metadata.ts';
import { tcgPtsReqFuncCompEvid } from './request-functional-component-evidence.ts';
import { tcgPtsSimpleCompEvid } from './simple-component-evidence.ts';
import { tcgPtsSimpleEvidFinal } from './simple-evidence-final.ts';
import { tcgPtsTpmVersionInfo } from './tpm-version-info.ts';
import { tcgPtsUnixFileMeta } from './unix-file-metadata.ts';

export * from './aik.ts';
export * from './comp-func-name.ts';
export * from './dh-nonce-finish.ts';
export * from './dh-nonce-params-request.ts';
export * from './dh-nonce-params-response.ts';
export * from './file-measurement.ts';
export * from './generate-attestation-evidence.ts';
export * from './get-aik.ts';
export * from './get-tpm-version-info.ts';
export * from './meas-algo.ts';
export * from './proto-caps.ts';
export * from './request-file-measurement.ts';
export * from './request-file-metadata.ts';
export * from './request-functional-component-evidence.ts';
export * from './simple-component-evidence.ts';
export * from './simple-evidence-final.ts';
export * from './tpm-version-info.ts';
export * from './unix-file-metadata.ts';

/** Every PTS attribute codec, in type order. */
export const ptsAttributeCodecs: readonly PaAttributeCodec<PaAttribute>[] = [
  tcgPtsReqProtoCaps,
  tcgPtsProtoCaps,
  tcgPtsDhNonceParamsRequest,
  tcgPtsDhNonceParamsResponse,
  tcgPtsDhNonceFinish,
  tcgPtsMeasAlgo,
  tcgPtsMeasAlgoSelection,
  tcgPtsGetTpmVersionInfo,
  tcgPtsTpmVersionInfo,
  tcgPtsGetAik,
  tcgPtsAik,
  tcgPtsReqFuncCompEvid,
  tcgPtsGenAttestEvid,
  tcgPtsSimpleCompEvid,
  tcgPtsSimpleEvidFinal,
  tcgPtsReqFileMeta,
  tcgPtsUnixFileMeta,
  tcgPtsReqFileMeas,
  tcgPtsFileMeas,
];

/** The PA-TNC registry with the PTS attributes on top of the defaults. */
export const ptsPaRegistry = defaultPaRegistry.with(...ptsAttributeCodecs);
