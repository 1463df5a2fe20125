/**
 * Attestation structures (TPM 2.0 Part 2, Rev 1.59, §10.11–§10.12).
 *
 *   TPMS_ATTEST (§10.12.12)
 *     TPM_GENERATED    magic             0xff544347 ("\xffTCG") for TPM-produced structures
 *     TPMI_ST_ATTEST   type              selects `attested` (TPM_ST_ATTEST_QUOTE = 0x8018, …)
 *     TPM2B_NAME       qualifiedSigner
 *     TPM2B_DATA       extraData         the caller's qualifying data (the nonce)
 *     TPMS_CLOCK_INFO  clockInfo         clock u64 ‖ resetCount u32 ‖ restartCount u32 ‖ safe u8
 *     UINT64           firmwareVersion
 *     TPMU_ATTEST      attested[type]
 *   TPM2B_ATTEST (§10.12.13) = u16 size ‖ TPMS_ATTEST (kept as bytes: the signature covers them verbatim)
 */
import { TPMI_YES_NO, struct, tpm2b, u16, u32, u64, union } from '../marshal.ts';
import type { Infer } from '../marshal.ts';
import { TPM2B_DIGEST, TPM2B_MAX_NV_BUFFER, TPM2B_DATA, TPM2B_NAME, TPM_ALG_ID, TPML_PCR_SELECTION } from './basic.ts';
import { TPM_ST } from './constants.ts';

/** TPM_GENERATED_VALUE (Part 2 §6.2). */
export const TPM_GENERATED_VALUE = 0xff544347;

/** TPMS_CLOCK_INFO (§10.11.1). */
export const TPMS_CLOCK_INFO = struct('TPMS_CLOCK_INFO', {
  /** Milliseconds the TPM has been powered since it was made; never goes back except across reset/restart. */
  clock: u64,
  /** TPM Resets since the last TPM2_Clear. */
  resetCount: u32,
  /** TPM Restarts / Resumes since the last TPM Reset. */
  restartCount: u32,
  /** YES if clock has not gone back since it was last reported. */
  safe: TPMI_YES_NO,
});
export type TPMS_CLOCK_INFO = Infer<typeof TPMS_CLOCK_INFO>;

/** TPMS_TIME_INFO (§10.11.6). */
export const TPMS_TIME_INFO = struct('TPMS_TIME_INFO', { time: u64, clockInfo: TPMS_CLOCK_INFO });

/** TPMS_QUOTE_INFO (§10.12.4). */
export const TPMS_QUOTE_INFO = struct('TPMS_QUOTE_INFO', {
  /** The PCRs quoted. */
  pcrSelect: TPML_PCR_SELECTION,
  /** H(PCR values in selection order), hash = the signing scheme's hash. */
  pcrDigest: TPM2B_DIGEST,
});
export type TPMS_QUOTE_INFO = Infer<typeof TPMS_QUOTE_INFO>;

/** TPMS_CERTIFY_INFO (§10.12.3). */
export const TPMS_CERTIFY_INFO = struct('TPMS_CERTIFY_INFO', { name: TPM2B_NAME, qualifiedName: TPM2B_NAME });
export type TPMS_CERTIFY_INFO = Infer<typeof TPMS_CERTIFY_INFO>;

/** TPMS_ATTEST (§10.12.12). */
export const TPMS_ATTEST = struct('TPMS_ATTEST', {
  magic: u32,
  type: u16,
  qualifiedSigner: TPM2B_NAME,
  extraData: TPM2B_DATA,
  clockInfo: TPMS_CLOCK_INFO,
  firmwareVersion: u64,
  /** TPMU_ATTEST (§10.12.11). */
  attested: union('TPMU_ATTEST', 'type', {
    [TPM_ST.ATTEST_QUOTE]: TPMS_QUOTE_INFO,
    [TPM_ST.ATTEST_CERTIFY]: TPMS_CERTIFY_INFO,
    [TPM_ST.ATTEST_CREATION]: struct('TPMS_CREATION_INFO', { objectName: TPM2B_NAME, creationHash: TPM2B_DIGEST }),
    [TPM_ST.ATTEST_TIME]: struct('TPMS_TIME_ATTEST_INFO', { time: TPMS_TIME_INFO, firmwareVersion: u64 }),
    [TPM_ST.ATTEST_COMMAND_AUDIT]: struct('TPMS_COMMAND_AUDIT_INFO', {
      auditCounter: u64,
      digestAlg: TPM_ALG_ID,
      auditDigest: TPM2B_DIGEST,
      commandDigest: TPM2B_DIGEST,
    }),
    [TPM_ST.ATTEST_SESSION_AUDIT]: struct('TPMS_SESSION_AUDIT_INFO', {
      exclusiveSession: TPMI_YES_NO,
      sessionDigest: TPM2B_DIGEST,
    }),
    [TPM_ST.ATTEST_NV]: struct('TPMS_NV_CERTIFY_INFO', {
      indexName: TPM2B_NAME,
      offset: u16,
      nvContents: TPM2B_MAX_NV_BUFFER,
    }),
    [TPM_ST.ATTEST_NV_DIGEST]: struct('TPMS_NV_DIGEST_CERTIFY_INFO', { indexName: TPM2B_NAME, nvDigest: TPM2B_DIGEST }),
  }),
});
export type TPMS_ATTEST = Infer<typeof TPMS_ATTEST>;

/** TPM2B_ATTEST (§10.12.13): kept as the signed bytes. */
export const TPM2B_ATTEST = tpm2b('TPM2B_ATTEST', 2048);

/** The quote info of an attestation of type TPM_ST_ATTEST_QUOTE. */
export function quoteInfo(a: TPMS_ATTEST): TPMS_QUOTE_INFO | undefined {
  return a.type === TPM_ST.ATTEST_QUOTE ? (a.attested as TPMS_QUOTE_INFO) : undefined;
}
/** The certify info of an attestation of type TPM_ST_ATTEST_CERTIFY. */
export function certifyInfo(a: TPMS_ATTEST): TPMS_CERTIFY_INFO | undefined {
  return a.type === TPM_ST.ATTEST_CERTIFY ? (a.attested as TPMS_CERTIFY_INFO) : undefined;
}
