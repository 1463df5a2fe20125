/**
 * Signatures (TPM 2.0 Part 2, Rev 1.59, §11.3).
 *
 *   TPMT_SIGNATURE (§11.3.4) = TPMI_ALG_SIG_SCHEME sigAlg ‖ TPMU_SIGNATURE signature[sigAlg]
 *     RSASSA, RSAPSS           TPMS_SIGNATURE_RSA  = hash u16 ‖ sig TPM2B_PUBLIC_KEY_RSA
 *     ECDSA, ECDAA, SM2, ECSCHNORR  TPMS_SIGNATURE_ECC = hash u16 ‖ signatureR TPM2B ‖ signatureS TPM2B
 *     HMAC                     TPMT_HA
 *     NULL                     (nothing)
 */
import { empty, struct, union } from '../marshal.ts';
import type { Infer } from '../marshal.ts';
import { TPM_ALG_ID, TPMT_HA } from './basic.ts';
import { TPM_ALG } from './constants.ts';
import { TPM2B_ECC_PARAMETER, TPM2B_PUBLIC_KEY_RSA } from './public.ts';

/** TPMS_SIGNATURE_RSA (§11.3.1). */
export const TPMS_SIGNATURE_RSA = struct('TPMS_SIGNATURE_RSA', { hash: TPM_ALG_ID, sig: TPM2B_PUBLIC_KEY_RSA });
export type TPMS_SIGNATURE_RSA = Infer<typeof TPMS_SIGNATURE_RSA>;
/** TPMS_SIGNATURE_ECC (§11.3.2). */
export const TPMS_SIGNATURE_ECC = struct('TPMS_SIGNATURE_ECC', {
  hash: TPM_ALG_ID,
  signatureR: TPM2B_ECC_PARAMETER,
  signatureS: TPM2B_ECC_PARAMETER,
});
export type TPMS_SIGNATURE_ECC = Infer<typeof TPMS_SIGNATURE_ECC>;

/** TPMT_SIGNATURE (§11.3.4). */
export const TPMT_SIGNATURE = struct('TPMT_SIGNATURE', {
  sigAlg: TPM_ALG_ID,
  signature: union('TPMU_SIGNATURE', 'sigAlg', {
    [TPM_ALG.RSASSA]: TPMS_SIGNATURE_RSA,
    [TPM_ALG.RSAPSS]: TPMS_SIGNATURE_RSA,
    [TPM_ALG.ECDSA]: TPMS_SIGNATURE_ECC,
    [TPM_ALG.ECDAA]: TPMS_SIGNATURE_ECC,
    [TPM_ALG.SM2]: TPMS_SIGNATURE_ECC,
    [TPM_ALG.ECSCHNORR]: TPMS_SIGNATURE_ECC,
    [TPM_ALG.HMAC]: TPMT_HA,
    [TPM_ALG.NULL]: empty,
  }),
});
export type TPMT_SIGNATURE = Infer<typeof TPMT_SIGNATURE>;

export function isRsaSignature(s: TPMT_SIGNATURE): boolean {
  return s.sigAlg === TPM_ALG.RSASSA || s.sigAlg === TPM_ALG.RSAPSS;
}
export function isEccSignature(s: TPMT_SIGNATURE): boolean {
  return (
    s.sigAlg === TPM_ALG.ECDSA ||
    s.sigAlg === TPM_ALG.ECDAA ||
    s.sigAlg === TPM_ALG.SM2 ||
    s.sigAlg === TPM_ALG.ECSCHNORR
  );
}
