/**
 * Public areas of TPM 2.0 objects (TPM 2.0 Part 2, Rev 1.59, chapters 8, 11 and 12).
 *
 *   TPMT_PUBLIC (§12.2.4)
 *     TPMI_ALG_PUBLIC    type                 RSA | ECC | KEYEDHASH | SYMCIPHER
 *     TPMI_ALG_HASH      nameAlg              hash of the object's Name
 *     TPMA_OBJECT        objectAttributes     u32 bit field (§8.3)
 *     TPM2B_DIGEST       authPolicy
 *     TPMU_PUBLIC_PARMS  parameters[type]     TPMS_RSA_PARMS | TPMS_ECC_PARMS | …
 *     TPMU_PUBLIC_ID     unique[type]         RSA modulus | ECC point | digest
 *   TPM2B_PUBLIC (§12.2.5) = u16 size ‖ TPMT_PUBLIC
 */
import { bits, empty, sized, struct, tpm2b, u16, u32, union } from '../marshal.ts';
import type { Infer } from '../marshal.ts';
import {
  TPM2B_AUTH,
  TPM2B_DATA,
  TPM2B_DIGEST,
  TPM2B_NAME,
  TPM_ALG_ID,
  TPM_HANDLE,
  TPML_PCR_SELECTION,
} from './basic.ts';
import { TPM_ALG } from './constants.ts';

/** TPMA_OBJECT (§8.3.2). */
export const TPMA_OBJECT = bits('TPMA_OBJECT', 32, {
  fixedTPM: 1,
  stClear: 2,
  fixedParent: 4,
  sensitiveDataOrigin: 5,
  userWithAuth: 6,
  adminWithPolicy: 7,
  noDA: 10,
  encryptedDuplication: 11,
  restricted: 16,
  decrypt: 17,
  sign: 18,
  x509sign: 19,
});
export type TPMA_OBJECT = Infer<typeof TPMA_OBJECT>;

const blockCipher = { [TPM_ALG.AES]: u16, [TPM_ALG.SM4]: u16, [TPM_ALG.CAMELLIA]: u16 };

/** TPMT_SYM_DEF_OBJECT (§11.1.7) and TPMT_SYM_DEF (§11.1.6): algorithm ‖ keyBits[algorithm] ‖ mode[algorithm]. */
function symDef(name: string) {
  return struct(name, {
    /** TPMI_ALG_SYM_OBJECT, or TPM_ALG_NULL. */
    algorithm: TPM_ALG_ID,
    /** TPMU_SYM_KEY_BITS: key size in bits (for XOR: the hash algorithm). */
    keyBits: union('TPMU_SYM_KEY_BITS', 'algorithm', { ...blockCipher, [TPM_ALG.XOR]: u16, [TPM_ALG.NULL]: empty }),
    /** TPMU_SYM_MODE: TPM_ALG_CFB for storage keys. */
    mode: union('TPMU_SYM_MODE', 'algorithm', { ...blockCipher, [TPM_ALG.XOR]: empty, [TPM_ALG.NULL]: empty }),
  });
}
export const TPMT_SYM_DEF_OBJECT = symDef('TPMT_SYM_DEF_OBJECT');
export type TPMT_SYM_DEF_OBJECT = Infer<typeof TPMT_SYM_DEF_OBJECT>;
export const TPMT_SYM_DEF = symDef('TPMT_SYM_DEF');
export type TPMT_SYM_DEF = Infer<typeof TPMT_SYM_DEF>;

/** TPMS_SCHEME_HASH (§11.1.17). */
export const TPMS_SCHEME_HASH = struct('TPMS_SCHEME_HASH', { hashAlg: TPM_ALG_ID });
/** TPMS_SCHEME_ECDAA (§11.2.3.4). */
export const TPMS_SCHEME_ECDAA = struct('TPMS_SCHEME_ECDAA', { hashAlg: TPM_ALG_ID, count: u16 });

/** TPMU_ASYM_SCHEME (§11.2.3.5) arms shared by the RSA, ECC and signature scheme types. */
const asymSchemes = {
  [TPM_ALG.RSASSA]: TPMS_SCHEME_HASH,
  [TPM_ALG.RSAPSS]: TPMS_SCHEME_HASH,
  [TPM_ALG.OAEP]: TPMS_SCHEME_HASH,
  [TPM_ALG.ECDSA]: TPMS_SCHEME_HASH,
  [TPM_ALG.ECDH]: TPMS_SCHEME_HASH,
  [TPM_ALG.SM2]: TPMS_SCHEME_HASH,
  [TPM_ALG.ECSCHNORR]: TPMS_SCHEME_HASH,
  [TPM_ALG.ECMQV]: TPMS_SCHEME_HASH,
  [TPM_ALG.HMAC]: TPMS_SCHEME_HASH,
  [TPM_ALG.ECDAA]: TPMS_SCHEME_ECDAA,
  [TPM_ALG.RSAES]: empty,
  [TPM_ALG.NULL]: empty,
};

function scheme(name: string) {
  return struct(name, {
    /** The scheme algorithm, or TPM_ALG_NULL. */
    scheme: TPM_ALG_ID,
    /** TPMU_ASYM_SCHEME / TPMU_SIG_SCHEME: the scheme's hash (and count for ECDAA). */
    details: union('TPMU_ASYM_SCHEME', 'scheme', asymSchemes),
  });
}
/** TPMT_RSA_SCHEME (§11.2.4.2). */
export const TPMT_RSA_SCHEME = scheme('TPMT_RSA_SCHEME');
/** TPMT_ECC_SCHEME (§11.2.5.6). */
export const TPMT_ECC_SCHEME = scheme('TPMT_ECC_SCHEME');
/** TPMT_SIG_SCHEME (§11.2.1.5). */
export const TPMT_SIG_SCHEME = scheme('TPMT_SIG_SCHEME');
export type TPMT_SIG_SCHEME = Infer<typeof TPMT_SIG_SCHEME>;

/** TPMT_KDF_SCHEME (§11.2.3.3). */
export const TPMT_KDF_SCHEME = struct('TPMT_KDF_SCHEME', {
  scheme: TPM_ALG_ID,
  details: union('TPMU_KDF_SCHEME', 'scheme', {
    [TPM_ALG.MGF1]: TPMS_SCHEME_HASH,
    [TPM_ALG.KDF1_SP800_56A]: TPMS_SCHEME_HASH,
    [TPM_ALG.KDF2]: TPMS_SCHEME_HASH,
    [TPM_ALG.KDF1_SP800_108]: TPMS_SCHEME_HASH,
    [TPM_ALG.NULL]: empty,
  }),
});

/** TPMT_KEYEDHASH_SCHEME (§11.1.23). */
export const TPMT_KEYEDHASH_SCHEME = struct('TPMT_KEYEDHASH_SCHEME', {
  scheme: TPM_ALG_ID,
  details: union('TPMU_SCHEME_KEYEDHASH', 'scheme', {
    [TPM_ALG.HMAC]: TPMS_SCHEME_HASH,
    [TPM_ALG.XOR]: struct('TPMS_SCHEME_XOR', { hashAlg: TPM_ALG_ID, kdf: TPM_ALG_ID }),
    [TPM_ALG.NULL]: empty,
  }),
});

/** TPMS_RSA_PARMS (§12.2.3.5). */
export const TPMS_RSA_PARMS = struct('TPMS_RSA_PARMS', {
  /** For a restricted decryption key: the symmetric algorithm of its children; TPM_ALG_NULL otherwise. */
  symmetric: TPMT_SYM_DEF_OBJECT,
  scheme: TPMT_RSA_SCHEME,
  keyBits: u16,
  /** 0 means the default 65537. */
  exponent: u32,
});
export type TPMS_RSA_PARMS = Infer<typeof TPMS_RSA_PARMS>;

/** TPMS_ECC_PARMS (§12.2.3.6). */
export const TPMS_ECC_PARMS = struct('TPMS_ECC_PARMS', {
  symmetric: TPMT_SYM_DEF_OBJECT,
  scheme: TPMT_ECC_SCHEME,
  curveID: u16,
  kdf: TPMT_KDF_SCHEME,
});
export type TPMS_ECC_PARMS = Infer<typeof TPMS_ECC_PARMS>;

/** TPMS_KEYEDHASH_PARMS (§12.2.3.3). */
export const TPMS_KEYEDHASH_PARMS = struct('TPMS_KEYEDHASH_PARMS', { scheme: TPMT_KEYEDHASH_SCHEME });
/** TPMS_SYMCIPHER_PARMS (§12.2.3.1). */
export const TPMS_SYMCIPHER_PARMS = struct('TPMS_SYMCIPHER_PARMS', { sym: TPMT_SYM_DEF_OBJECT });

/** TPM2B_PUBLIC_KEY_RSA (§11.2.4.5): MAX_RSA_KEY_BYTES = 512. */
export const TPM2B_PUBLIC_KEY_RSA = tpm2b('TPM2B_PUBLIC_KEY_RSA', 512);
/** TPM2B_ECC_PARAMETER (§11.2.5.1): MAX_ECC_KEY_BYTES = 128 (we allow up to 128 for large curves). */
export const TPM2B_ECC_PARAMETER = tpm2b('TPM2B_ECC_PARAMETER', 128);
/** TPMS_ECC_POINT (§11.2.5.2). */
export const TPMS_ECC_POINT = struct('TPMS_ECC_POINT', { x: TPM2B_ECC_PARAMETER, y: TPM2B_ECC_PARAMETER });
export type TPMS_ECC_POINT = Infer<typeof TPMS_ECC_POINT>;
/** TPM2B_ECC_POINT (§11.2.5.3). */
export const TPM2B_ECC_POINT = sized('TPM2B_ECC_POINT', TPMS_ECC_POINT);

/** TPMT_PUBLIC (§12.2.4). */
export const TPMT_PUBLIC = struct('TPMT_PUBLIC', {
  /** TPMI_ALG_PUBLIC: selects `parameters` and `unique`. */
  type: TPM_ALG_ID,
  /** Hash algorithm of the Name (name = nameAlg ‖ H(TPMT_PUBLIC)). */
  nameAlg: TPM_ALG_ID,
  objectAttributes: TPMA_OBJECT,
  /** Policy that authorizes use of the object, or empty. */
  authPolicy: TPM2B_DIGEST,
  /** TPMU_PUBLIC_PARMS (§12.2.3.7). */
  parameters: union('TPMU_PUBLIC_PARMS', 'type', {
    [TPM_ALG.RSA]: TPMS_RSA_PARMS,
    [TPM_ALG.ECC]: TPMS_ECC_PARMS,
    [TPM_ALG.KEYEDHASH]: TPMS_KEYEDHASH_PARMS,
    [TPM_ALG.SYMCIPHER]: TPMS_SYMCIPHER_PARMS,
  }),
  /** TPMU_PUBLIC_ID (§12.2.3.2): the public key, or for templates of derived keys the unique seed. */
  unique: union('TPMU_PUBLIC_ID', 'type', {
    [TPM_ALG.RSA]: TPM2B_PUBLIC_KEY_RSA,
    [TPM_ALG.ECC]: TPMS_ECC_POINT,
    [TPM_ALG.KEYEDHASH]: TPM2B_DIGEST,
    [TPM_ALG.SYMCIPHER]: TPM2B_DIGEST,
  }),
});
export type TPMT_PUBLIC = Infer<typeof TPMT_PUBLIC>;

/** TPM2B_PUBLIC (§12.2.5). */
export const TPM2B_PUBLIC = sized('TPM2B_PUBLIC', TPMT_PUBLIC);

/** Narrowing helpers for the union members, which the inferred type cannot discriminate by `type`. */
export function rsaParms(p: TPMT_PUBLIC): TPMS_RSA_PARMS | undefined {
  return p.type === TPM_ALG.RSA ? (p.parameters as TPMS_RSA_PARMS) : undefined;
}
export function eccParms(p: TPMT_PUBLIC): TPMS_ECC_PARMS | undefined {
  return p.type === TPM_ALG.ECC ? (p.parameters as TPMS_ECC_PARMS) : undefined;
}
export function rsaModulus(p: TPMT_PUBLIC): Uint8Array | undefined {
  return p.type === TPM_ALG.RSA ? (p.unique as Uint8Array) : undefined;
}
export function eccPoint(p: TPMT_PUBLIC): TPMS_ECC_POINT | undefined {
  return p.type === TPM_ALG.ECC ? (p.unique as TPMS_ECC_POINT) : undefined;
}

/** TPM2B_SENSITIVE_DATA (§11.1.14): at most 256 bytes here (MAX_SYM_DATA = 128 on most TPMs). */
export const TPM2B_SENSITIVE_DATA = tpm2b('TPM2B_SENSITIVE_DATA', 256);
/** TPMS_SENSITIVE_CREATE (§11.1.15). */
export const TPMS_SENSITIVE_CREATE = struct('TPMS_SENSITIVE_CREATE', {
  userAuth: TPM2B_AUTH,
  data: TPM2B_SENSITIVE_DATA,
});
/** TPM2B_SENSITIVE_CREATE (§11.1.16). */
export const TPM2B_SENSITIVE_CREATE = sized('TPM2B_SENSITIVE_CREATE', TPMS_SENSITIVE_CREATE);

/** TPM2B_PRIVATE (§12.3.7): the wrapped private area, opaque to us. */
export const TPM2B_PRIVATE = tpm2b('TPM2B_PRIVATE', 2048);
/** TPM2B_ID_OBJECT (§12.4.3): integrityHMAC (TPM2B_DIGEST) ‖ encIdentity. */
export const TPM2B_ID_OBJECT = tpm2b('TPM2B_ID_OBJECT', 512);
/** TPM2B_ENCRYPTED_SECRET (§11.4.33): RSA-OAEP ciphertext or a marshaled TPMS_ECC_POINT. */
export const TPM2B_ENCRYPTED_SECRET = tpm2b('TPM2B_ENCRYPTED_SECRET', 512);

/** TPMS_CREATION_DATA (§15.1). */
export const TPMS_CREATION_DATA = struct('TPMS_CREATION_DATA', {
  pcrSelect: TPML_PCR_SELECTION,
  pcrDigest: TPM2B_DIGEST,
  /** TPMA_LOCALITY. */
  locality: bits('TPMA_LOCALITY', 8, {
    TPM_LOC_ZERO: 0,
    TPM_LOC_ONE: 1,
    TPM_LOC_TWO: 2,
    TPM_LOC_THREE: 3,
    TPM_LOC_FOUR: 4,
  }),
  parentNameAlg: TPM_ALG_ID,
  parentName: TPM2B_NAME,
  parentQualifiedName: TPM2B_NAME,
  outsideInfo: TPM2B_DATA,
});
/** TPM2B_CREATION_DATA (§15.2). */
export const TPM2B_CREATION_DATA = sized('TPM2B_CREATION_DATA', TPMS_CREATION_DATA);

/** TPMT_TK_CREATION (§10.7.3). */
export const TPMT_TK_CREATION = struct('TPMT_TK_CREATION', {
  tag: u16,
  hierarchy: TPM_HANDLE,
  digest: TPM2B_DIGEST,
});
