/**
 * Basic TPM 2.0 structures (TPM 2.0 Part 2, Rev 1.59): sized buffers (§10.4), TPMT_HA (§10.3.2), PCR selections
 * (§10.6), the lists of §10.9 and the session attributes TPMA_SESSION (§8.4).
 *
 *   TPM2B_xxx            u16 size ‖ BYTE buffer[size]
 *   TPMT_HA              TPMI_ALG_HASH hashAlg ‖ BYTE digest[digestSize(hashAlg)]
 *   TPMS_PCR_SELECTION   TPMI_ALG_HASH hash ‖ u8 sizeofSelect ‖ BYTE pcrSelect[sizeofSelect]   (bit n of byte n/8 = PCR n)
 *   TPML_xxx             u32 count ‖ element[count]
 */
import { alias, bits, fixed, list, sized8, struct, tpm2b, u16, u32, union } from '../marshal.ts';
import type { Infer } from '../marshal.ts';
import { TPM_ALG } from './constants.ts';

/** TPM_ALG_ID / TPMI_ALG_HASH and friends (Part 2 §6.3, §9.27). */
export const TPM_ALG_ID = alias('TPM_ALG_ID', u16);
/** TPM_HANDLE (Part 2 §7.1). */
export const TPM_HANDLE = alias('TPM_HANDLE', u32);
/** TPM_CC (Part 2 §6.5). */
export const TPM_CC_DESC = alias('TPM_CC', u32);

/** TPM2B_DIGEST (§10.4.2): at most sizeof(TPMU_HA) = 64 bytes. */
export const TPM2B_DIGEST = tpm2b('TPM2B_DIGEST', 64);
/** TPM2B_NONCE (§10.4.4) = TPM2B_DIGEST. */
export const TPM2B_NONCE = tpm2b('TPM2B_NONCE', 64);
/** TPM2B_AUTH (§10.4.5) = TPM2B_DIGEST. */
export const TPM2B_AUTH = tpm2b('TPM2B_AUTH', 64);
/** TPM2B_DATA (§10.4.3): at most sizeof(TPMT_HA) = 66 bytes. */
export const TPM2B_DATA = tpm2b('TPM2B_DATA', 66);
/** TPM2B_NAME (§10.5.3): at most sizeof(TPMU_NAME) = 66 bytes (nameAlg ‖ digest, or a 4-byte handle). */
export const TPM2B_NAME = tpm2b('TPM2B_NAME', 66);
/** TPM2B_MAX_BUFFER (§10.4.8): MAX_DIGEST_BUFFER = 1024. */
export const TPM2B_MAX_BUFFER = tpm2b('TPM2B_MAX_BUFFER', 1024);
/** TPM2B_MAX_NV_BUFFER (§10.4.9): MAX_NV_BUFFER_SIZE, 2048 on the TPMs we know. */
export const TPM2B_MAX_NV_BUFFER = tpm2b('TPM2B_MAX_NV_BUFFER', 2048);
/** TPM2B_EVENT (§10.4.7): at most 1024 bytes. */
export const TPM2B_EVENT = tpm2b('TPM2B_EVENT', 1024);
/** TPM2B_TIMEOUT (§10.4.10): at most 8 bytes. */
export const TPM2B_TIMEOUT = tpm2b('TPM2B_TIMEOUT', 8);

/** The TPMU_HA arms: a digest whose size the hash algorithm implies (§10.3.1). */
const haCases = {
  [TPM_ALG.SHA1]: fixed(20, 'sha1'),
  [TPM_ALG.SHA256]: fixed(32, 'sha256'),
  [TPM_ALG.SHA384]: fixed(48, 'sha384'),
  [TPM_ALG.SHA512]: fixed(64, 'sha512'),
  [TPM_ALG.SM3_256]: fixed(32, 'sm3_256'),
  [TPM_ALG.SHA3_256]: fixed(32, 'sha3_256'),
  [TPM_ALG.SHA3_384]: fixed(48, 'sha3_384'),
  [TPM_ALG.SHA3_512]: fixed(64, 'sha3_512'),
};

/** TPMT_HA (§10.3.2): hashAlg ‖ digest. */
export const TPMT_HA = struct('TPMT_HA', {
  /** TPMI_ALG_HASH (+TPM_ALG_NULL not allowed here). */
  hashAlg: TPM_ALG_ID,
  /** TPMU_HA: exactly digestSize(hashAlg) bytes. */
  digest: union('TPMU_HA', 'hashAlg', haCases),
});
export type TPMT_HA = Infer<typeof TPMT_HA>;

/** PCR_SELECT_MAX: 24 PCRs need 3 bytes; we accept up to 32 bytes (256 PCRs) as the spec's structure allows. */
export const PCR_SELECT_MAX = 32;

/** TPMS_PCR_SELECTION (§10.6.2). */
export const TPMS_PCR_SELECTION = struct('TPMS_PCR_SELECTION', {
  /** The bank (hash algorithm). */
  hash: TPM_ALG_ID,
  /** sizeofSelect ‖ pcrSelect: bit n of byte n/8 selects PCR n. */
  pcrSelect: sized8('pcrSelect', PCR_SELECT_MAX),
});
export type TPMS_PCR_SELECTION = Infer<typeof TPMS_PCR_SELECTION>;

/** TPML_PCR_SELECTION (§10.9.7): at most HASH_COUNT (16) banks. */
export const TPML_PCR_SELECTION = list('TPML_PCR_SELECTION', TPMS_PCR_SELECTION, 16);
export type TPML_PCR_SELECTION = Infer<typeof TPML_PCR_SELECTION>;

/** TPML_DIGEST (§10.9.5): at most 8 digests (PCR_Read returns up to 8 values per call). */
export const TPML_DIGEST = list('TPML_DIGEST', TPM2B_DIGEST, 8);

/** TPML_DIGEST_VALUES (§10.9.6): one TPMT_HA per bank, at most HASH_COUNT (16). */
export const TPML_DIGEST_VALUES = list('TPML_DIGEST_VALUES', TPMT_HA, 16);

/** TPMA_SESSION (§8.4): one byte of session attributes. */
export const TPMA_SESSION = bits('TPMA_SESSION', 8, {
  continueSession: 0,
  auditExclusive: 1,
  auditReset: 2,
  decrypt: 5,
  encrypt: 6,
  audit: 7,
});
export type TPMA_SESSION = Infer<typeof TPMA_SESSION>;

/** TPMS_AUTH_COMMAND (§10.13.2): one authorization in a command's auth area. */
export const TPMS_AUTH_COMMAND = struct('TPMS_AUTH_COMMAND', {
  sessionHandle: TPM_HANDLE,
  nonce: TPM2B_NONCE,
  sessionAttributes: TPMA_SESSION,
  hmac: TPM2B_AUTH,
});
export type TPMS_AUTH_COMMAND = Infer<typeof TPMS_AUTH_COMMAND>;

/** TPMS_AUTH_RESPONSE (§10.13.3): one authorization in a response's auth area. */
export const TPMS_AUTH_RESPONSE = struct('TPMS_AUTH_RESPONSE', {
  nonce: TPM2B_NONCE,
  sessionAttributes: TPMA_SESSION,
  hmac: TPM2B_AUTH,
});
export type TPMS_AUTH_RESPONSE = Infer<typeof TPMS_AUTH_RESPONSE>;

/** Bit set of the PCR indices (pcrSelect bytes) for the given PCRs, `size` bytes long (at least 3). */
export function pcrSelectBytes(pcrs: readonly number[], size = 3): Uint8Array {
  const max = pcrs.reduce((m, p) => Math.max(m, p), 0);
  const out = new Uint8Array(Math.max(size, (max >> 3) + 1));
  for (const p of pcrs) out[p >> 3]! |= 1 << (p & 7);
  return out;
}

/** The PCR indices selected by a pcrSelect bit set, ascending. */
export function pcrIndices(select: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < select.byteLength * 8; i++) if ((select[i >> 3]! >> (i & 7)) & 1) out.push(i);
  return out;
}
