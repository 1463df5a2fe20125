/**
 * IANA "Internet Key Exchange Version 2 (IKEv2) Parameters" transform ids (RFC 7296 §3.3.2, RFC 8247, RFC 9370,
 * draft-ietf-ipsecme-ikev2-mlkem) and one descriptor per algorithm we implement: key, salt, IV, ICV and block sizes
 * live in these tables, not in switches spread over the layer.
 *
 * Names follow strongSwan's `%N` tables (crypter.c, signer.c, prf.c, key_exchange.c) so that logs and `list-sas`
 * read the same on both sides.
 */
import { reverse } from '../common/names.ts';

/** Transform Type 1 — Encryption Algorithm (ENCR) ids. */
export const Encr = {
  NULL: 11,
  AES_CBC: 12,
  AES_CTR: 13,
  AES_CCM_8: 14,
  AES_CCM_12: 15,
  AES_CCM_16: 16,
  AES_GCM_8: 18,
  AES_GCM_12: 19,
  AES_GCM_16: 20,
  NULL_AES_GMAC: 21,
  CAMELLIA_CBC: 23,
  CHACHA20_POLY1305: 28,
} as const;
export const EncrNames = reverse(Encr);

/** Transform Type 2 — Pseudo-Random Function (PRF) ids. */
export const PrfId = {
  PRF_HMAC_MD5: 1,
  PRF_HMAC_SHA1: 2,
  PRF_AES128_XCBC: 4,
  PRF_HMAC_SHA2_256: 5,
  PRF_HMAC_SHA2_384: 6,
  PRF_HMAC_SHA2_512: 7,
  PRF_AES128_CMAC: 8,
} as const;
export const PrfIdNames = reverse(PrfId);

/** Transform Type 3 — Integrity Algorithm (INTEG) ids. */
export const Integ = {
  NONE: 0,
  HMAC_MD5_96: 1,
  HMAC_SHA1_96: 2,
  AES_XCBC_96: 5,
  AES_CMAC_96: 8,
  HMAC_SHA2_256_128: 12,
  HMAC_SHA2_384_192: 13,
  HMAC_SHA2_512_256: 14,
} as const;
export const IntegNames = reverse(Integ);

/** Transform Type 4 (and 6..12, RFC 9370) — Key Exchange Method ids. */
export const KeMethod = {
  NONE: 0,
  MODP_1024: 2,
  MODP_1536: 5,
  MODP_2048: 14,
  MODP_3072: 15,
  MODP_4096: 16,
  MODP_6144: 17,
  MODP_8192: 18,
  ECP_256: 19,
  ECP_384: 20,
  ECP_521: 21,
  CURVE_25519: 31,
  CURVE_448: 32,
  ML_KEM_512: 35,
  ML_KEM_768: 36,
  ML_KEM_1024: 37,
} as const;
export const KeMethodNames = reverse(KeMethod);

/** Transform Type 5 — Extended Sequence Numbers. */
export const Esn = { NO: 0, YES: 1 } as const;
export const EsnNames = reverse(Esn);

/** Transform attribute type Key Length (RFC 7296 §3.3.5), a TV attribute. */
export const KEY_LENGTH_ATTRIBUTE = 14;

// ---------------------------------------------------------------------------------------------------------------
// Descriptors of the algorithms this implementation supports.

export interface EncrDescriptor {
  readonly id: number;
  /** strongSwan's name, e.g. AES_GCM_16. */
  readonly name: string;
  readonly aead: boolean;
  /** Key lengths in bits this cipher accepts. */
  readonly keyLengths: readonly number[];
  /**
   * Whether the Key Length attribute is sent (AES: yes, RFC 7296 §3.3.5; ChaCha20-Poly1305: no, RFC 7634 §2 —
   * its key is always 256 bits).
   */
  readonly keyLengthAttribute: boolean;
  /** Salt taken from the key material after the key (RFC 5282 §7.1: 4 for GCM; RFC 7634 §2: 4 for ChaCha). */
  readonly saltSize: number;
  /** Explicit IV in each message (RFC 3602: 16 for CBC; RFC 5282/7634: 8). */
  readonly ivSize: number;
  /** AEAD tag size; 0 for classic ciphers (the ICV comes from INTEG then). */
  readonly icvSize: number;
  /** Padding granularity of IKE SK (RFC 7296 §3.14) and ESP (RFC 4303 §2.4) before the 4-byte alignment. */
  readonly blockSize: number;
  /** node:crypto cipher name for a key length in bits. */
  readonly cipher: (keyBits: number) => string;
}

export const ENCR: ReadonlyMap<number, EncrDescriptor> = new Map<number, EncrDescriptor>(
  (
    [
      {
        id: Encr.AES_CBC,
        name: 'AES_CBC',
        aead: false,
        keyLengths: [128, 192, 256],
        keyLengthAttribute: true,
        saltSize: 0,
        ivSize: 16,
        icvSize: 0,
        blockSize: 16,
        cipher: (bits) => `aes-${bits}-cbc`,
      },
      ...(
        [
          [Encr.AES_GCM_8, 'AES_GCM_8', 8],
          [Encr.AES_GCM_12, 'AES_GCM_12', 12],
          [Encr.AES_GCM_16, 'AES_GCM_16', 16],
        ] as const
      ).map(([id, name, icv]): EncrDescriptor => ({
        id,
        name,
        aead: true,
        keyLengths: [128, 192, 256],
        keyLengthAttribute: true,
        saltSize: 4,
        ivSize: 8,
        icvSize: icv,
        blockSize: 1,
        cipher: (bits) => `aes-${bits}-gcm`,
      })),
      {
        id: Encr.CHACHA20_POLY1305,
        name: 'CHACHA20_POLY1305',
        aead: true,
        keyLengths: [256],
        keyLengthAttribute: false,
        saltSize: 4,
        ivSize: 8,
        icvSize: 16,
        blockSize: 1,
        cipher: () => 'chacha20-poly1305',
      },
    ] satisfies EncrDescriptor[]
  ).map((d) => [d.id, d]),
);

export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export interface PrfDescriptor {
  readonly id: number;
  readonly name: string;
  readonly hash: HashName;
  /** Output size in bytes (also the preferred key size, RFC 7296 §2.13). */
  readonly size: number;
}

export const PRF: ReadonlyMap<number, PrfDescriptor> = new Map<number, PrfDescriptor>(
  (
    [
      { id: PrfId.PRF_HMAC_SHA1, name: 'PRF_HMAC_SHA1', hash: 'sha1', size: 20 },
      { id: PrfId.PRF_HMAC_SHA2_256, name: 'PRF_HMAC_SHA2_256', hash: 'sha256', size: 32 },
      { id: PrfId.PRF_HMAC_SHA2_384, name: 'PRF_HMAC_SHA2_384', hash: 'sha384', size: 48 },
      { id: PrfId.PRF_HMAC_SHA2_512, name: 'PRF_HMAC_SHA2_512', hash: 'sha512', size: 64 },
    ] satisfies PrfDescriptor[]
  ).map((d) => [d.id, d]),
);

export interface IntegDescriptor {
  readonly id: number;
  readonly name: string;
  readonly hash: HashName;
  /** Key size in bytes (RFC 4868 §2.1.1: the hash output size; RFC 2404: 20 for SHA-1). */
  readonly keySize: number;
  /** Truncated ICV size in bytes. */
  readonly icvSize: number;
}

export const INTEG: ReadonlyMap<number, IntegDescriptor> = new Map<number, IntegDescriptor>(
  (
    [
      { id: Integ.HMAC_SHA1_96, name: 'HMAC_SHA1_96', hash: 'sha1', keySize: 20, icvSize: 12 },
      { id: Integ.HMAC_SHA2_256_128, name: 'HMAC_SHA2_256_128', hash: 'sha256', keySize: 32, icvSize: 16 },
      { id: Integ.HMAC_SHA2_384_192, name: 'HMAC_SHA2_384_192', hash: 'sha384', keySize: 48, icvSize: 24 },
      { id: Integ.HMAC_SHA2_512_256, name: 'HMAC_SHA2_512_256', hash: 'sha512', keySize: 64, icvSize: 32 },
    ] satisfies IntegDescriptor[]
  ).map((d) => [d.id, d]),
);

export type KeKind = 'modp' | 'ecp' | 'ecx' | 'mlkem';

export interface KeDescriptor {
  readonly id: number;
  /** strongSwan's long name (ML_KEM_768) and proposal keyword (mlkem768). */
  readonly name: string;
  readonly keyword: string;
  readonly kind: KeKind;
  /** node name: DH group (modp14), EC curve (prime256v1), OKP type (x25519) or KEM (ml-kem-768). */
  readonly node: string;
  /** Length of the initiator's KE data (for a KEM: the encapsulation key). */
  readonly initiatorLength: number;
  /** Length of the responder's KE data (for a KEM: the ciphertext). */
  readonly responderLength: number;
  /** Private value size drawn from the injected rng (scalar, exponent or ML-KEM seed), bytes. */
  readonly privateSize: number;
}

export const KE: ReadonlyMap<number, KeDescriptor> = new Map<number, KeDescriptor>(
  (
    [
      // MODP (RFC 3526). Exponent sizes: at least twice the group's security strength (NIST SP 800-57).
      {
        id: KeMethod.MODP_2048,
        name: 'MODP_2048',
        keyword: 'modp2048',
        kind: 'modp',
        node: 'modp14',
        initiatorLength: 256,
        responderLength: 256,
        privateSize: 32,
      },
      {
        id: KeMethod.MODP_3072,
        name: 'MODP_3072',
        keyword: 'modp3072',
        kind: 'modp',
        node: 'modp15',
        initiatorLength: 384,
        responderLength: 384,
        privateSize: 40,
      },
      {
        id: KeMethod.MODP_4096,
        name: 'MODP_4096',
        keyword: 'modp4096',
        kind: 'modp',
        node: 'modp16',
        initiatorLength: 512,
        responderLength: 512,
        privateSize: 48,
      },
      // ECP (RFC 5903 §7: x ‖ y, no point-format octet).
      {
        id: KeMethod.ECP_256,
        name: 'ECP_256',
        keyword: 'ecp256',
        kind: 'ecp',
        node: 'prime256v1',
        initiatorLength: 64,
        responderLength: 64,
        privateSize: 32,
      },
      {
        id: KeMethod.ECP_384,
        name: 'ECP_384',
        keyword: 'ecp384',
        kind: 'ecp',
        node: 'secp384r1',
        initiatorLength: 96,
        responderLength: 96,
        privateSize: 48,
      },
      // RFC 8031 §2: raw u-coordinates.
      {
        id: KeMethod.CURVE_25519,
        name: 'CURVE_25519',
        keyword: 'curve25519',
        kind: 'ecx',
        node: 'x25519',
        initiatorLength: 32,
        responderLength: 32,
        privateSize: 32,
      },
      {
        id: KeMethod.CURVE_448,
        name: 'CURVE_448',
        keyword: 'curve448',
        kind: 'ecx',
        node: 'x448',
        initiatorLength: 56,
        responderLength: 56,
        privateSize: 56,
      },
      // FIPS 203 sizes: encapsulation key / ciphertext; the private value is the 64-byte (d ‖ z) seed.
      {
        id: KeMethod.ML_KEM_512,
        name: 'ML_KEM_512',
        keyword: 'mlkem512',
        kind: 'mlkem',
        node: 'ml-kem-512',
        initiatorLength: 800,
        responderLength: 768,
        privateSize: 64,
      },
      {
        id: KeMethod.ML_KEM_768,
        name: 'ML_KEM_768',
        keyword: 'mlkem768',
        kind: 'mlkem',
        node: 'ml-kem-768',
        initiatorLength: 1184,
        responderLength: 1088,
        privateSize: 64,
      },
      {
        id: KeMethod.ML_KEM_1024,
        name: 'ML_KEM_1024',
        keyword: 'mlkem1024',
        kind: 'mlkem',
        node: 'ml-kem-1024',
        initiatorLength: 1568,
        responderLength: 1568,
        privateSize: 64,
      },
    ] satisfies KeDescriptor[]
  ).map((d) => [d.id, d]),
);

/** True for the transform types that carry a key exchange method (KE and ADDKE1..7). */
export function isKeTransformType(type: number): boolean {
  return type === 4 || (type >= 6 && type <= 12);
}
