/**
 * TPM 2.0 constants under their spec names (TPM 2.0 Part 2 "Structures", Rev 1.59, chapter 6), each with a reverse
 * table for logs. Only the values this client uses or may meet on the wire are listed.
 */
import { reverse } from '../../common/names.ts';

/** TPM_ALG_ID (Part 2 §6.3; values from the TCG Algorithm Registry). */
export const TPM_ALG = {
  ERROR: 0x0000,
  RSA: 0x0001,
  TDES: 0x0003,
  SHA1: 0x0004,
  HMAC: 0x0005,
  AES: 0x0006,
  MGF1: 0x0007,
  KEYEDHASH: 0x0008,
  XOR: 0x000a,
  SHA256: 0x000b,
  SHA384: 0x000c,
  SHA512: 0x000d,
  NULL: 0x0010,
  SM3_256: 0x0012,
  SM4: 0x0013,
  RSASSA: 0x0014,
  RSAES: 0x0015,
  RSAPSS: 0x0016,
  OAEP: 0x0017,
  ECDSA: 0x0018,
  ECDH: 0x0019,
  ECDAA: 0x001a,
  SM2: 0x001b,
  ECSCHNORR: 0x001c,
  ECMQV: 0x001d,
  KDF1_SP800_56A: 0x0020,
  KDF2: 0x0021,
  KDF1_SP800_108: 0x0022,
  ECC: 0x0023,
  SYMCIPHER: 0x0025,
  CAMELLIA: 0x0026,
  SHA3_256: 0x0027,
  SHA3_384: 0x0028,
  SHA3_512: 0x0029,
  CTR: 0x0040,
  OFB: 0x0041,
  CBC: 0x0042,
  CFB: 0x0043,
  ECB: 0x0044,
} as const;
export const TPM_ALG_NAMES = reverse(TPM_ALG);

/** TPM_ECC_CURVE (Part 2 §6.4). */
export const TPM_ECC = {
  NONE: 0x0000,
  NIST_P192: 0x0001,
  NIST_P224: 0x0002,
  NIST_P256: 0x0003,
  NIST_P384: 0x0004,
  NIST_P521: 0x0005,
  BN_P256: 0x0010,
  BN_P638: 0x0011,
  SM2_P256: 0x0020,
} as const;
export const TPM_ECC_NAMES = reverse(TPM_ECC);

/** TPM_CC (Part 2 §6.5.2): command codes of the commands this client sends. */
export const TPM_CC = {
  EvictControl: 0x00000120,
  CreatePrimary: 0x00000131,
  PCR_Event: 0x0000013c,
  Startup: 0x00000144,
  Shutdown: 0x00000145,
  ActivateCredential: 0x00000147,
  Certify: 0x00000148,
  NV_Read: 0x0000014e,
  PolicySecret: 0x00000151,
  Create: 0x00000153,
  Load: 0x00000157,
  Quote: 0x00000158,
  ContextLoad: 0x00000161,
  ContextSave: 0x00000162,
  FlushContext: 0x00000165,
  MakeCredential: 0x00000168,
  NV_ReadPublic: 0x00000169,
  ReadPublic: 0x00000173,
  StartAuthSession: 0x00000176,
  GetCapability: 0x0000017a,
  GetRandom: 0x0000017b,
  PCR_Read: 0x0000017e,
  PCR_Extend: 0x00000182,
  PolicyGetDigest: 0x00000189,
} as const;
export const TPM_CC_NAMES = reverse(TPM_CC);

/** TPM_ST (Part 2 §6.9): structure tags. */
export const TPM_ST = {
  RSP_COMMAND: 0x00c4,
  NULL: 0x8000,
  NO_SESSIONS: 0x8001,
  SESSIONS: 0x8002,
  ATTEST_NV: 0x8014,
  ATTEST_COMMAND_AUDIT: 0x8015,
  ATTEST_SESSION_AUDIT: 0x8016,
  ATTEST_CERTIFY: 0x8017,
  ATTEST_QUOTE: 0x8018,
  ATTEST_TIME: 0x8019,
  ATTEST_CREATION: 0x801a,
  ATTEST_NV_DIGEST: 0x801c,
  CREATION: 0x8021,
  VERIFIED: 0x8022,
  AUTH_SECRET: 0x8023,
  HASHCHECK: 0x8024,
  AUTH_SIGNED: 0x8025,
} as const;
export const TPM_ST_NAMES = reverse(TPM_ST);

/** TPM_SU (Part 2 §6.10): Startup/Shutdown types. */
export const TPM_SU = { CLEAR: 0x0000, STATE: 0x0001 } as const;

/** TPM_SE (Part 2 §6.11): session types. */
export const TPM_SE = { HMAC: 0x00, POLICY: 0x01, TRIAL: 0x03 } as const;

/** TPM_CAP (Part 2 §6.12). */
export const TPM_CAP = {
  ALGS: 0x00000000,
  HANDLES: 0x00000001,
  COMMANDS: 0x00000002,
  PP_COMMANDS: 0x00000003,
  AUDIT_COMMANDS: 0x00000004,
  PCRS: 0x00000005,
  TPM_PROPERTIES: 0x00000006,
  PCR_PROPERTIES: 0x00000007,
  ECC_CURVES: 0x00000008,
} as const;
export const TPM_CAP_NAMES = reverse(TPM_CAP);

/** TPM_PT (Part 2 §6.13): fixed (PT_FIXED = 0x100) and variable (PT_VAR = 0x200) properties. */
export const TPM_PT = {
  FAMILY_INDICATOR: 0x100,
  LEVEL: 0x101,
  REVISION: 0x102,
  DAY_OF_YEAR: 0x103,
  YEAR: 0x104,
  MANUFACTURER: 0x105,
  VENDOR_STRING_1: 0x106,
  VENDOR_STRING_2: 0x107,
  VENDOR_STRING_3: 0x108,
  VENDOR_STRING_4: 0x109,
  VENDOR_TPM_TYPE: 0x10a,
  FIRMWARE_VERSION_1: 0x10b,
  FIRMWARE_VERSION_2: 0x10c,
  INPUT_BUFFER: 0x10d,
  HR_TRANSIENT_MIN: 0x10e,
  HR_PERSISTENT_MIN: 0x10f,
  HR_LOADED_MIN: 0x110,
  ACTIVE_SESSIONS_MAX: 0x111,
  PCR_COUNT: 0x112,
  PCR_SELECT_MIN: 0x113,
  CONTEXT_GAP_MAX: 0x114,
  NV_COUNTERS_MAX: 0x116,
  NV_INDEX_MAX: 0x117,
  MEMORY: 0x118,
  CLOCK_UPDATE: 0x119,
  CONTEXT_HASH: 0x11a,
  CONTEXT_SYM: 0x11b,
  CONTEXT_SYM_SIZE: 0x11c,
  ORDERLY_COUNT: 0x11d,
  MAX_COMMAND_SIZE: 0x11e,
  MAX_RESPONSE_SIZE: 0x11f,
  MAX_DIGEST: 0x120,
  MAX_OBJECT_CONTEXT: 0x121,
  MAX_SESSION_CONTEXT: 0x122,
  PS_FAMILY_INDICATOR: 0x123,
  PS_LEVEL: 0x124,
  PS_REVISION: 0x125,
  PS_DAY_OF_YEAR: 0x126,
  PS_YEAR: 0x127,
  SPLIT_MAX: 0x128,
  TOTAL_COMMANDS: 0x129,
  LIBRARY_COMMANDS: 0x12a,
  VENDOR_COMMANDS: 0x12b,
  NV_BUFFER_MAX: 0x12c,
  PERMANENT: 0x200,
  STARTUP_CLEAR: 0x201,
  HR_NV_INDEX: 0x202,
  HR_LOADED: 0x203,
  HR_LOADED_AVAIL: 0x204,
  HR_ACTIVE: 0x205,
  HR_ACTIVE_AVAIL: 0x206,
  HR_TRANSIENT_AVAIL: 0x207,
  HR_PERSISTENT: 0x208,
  HR_PERSISTENT_AVAIL: 0x209,
  NV_COUNTERS: 0x20a,
  NV_COUNTERS_AVAIL: 0x20b,
  ALGORITHM_SET: 0x20c,
  LOADED_CURVES: 0x20d,
  LOCKOUT_COUNTER: 0x20e,
  MAX_AUTH_FAIL: 0x20f,
  LOCKOUT_INTERVAL: 0x210,
  LOCKOUT_RECOVERY: 0x211,
  NV_WRITE_RECOVERY: 0x212,
  AUDIT_COUNTER_0: 0x213,
  AUDIT_COUNTER_1: 0x214,
} as const;
export const TPM_PT_NAMES = reverse(TPM_PT);

/** TPM_HT (Part 2 §7.2): the handle type in the top byte of a handle. */
export const TPM_HT = {
  PCR: 0x00,
  NV_INDEX: 0x01,
  HMAC_SESSION: 0x02,
  POLICY_SESSION: 0x03,
  PERMANENT: 0x40,
  TRANSIENT: 0x80,
  PERSISTENT: 0x81,
} as const;

/** TPM_RH / TPM_RS (Part 2 §7.4): permanent handles. */
export const TPM_RH = {
  OWNER: 0x40000001,
  NULL: 0x40000007,
  PW: 0x40000009,
  LOCKOUT: 0x4000000a,
  ENDORSEMENT: 0x4000000b,
  PLATFORM: 0x4000000c,
} as const;
/** TPM_RS_PW: the password authorization session (Part 2 §7.4). */
export const TPM_RS_PW = TPM_RH.PW;

/** First handle of each range, for GetCapability(TPM_CAP_HANDLES, …). */
export const HANDLE_RANGE = {
  NV_INDEX: 0x01000000,
  HMAC_SESSION: 0x02000000,
  POLICY_SESSION: 0x03000000,
  TRANSIENT: 0x80000000,
  PERSISTENT: 0x81000000,
} as const;

/** NV indices of the TCG EK Credential Profile 2.0 §2.2.1.4 (low range) and the high range of 2.3. */
export const EK_CERT_NV = {
  RSA_2048: 0x01c00002,
  ECC_NIST_P256: 0x01c0000a,
  RSA_2048_HIGH: 0x01c00012,
  ECC_NIST_P256_HIGH: 0x01c00014,
  ECC_NIST_P384_HIGH: 0x01c00016,
} as const;

/** Digest sizes in bytes of the hash algorithms a TPM may report. */
export const DIGEST_SIZE: ReadonlyMap<number, number> = new Map([
  [TPM_ALG.SHA1, 20],
  [TPM_ALG.SHA256, 32],
  [TPM_ALG.SHA384, 48],
  [TPM_ALG.SHA512, 64],
  [TPM_ALG.SM3_256, 32],
  [TPM_ALG.SHA3_256, 32],
  [TPM_ALG.SHA3_384, 48],
  [TPM_ALG.SHA3_512, 64],
]);

/** node:crypto names of the hash algorithms. */
export const HASH_NAME: ReadonlyMap<number, string> = new Map([
  [TPM_ALG.SHA1, 'sha1'],
  [TPM_ALG.SHA256, 'sha256'],
  [TPM_ALG.SHA384, 'sha384'],
  [TPM_ALG.SHA512, 'sha512'],
  [TPM_ALG.SHA3_256, 'sha3-256'],
  [TPM_ALG.SHA3_384, 'sha3-384'],
  [TPM_ALG.SHA3_512, 'sha3-512'],
]);

/** Hash algorithm names as tpm2-tools and logs write them ("sha256"), to TPM_ALG_ID. */
export const HASH_BY_NAME: ReadonlyMap<string, number> = new Map([...HASH_NAME].map(([k, v]) => [v, k]));
