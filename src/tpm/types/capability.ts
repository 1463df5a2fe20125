/**
 * Capability data (TPM 2.0 Part 2, Rev 1.59, §10.10).
 *
 *   TPMS_CAPABILITY_DATA (§10.10.2) = TPM_CAP capability ‖ TPMU_CAPABILITIES data[capability]
 *     TPM_CAP_ALGS            TPML_ALG_PROPERTY          (alg u16 ‖ algProperties u32)*
 *     TPM_CAP_HANDLES         TPML_HANDLE                u32*
 *     TPM_CAP_COMMANDS        TPML_CCA                   TPMA_CC u32*
 *     TPM_CAP_PCRS            TPML_PCR_SELECTION
 *     TPM_CAP_TPM_PROPERTIES  TPML_TAGGED_TPM_PROPERTY   (property u32 ‖ value u32)*
 *     TPM_CAP_PCR_PROPERTIES  TPML_TAGGED_PCR_PROPERTY   (tag u32 ‖ sizeofSelect u8 ‖ pcrSelect)*
 *     TPM_CAP_ECC_CURVES      TPML_ECC_CURVE             u16*
 */
import { list, sized8, struct, u16, u32, union } from '../marshal.ts';
import type { Infer } from '../marshal.ts';
import { PCR_SELECT_MAX, TPM_ALG_ID, TPM_HANDLE, TPML_PCR_SELECTION } from './basic.ts';
import { TPM_CAP } from './constants.ts';

/** MAX_CAP_BUFFER is 1024 bytes, which bounds every list below. */
const MAX_CAP = 256;

export const TPMS_ALG_PROPERTY = struct('TPMS_ALG_PROPERTY', { alg: TPM_ALG_ID, algProperties: u32 });
export const TPMS_TAGGED_PROPERTY = struct('TPMS_TAGGED_PROPERTY', { property: u32, value: u32 });
export type TPMS_TAGGED_PROPERTY = Infer<typeof TPMS_TAGGED_PROPERTY>;
export const TPMS_TAGGED_PCR_SELECT = struct('TPMS_TAGGED_PCR_SELECT', {
  tag: u32,
  pcrSelect: sized8('pcrSelect', PCR_SELECT_MAX),
});

/** TPMS_CAPABILITY_DATA (§10.10.2). */
export const TPMS_CAPABILITY_DATA = struct('TPMS_CAPABILITY_DATA', {
  capability: u32,
  data: union('TPMU_CAPABILITIES', 'capability', {
    [TPM_CAP.ALGS]: list('TPML_ALG_PROPERTY', TPMS_ALG_PROPERTY, MAX_CAP),
    [TPM_CAP.HANDLES]: list('TPML_HANDLE', TPM_HANDLE, MAX_CAP),
    [TPM_CAP.COMMANDS]: list('TPML_CCA', u32, MAX_CAP),
    [TPM_CAP.PP_COMMANDS]: list('TPML_CC', u32, MAX_CAP),
    [TPM_CAP.AUDIT_COMMANDS]: list('TPML_CC', u32, MAX_CAP),
    [TPM_CAP.PCRS]: TPML_PCR_SELECTION,
    [TPM_CAP.TPM_PROPERTIES]: list('TPML_TAGGED_TPM_PROPERTY', TPMS_TAGGED_PROPERTY, MAX_CAP),
    [TPM_CAP.PCR_PROPERTIES]: list('TPML_TAGGED_PCR_PROPERTY', TPMS_TAGGED_PCR_SELECT, MAX_CAP),
    [TPM_CAP.ECC_CURVES]: list('TPML_ECC_CURVE', u16, MAX_CAP),
  }),
});
export type TPMS_CAPABILITY_DATA = Infer<typeof TPMS_CAPABILITY_DATA>;
