/**
 * IKE AUTH payload data (RFC 7296 §2.15, §3.8; RFC 7427; RFC 4754; RFC 8420).
 *
 * - Shared key MIC: AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>).
 * - Digital Signature (method 14, RFC 7427 §3): AUTH data =
 *
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     | ASN.1 Length  | AlgorithmIdentifier ASN.1 object              |
 *     +-+-+-+-+-+-+-+-+                                               +
 *     ~        AlgorithmIdentifier ASN.1 object continuing            ~
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     ~                         Signature Value                       ~
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *   The AlgorithmIdentifiers are fixed DER blobs (RFC 7427 Appendix A, RFC 8420 §3 for EdDSA), kept as a table.
 *   ECDSA signatures are DER ECDSA-Sig-Value; EdDSA signs the octets themselves ("identity" hash, RFC 8420).
 * - Legacy methods: 1 RSA (PKCS#1 v1.5 over SHA-1, RFC 7296 §3.8), 9/10/11 ECDSA with SHA-256/384/512 on
 *   P-256/384/521 and the raw r ‖ s signature of RFC 4754 §7.
 */
import { createPublicKey, sign, verify, constants } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ConfigError, VerifyError } from '../common/errors.ts';
import { concat, fromHex, toHex, utf8 } from '../common/bytes.ts';
import { Reader } from '../common/bytes.ts';
import { reverse } from '../common/names.ts';
import { createPrf } from './prf.ts';
import type { Prf } from './types.ts';

const KEY_PAD = utf8('Key Pad for IKEv2');

/** Shared key message integrity code (RFC 7296 §2.15). Also the EAP AUTH with the MSK (or SK_p) as `psk`. */
export function pskAuth(prf: Prf | number, psk: Uint8Array, signedOctets: Uint8Array): Uint8Array {
  const p = typeof prf === 'number' ? createPrf(prf) : prf;
  const key = p.compute(psk, KEY_PAD);
  const out = p.compute(key, signedOctets);
  key.fill(0);
  return out;
}

/** Hash algorithm ids of N(SIGNATURE_HASH_ALGORITHMS) (RFC 7427 §4, IANA "IKEv2 Hash Algorithms"). */
export const SignatureHash = { SHA1: 1, SHA2_256: 2, SHA2_384: 3, SHA2_512: 4, IDENTITY: 5 } as const;
export const SignatureHashNames = reverse(SignatureHash);

/** What we announce in N(SIGNATURE_HASH_ALGORITHMS), in preference order (strongSwan announces the same set). */
export const signatureHashAlgorithms: readonly number[] = [
  SignatureHash.SHA2_256,
  SignatureHash.SHA2_384,
  SignatureHash.SHA2_512,
  SignatureHash.IDENTITY,
];

export type SignatureHashName = 'sha256' | 'sha384' | 'sha512';

/** Maps an RFC 7427 hash id to a hash name (undefined for SHA-1, identity or unknown). */
export function hashFromId(id: number): SignatureHashName | undefined {
  return id === 2 ? 'sha256' : id === 3 ? 'sha384' : id === 4 ? 'sha512' : undefined;
}

type Scheme = 'pkcs1' | 'pss' | 'ecdsa' | 'eddsa';

interface SignatureAlgorithm {
  name: string;
  scheme: Scheme;
  /** Hash for pkcs1/pss/ecdsa; null for EdDSA. */
  hash: SignatureHashName | null;
  keyTypes: readonly string[];
  /** DER AlgorithmIdentifier. */
  der: Uint8Array;
  /** Only accepted, never produced. */
  acceptOnly?: boolean;
}

const PSS_SALT: Record<SignatureHashName, number> = { sha256: 32, sha384: 48, sha512: 64 };

/**
 * RFC 7427 AlgorithmIdentifiers. Sources: RFC 7427 Appendix A.1 (sha*WithRSAEncryption, with NULL parameters),
 * A.3 (ecdsa-with-SHA*, no parameters), A.4 (RSASSA-PSS), RFC 8420 §3 (Ed25519/Ed448). The RSASSA-PSS blobs are the
 * ones strongSwan builds (signature_params.c; test_signature_params.c): hash = MGF1 hash, salt = hash length, no
 * trailerField (RFC 7427 erratum 5011); the original RFC 7427 A.4.3 form with trailerField 1 is accepted too.
 */
const ALGORITHMS: readonly SignatureAlgorithm[] = [
  {
    name: 'sha256WithRSAEncryption',
    scheme: 'pkcs1',
    hash: 'sha256',
    keyTypes: ['rsa'],
    der: fromHex('300d06092a864886f70d01010b0500'),
  },
  {
    name: 'sha384WithRSAEncryption',
    scheme: 'pkcs1',
    hash: 'sha384',
    keyTypes: ['rsa'],
    der: fromHex('300d06092a864886f70d01010c0500'),
  },
  {
    name: 'sha512WithRSAEncryption',
    scheme: 'pkcs1',
    hash: 'sha512',
    keyTypes: ['rsa'],
    der: fromHex('300d06092a864886f70d01010d0500'),
  },
  {
    name: 'RSASSA-PSS SHA-256',
    scheme: 'pss',
    hash: 'sha256',
    keyTypes: ['rsa', 'rsa-pss'],
    der: fromHex(
      '3041 06092a864886f70d01010a 3034 a00f 300d 0609608648016503040201 0500 a11c 301a 06092a864886f70d010108 300d 0609608648016503040201 0500 a203 020120',
    ),
  },
  {
    name: 'RSASSA-PSS SHA-384',
    scheme: 'pss',
    hash: 'sha384',
    keyTypes: ['rsa', 'rsa-pss'],
    der: fromHex(
      '3041 06092a864886f70d01010a 3034 a00f 300d 0609608648016503040202 0500 a11c 301a 06092a864886f70d010108 300d 0609608648016503040202 0500 a203 020130',
    ),
  },
  {
    name: 'RSASSA-PSS SHA-512',
    scheme: 'pss',
    hash: 'sha512',
    keyTypes: ['rsa', 'rsa-pss'],
    der: fromHex(
      '3041 06092a864886f70d01010a 3034 a00f 300d 0609608648016503040203 0500 a11c 301a 06092a864886f70d010108 300d 0609608648016503040203 0500 a203 020140',
    ),
  },
  {
    name: 'RSASSA-PSS SHA-256 (RFC 7427 A.4.3, with trailerField)',
    scheme: 'pss',
    hash: 'sha256',
    keyTypes: ['rsa', 'rsa-pss'],
    acceptOnly: true,
    der: fromHex(
      '3046 06092a864886f70d01010a 3039 a00f 300d 0609608648016503040201 0500 a11c 301a 06092a864886f70d010108 300d 0609608648016503040201 0500 a203 020120 a303 020101',
    ),
  },
  {
    name: 'ecdsa-with-SHA256',
    scheme: 'ecdsa',
    hash: 'sha256',
    keyTypes: ['ec'],
    der: fromHex('300a06082a8648ce3d040302'),
  },
  {
    name: 'ecdsa-with-SHA384',
    scheme: 'ecdsa',
    hash: 'sha384',
    keyTypes: ['ec'],
    der: fromHex('300a06082a8648ce3d040303'),
  },
  {
    name: 'ecdsa-with-SHA512',
    scheme: 'ecdsa',
    hash: 'sha512',
    keyTypes: ['ec'],
    der: fromHex('300a06082a8648ce3d040304'),
  },
  { name: 'Ed25519', scheme: 'eddsa', hash: null, keyTypes: ['ed25519'], der: fromHex('300506032b6570') },
  { name: 'Ed448', scheme: 'eddsa', hash: null, keyTypes: ['ed448'], der: fromHex('300506032b6571') },
];

const BY_DER: ReadonlyMap<string, SignatureAlgorithm> = new Map(ALGORITHMS.map((a) => [toHex(a.der), a]));

/** ECDSA hash by curve (strongSwan signs with the hash matching the key size). */
const CURVE_HASH: Record<string, SignatureHashName> = {
  prime256v1: 'sha256',
  secp384r1: 'sha384',
  secp521r1: 'sha512',
};

function keyType(key: KeyObject): string {
  return key.asymmetricKeyType ?? 'unknown';
}

function pick(scheme: Scheme, hash: SignatureHashName | null): SignatureAlgorithm {
  const a = ALGORITHMS.find((x) => x.scheme === scheme && x.hash === hash && !x.acceptOnly);
  if (!a) throw new ConfigError(`no RFC 7427 AlgorithmIdentifier for ${scheme}/${hash}`);
  return a;
}

function rawSign(a: SignatureAlgorithm, key: KeyObject, octets: Uint8Array): Uint8Array {
  switch (a.scheme) {
    case 'pkcs1':
      return sign(a.hash, octets, { key, padding: constants.RSA_PKCS1_PADDING });
    case 'pss':
      return sign(a.hash, octets, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: PSS_SALT[a.hash!] });
    case 'ecdsa':
      return sign(a.hash, octets, { key, dsaEncoding: 'der' });
    case 'eddsa':
      return sign(null, octets, key);
  }
}

function rawVerify(a: SignatureAlgorithm, key: KeyObject, octets: Uint8Array, sig: Uint8Array): boolean {
  switch (a.scheme) {
    case 'pkcs1':
      return verify(a.hash, octets, { key, padding: constants.RSA_PKCS1_PADDING }, sig);
    case 'pss':
      return verify(
        a.hash,
        octets,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: PSS_SALT[a.hash!] },
        sig,
      );
    case 'ecdsa':
      return verify(a.hash, octets, { key, dsaEncoding: 'der' }, sig);
    case 'eddsa':
      return verify(null, octets, key, sig);
  }
}

export interface SignOptions {
  /** RSA hash (default sha256). ECDSA always uses the hash matching its curve; EdDSA has none. */
  hash?: SignatureHashName;
  /** RSASSA-PSS instead of PKCS#1 v1.5 for an RSA key (always PSS for an rsa-pss key). */
  rsaPss?: boolean;
}

/** Signs `octets` and returns RFC 7427 AUTH data: len(1) ‖ AlgorithmIdentifier ‖ signature. */
export function signDigital(privateKey: KeyObject, octets: Uint8Array, opts: SignOptions = {}): Uint8Array {
  const type = keyType(privateKey);
  let a: SignatureAlgorithm;
  switch (type) {
    case 'rsa':
    case 'rsa-pss':
      a = pick(opts.rsaPss || type === 'rsa-pss' ? 'pss' : 'pkcs1', opts.hash ?? 'sha256');
      break;
    case 'ec': {
      const curve = privateKey.asymmetricKeyDetails?.namedCurve ?? '';
      const hash = CURVE_HASH[curve];
      if (!hash) throw new ConfigError(`ECDSA on curve ${curve || 'unknown'} is not supported`);
      a = pick('ecdsa', hash);
      break;
    }
    case 'ed25519':
    case 'ed448':
      a = ALGORITHMS.find((x) => x.keyTypes.includes(type))!;
      break;
    default:
      throw new ConfigError(`cannot sign IKE AUTH with a ${type} key`);
  }
  const sig = rawSign(a, privateKey, octets);
  return concat(Uint8Array.of(a.der.byteLength), a.der, sig);
}

/** The signature algorithm an AUTH data blob names, for logs ("ecdsa-with-SHA256"); undefined if unknown. */
export function digitalSignatureName(authData: Uint8Array): string | undefined {
  if (authData.byteLength < 1) return undefined;
  const r = new Reader(authData, 'auth');
  const len = r.u8('aidLength');
  if (len > r.remaining) return undefined;
  return BY_DER.get(toHex(r.bytes(len, 'algorithmIdentifier')))?.name;
}

/** Verifies RFC 7427 AUTH data; VerifyError naming the reason (unknown AlgorithmIdentifier, key mismatch, bad signature). */
export function verifyDigital(publicKey: KeyObject, octets: Uint8Array, authData: Uint8Array): void {
  const key = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  if (authData.byteLength < 2) throw new VerifyError('AUTH', 'digital signature AUTH data truncated');
  const r = new Reader(authData, 'auth');
  const len = r.u8('aidLength');
  if (len === 0 || len >= r.remaining) {
    throw new VerifyError('AUTH', `AlgorithmIdentifier length ${len} does not fit ${authData.byteLength} bytes`);
  }
  const der = r.bytes(len, 'algorithmIdentifier');
  const sig = r.rest('signature');
  const a = BY_DER.get(toHex(der));
  if (!a) throw new VerifyError('AUTH', `unknown signature AlgorithmIdentifier ${toHex(der)}`);
  const type = keyType(key);
  if (!a.keyTypes.includes(type)) throw new VerifyError('AUTH', `${a.name} signature does not fit a ${type} key`);
  let ok: boolean;
  try {
    ok = rawVerify(a, key, octets, sig);
  } catch (e) {
    throw new VerifyError('AUTH', `${a.name} signature malformed`, { cause: e });
  }
  if (!ok) throw new VerifyError('AUTH', `${a.name} signature does not verify`);
}

// ---------------------------------------------------------------------------------------------------------------
// Legacy AUTH methods

/** Authentication methods of RFC 7296 §3.8 / RFC 4754 §3 with a fixed signature scheme. */
export const LegacySignatureMethod = {
  RSA_DIGITAL_SIGNATURE: 1,
  ECDSA_SHA256_P256: 9,
  ECDSA_SHA384_P384: 10,
  ECDSA_SHA512_P521: 11,
} as const;
export const LegacySignatureMethodNames = reverse(LegacySignatureMethod);

const LEGACY: ReadonlyMap<number, { hash: string; keyType: string; curve?: string }> = new Map([
  [1, { hash: 'sha1', keyType: 'rsa' }],
  [9, { hash: 'sha256', keyType: 'ec', curve: 'prime256v1' }],
  [10, { hash: 'sha384', keyType: 'ec', curve: 'secp384r1' }],
  [11, { hash: 'sha512', keyType: 'ec', curve: 'secp521r1' }],
]);

function legacy(method: number, key: KeyObject) {
  const m = LEGACY.get(method);
  if (!m) throw new VerifyError('AUTH', `authentication method ${method} is not a legacy signature method`);
  const type = keyType(key);
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (type !== m.keyType || (m.curve && curve !== m.curve)) {
    throw new VerifyError('AUTH', `method ${method} needs a ${m.curve ?? m.keyType} key, got ${curve ?? type}`);
  }
  return m;
}

/** Signs for legacy AUTH methods 1, 9, 10, 11 (ECDSA as raw r ‖ s, RFC 4754 §7). */
export function signLegacy(method: number, privateKey: KeyObject, octets: Uint8Array): Uint8Array {
  const m = legacy(method, privateKey);
  return m.keyType === 'rsa'
    ? sign(m.hash, octets, { key: privateKey, padding: constants.RSA_PKCS1_PADDING })
    : sign(m.hash, octets, { key: privateKey, dsaEncoding: 'ieee-p1363' });
}

/** Verifies legacy AUTH methods 1, 9, 10, 11; VerifyError on any mismatch. */
export function verifyLegacy(method: number, publicKey: KeyObject, octets: Uint8Array, authData: Uint8Array): void {
  const key = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  const m = legacy(method, key);
  let ok: boolean;
  try {
    ok =
      m.keyType === 'rsa'
        ? verify(m.hash, octets, { key, padding: constants.RSA_PKCS1_PADDING }, authData)
        : verify(m.hash, octets, { key, dsaEncoding: 'ieee-p1363' }, authData);
  } catch (e) {
    throw new VerifyError('AUTH', `method ${method} signature malformed`, { cause: e });
  }
  if (!ok) throw new VerifyError('AUTH', `method ${method} signature does not verify`);
}
