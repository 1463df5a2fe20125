/**
 * The privacy-CA role (TCG "Privacy CA" protocol, TPM 2.0 edition; as Keylime's registrar does): pure, no TPM I/O.
 *
 *   1. device → CA:  EK public (and certificate), AIK public
 *   2. CA → device:  MakeCredential(EK, Name(AIK), secret)            (challenge: credentialBlob, secret)
 *   3. device → CA:  ActivateCredential(AIK, EK) = secret              (proves the AIK lives in the EK's TPM)
 *   4. CA → device:  X.509 AIK certificate signed by the CA key
 */
import { timingSafeEqual } from 'node:crypto';
import type { webcrypto } from 'node:crypto';
import { x509 } from '../common/x509.ts';
import { toHex } from '../common/bytes.ts';
import { VerifyError } from '../common/errors.ts';
import { systemRng } from '../common/rng.ts';
import type { Rng } from '../common/rng.ts';
import { makeCredential } from './credential.ts';
import type { Credential } from './credential.ts';
import { keyId, objectName, spkiDer } from './keys.ts';
import { DIGEST_SIZE, TPM_ALG } from './types/constants.ts';
import type { TPMT_PUBLIC } from './types/public.ts';

/** TCG OID tcg-kp-AIKCertificate (2.23.133.8.3), the extended key usage of AIK certificates. */
export const TCG_KP_AIK_CERTIFICATE = '2.23.133.8.3';

/** What the CA keeps between the challenge and the answer. */
export interface ChallengeState {
  secret: Uint8Array;
  aikPublic: TPMT_PUBLIC;
  aikName: Uint8Array;
}

/** Refuses an AIK that is not a restricted, non-duplicable signing key. */
export function checkAikPublic(aik: TPMT_PUBLIC): void {
  const a = aik.objectAttributes;
  const missing = (['fixedTPM', 'fixedParent', 'sensitiveDataOrigin', 'restricted', 'sign'] as const).filter(
    (k) => !a[k],
  );
  if (missing.length) throw new VerifyError('AIK', `attributes lack ${missing.join(', ')}`);
  if (a.decrypt) throw new VerifyError('AIK', 'an AIK must not be a decryption key');
  if (aik.type !== TPM_ALG.RSA && aik.type !== TPM_ALG.ECC) throw new VerifyError('AIK', 'not an RSA or ECC key');
}

/** Step 2: the credential challenge for (EK, AIK). */
export function issueChallenge(
  ekPublic: TPMT_PUBLIC,
  aikPublic: TPMT_PUBLIC,
  rng: Rng = systemRng,
): { challenge: Credential; state: ChallengeState } {
  checkAikPublic(aikPublic);
  const secret = rng(Math.min(32, DIGEST_SIZE.get(ekPublic.nameAlg) ?? 32));
  const aikName = objectName(aikPublic);
  return { challenge: makeCredential(ekPublic, aikName, secret, rng), state: { secret, aikPublic, aikName } };
}

export interface CaIdentity {
  /** The CA's private signing key (WebCrypto: ECDSA or RSASSA-PKCS1-v1_5). */
  key: webcrypto.CryptoKey;
  /** The CA certificate (its subject becomes the issuer), or just an issuer name. */
  certificate?: x509.X509Certificate;
  name?: string;
}

export interface AikCertificateRequest {
  state: ChallengeState;
  /** The secret the device recovered with ActivateCredential. */
  response: Uint8Array;
  ca: CaIdentity;
  /** Subject DN, e.g. "CN=device-1". */
  subject: string;
  notBefore?: Date;
  notAfter?: Date;
  rng?: Rng;
}

/** Step 4: checks the answer and issues the AIK certificate (DER). */
export async function issueAikCertificate(req: AikCertificateRequest): Promise<{ der: Uint8Array; keyId: Uint8Array }> {
  const { state, response } = req;
  if (response.byteLength !== state.secret.byteLength || !timingSafeEqual(response, state.secret)) {
    throw new VerifyError('credential', 'the activated secret does not match the challenge');
  }
  const spki = spkiDer(state.aikPublic);
  const id = keyId(spki);
  const serial = (req.rng ?? systemRng)(16);
  serial[0]! &= 0x7f;
  serial[0]! |= 0x01;
  const notBefore = req.notBefore ?? new Date();
  const notAfter = req.notAfter ?? new Date(notBefore.getTime() + 365 * 86400_000);
  const issuer = req.ca.certificate?.subject ?? req.ca.name ?? 'CN=Attestd Privacy CA';
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([TCG_KP_AIK_CERTIFICATE]),
    new x509.SubjectKeyIdentifierExtension(toHex(id)),
  ];
  if (req.ca.certificate) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(req.ca.certificate));
  const alg = req.ca.key.algorithm;
  const signingAlgorithm = alg.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : alg;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: toHex(serial),
    subject: req.subject,
    issuer,
    notBefore,
    notAfter,
    publicKey: spki,
    signingKey: req.ca.key,
    signingAlgorithm,
    extensions,
  });
  return { der: new Uint8Array(cert.rawData), keyId: id };
}
