/**
 * Key templates.
 *
 * - EK: TCG EK Credential Profile for TPM Family 2.0, Level 0, Version 2.5, §B.3.3 Template L-1 (RSA 2048) and
 *   §B.3.4 Template L-2 (ECC NIST P-256): fixedTPM | fixedParent | sensitiveDataOrigin | adminWithPolicy |
 *   restricted | decrypt (0x000300b2), authPolicy = PolicySecret(TPM_RH_ENDORSEMENT), AES-128-CFB for children,
 *   no scheme, and a unique field of zeros of the key size (256 bytes; 32 + 32 bytes).
 * - SRK: TCG TPM v2.0 Provisioning Guidance §7.5.1: fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth |
 *   noDA | restricted | decrypt (0x00030472), empty policy, AES-128-CFB, empty unique.
 * - AIK (attestation identity key): a restricted signing key, as tpm2_createak makes it: fixedTPM | fixedParent |
 *   sensitiveDataOrigin | userWithAuth | restricted | sign (0x00050072), ECDSA-SHA256 on P-256 or RSASSA-SHA256.
 */
import { fromHex } from '../common/bytes.ts';
import { TPM_ALG, TPM_ECC } from './types/constants.ts';
import { TPMA_OBJECT } from './types/public.ts';
import type { TPMT_PUBLIC } from './types/public.ts';

/** PolicySecret(TPM_RH_ENDORSEMENT) with SHA-256 (EK Credential Profile §B.3.2; recomputed in policy.test.ts). */
export const EK_AUTH_POLICY_SHA256 = fromHex('837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa');

const aes128cfb = { algorithm: TPM_ALG.AES, keyBits: 128, mode: TPM_ALG.CFB };
const noSym = { algorithm: TPM_ALG.NULL, keyBits: null, mode: null };
const noScheme = { scheme: TPM_ALG.NULL, details: null };

const ekAttributes = () =>
  TPMA_OBJECT.of('fixedTPM', 'fixedParent', 'sensitiveDataOrigin', 'adminWithPolicy', 'restricted', 'decrypt');

/** EK template L-1: RSA 2048. */
export function ekTemplateRsa2048(): TPMT_PUBLIC {
  return {
    type: TPM_ALG.RSA,
    nameAlg: TPM_ALG.SHA256,
    objectAttributes: ekAttributes(),
    authPolicy: EK_AUTH_POLICY_SHA256,
    parameters: { symmetric: aes128cfb, scheme: noScheme, keyBits: 2048, exponent: 0 },
    unique: new Uint8Array(256),
  };
}

/** EK template L-2: ECC NIST P-256. */
export function ekTemplateEccP256(): TPMT_PUBLIC {
  return {
    type: TPM_ALG.ECC,
    nameAlg: TPM_ALG.SHA256,
    objectAttributes: ekAttributes(),
    authPolicy: EK_AUTH_POLICY_SHA256,
    parameters: { symmetric: aes128cfb, scheme: noScheme, curveID: TPM_ECC.NIST_P256, kdf: noScheme },
    unique: { x: new Uint8Array(32), y: new Uint8Array(32) },
  };
}

const srkAttributes = () =>
  TPMA_OBJECT.of('fixedTPM', 'fixedParent', 'sensitiveDataOrigin', 'userWithAuth', 'noDA', 'restricted', 'decrypt');

/** SRK template, RSA 2048. */
export function srkTemplateRsa2048(): TPMT_PUBLIC {
  return {
    type: TPM_ALG.RSA,
    nameAlg: TPM_ALG.SHA256,
    objectAttributes: srkAttributes(),
    authPolicy: new Uint8Array(0),
    parameters: { symmetric: aes128cfb, scheme: noScheme, keyBits: 2048, exponent: 0 },
    unique: new Uint8Array(0),
  };
}

/** SRK template, ECC NIST P-256. */
export function srkTemplateEccP256(): TPMT_PUBLIC {
  return {
    type: TPM_ALG.ECC,
    nameAlg: TPM_ALG.SHA256,
    objectAttributes: srkAttributes(),
    authPolicy: new Uint8Array(0),
    parameters: { symmetric: aes128cfb, scheme: noScheme, curveID: TPM_ECC.NIST_P256, kdf: noScheme },
    unique: { x: new Uint8Array(0), y: new Uint8Array(0) },
  };
}

const aikAttributes = () =>
  TPMA_OBJECT.of('fixedTPM', 'fixedParent', 'sensitiveDataOrigin', 'userWithAuth', 'restricted', 'sign');

/** AIK template: ECC P-256, ECDSA with SHA-256 (the default). */
export function aikTemplateEccP256(): TPMT_PUBLIC {
  return {
    type: TPM_ALG.ECC,
    nameAlg: TPM_ALG.SHA256,
    objectAttributes: aikAttributes(),
    authPolicy: new Uint8Array(0),
    parameters: {
      symmetric: noSym,
      scheme: { scheme: TPM_ALG.ECDSA, details: { hashAlg: TPM_ALG.SHA256 } },
      curveID: TPM_ECC.NIST_P256,
      kdf: noScheme,
    },
    unique: { x: new Uint8Array(0), y: new Uint8Array(0) },
  };
}

/** AIK template: RSA 2048, RSASSA-PKCS1-v1_5 with SHA-256 (or RSA-PSS with `pss`). */
export function aikTemplateRsa2048(pss = false): TPMT_PUBLIC {
  return {
    type: TPM_ALG.RSA,
    nameAlg: TPM_ALG.SHA256,
    objectAttributes: aikAttributes(),
    authPolicy: new Uint8Array(0),
    parameters: {
      symmetric: noSym,
      scheme: { scheme: pss ? TPM_ALG.RSAPSS : TPM_ALG.RSASSA, details: { hashAlg: TPM_ALG.SHA256 } },
      keyBits: 2048,
      exponent: 0,
    },
    unique: new Uint8Array(0),
  };
}
