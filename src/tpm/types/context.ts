/**
 * Saved contexts (TPM 2.0 Part 2, Rev 1.59, §14).
 *
 *   TPMS_CONTEXT (§14.5) = sequence u64 ‖ savedHandle u32 ‖ hierarchy u32 ‖ contextBlob TPM2B_CONTEXT_DATA
 */
import { struct, tpm2b, u64 } from '../marshal.ts';
import type { Infer } from '../marshal.ts';
import { TPM_HANDLE } from './basic.ts';

/** TPM2B_CONTEXT_DATA (§14.4): an encrypted, integrity-protected blob; 8 KiB bounds every TPM we know. */
export const TPM2B_CONTEXT_DATA = tpm2b('TPM2B_CONTEXT_DATA', 8192);

/** TPMS_CONTEXT (§14.5). */
export const TPMS_CONTEXT = struct('TPMS_CONTEXT', {
  sequence: u64,
  savedHandle: TPM_HANDLE,
  hierarchy: TPM_HANDLE,
  contextBlob: TPM2B_CONTEXT_DATA,
});
export type TPMS_CONTEXT = Infer<typeof TPMS_CONTEXT>;
