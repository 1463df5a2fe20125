/**
 * NV index public areas (TPM 2.0 Part 2, Rev 1.59, §13).
 *
 *   TPMS_NV_PUBLIC (§13.5) = nvIndex u32 ‖ nameAlg u16 ‖ attributes TPMA_NV u32 ‖ authPolicy TPM2B_DIGEST ‖ dataSize u16
 *   TPM2B_NV_PUBLIC (§13.6) = u16 size ‖ TPMS_NV_PUBLIC
 */
import { bits, sized, struct, u16 } from '../marshal.ts';
import type { Infer } from '../marshal.ts';
import { TPM2B_DIGEST, TPM_ALG_ID, TPM_HANDLE } from './basic.ts';

/** TPMA_NV (§13.4); the 4-bit TPM_NT field (bits 4–7) stays in `other`. */
export const TPMA_NV = bits('TPMA_NV', 32, {
  PPWRITE: 0,
  OWNERWRITE: 1,
  AUTHWRITE: 2,
  POLICYWRITE: 3,
  POLICY_DELETE: 10,
  WRITELOCKED: 11,
  WRITEALL: 12,
  WRITEDEFINE: 13,
  WRITE_STCLEAR: 14,
  GLOBALLOCK: 15,
  PPREAD: 16,
  OWNERREAD: 17,
  AUTHREAD: 18,
  POLICYREAD: 19,
  NO_DA: 25,
  ORDERLY: 26,
  CLEAR_STCLEAR: 27,
  READLOCKED: 28,
  WRITTEN: 29,
  PLATFORMCREATE: 30,
  READ_STCLEAR: 31,
});

/** TPMS_NV_PUBLIC (§13.5). */
export const TPMS_NV_PUBLIC = struct('TPMS_NV_PUBLIC', {
  nvIndex: TPM_HANDLE,
  nameAlg: TPM_ALG_ID,
  attributes: TPMA_NV,
  authPolicy: TPM2B_DIGEST,
  /** Size of the data area in bytes. */
  dataSize: u16,
});
export type TPMS_NV_PUBLIC = Infer<typeof TPMS_NV_PUBLIC>;

/** TPM2B_NV_PUBLIC (§13.6). */
export const TPM2B_NV_PUBLIC = sized('TPM2B_NV_PUBLIC', TPMS_NV_PUBLIC);
