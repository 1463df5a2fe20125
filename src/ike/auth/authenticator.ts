/**
 * Building and verifying AUTH payloads (RFC 7296 §2.15, RFC 7427, RFC 5998): shared keys, digital signatures with
 * certificates, and EAP MSK-based AUTH.
 */
import { ProtocolError, VerifyError } from '../../common/errors.ts';
import { ctEqual, pskAuth, signDigital, verifyDigital } from '../../crypto/index.ts';
import type { CredentialStore, Identity, LocalAuth, RemoteAuth } from '../config.ts';
import { AuthMethod, NotifyType, PayloadType, type AuthPayload } from '../payloads/types.ts';
import type { IkeSa, PeerAuthResult } from '../sa/ike-sa.ts';
import { certMatchesId, verifyChain } from './certs.ts';
import { signedOctets } from './octets.ts';

/** RFC 7427 hash algorithm ids. */
export const SigHash = { SHA1: 1, SHA2_256: 2, SHA2_384: 3, SHA2_512: 4, IDENTITY: 5 } as const;
export const ourSignatureHashes = [SigHash.SHA2_256, SigHash.SHA2_384, SigHash.SHA2_512, SigHash.IDENTITY];

const authFailed = (why: string, cause?: unknown) =>
  new ProtocolError(
    'IKE',
    NotifyType.AUTHENTICATION_FAILED,
    why,
    undefined,
    cause === undefined ? undefined : { cause },
  );

function hashFor(
  sa: IkeSa,
  round: Extract<LocalAuth, { method: 'pubkey' }>,
): 'sha256' | 'sha384' | 'sha512' | undefined {
  const type = round.key.asymmetricKeyType;
  if (type === 'ed25519' || type === 'ed448') return undefined;
  const peer = sa.peer.signatureHashes;
  const curve = round.key.asymmetricKeyDetails?.namedCurve;
  const wanted = curve === 'secp384r1' ? SigHash.SHA2_384 : curve === 'secp521r1' ? SigHash.SHA2_512 : SigHash.SHA2_256;
  const pick = peer.includes(wanted)
    ? wanted
    : (([SigHash.SHA2_256, SigHash.SHA2_384, SigHash.SHA2_512] as number[]).find((h) => peer.includes(h)) ?? wanted);
  return pick === SigHash.SHA2_384 ? 'sha384' : pick === SigHash.SHA2_512 ? 'sha512' : 'sha256';
}

/** Our AUTH payload for a local round. `secret` is the PSK or the EAP MSK. */
export function buildAuth(sa: IkeSa, round: LocalAuth, id: Identity, secret?: Uint8Array): AuthPayload {
  const octets = signedOctets(sa, sa.initiator, id);
  const prf = sa.prf!;
  switch (round.method) {
    case 'psk':
      if (!secret) throw authFailed('no pre-shared key for this identity pair');
      return { type: PayloadType.AUTH, method: AuthMethod.SHARED_KEY_MIC, data: pskAuth(prf, secret, octets) };
    case 'eap': {
      // RFC 7296 §2.16: with an MSK it keys the MAC; methods without one use SK_pi / SK_pr.
      const key = secret ?? (sa.initiator ? sa.skPi! : sa.skPr!);
      return { type: PayloadType.AUTH, method: AuthMethod.SHARED_KEY_MIC, data: pskAuth(prf, key, octets) };
    }
    case 'pubkey': {
      const hash = hashFor(sa, round);
      const data = signDigital(round.key, octets, hash ? { hash } : {});
      return { type: PayloadType.AUTH, method: AuthMethod.DIGITAL_SIGNATURE, data };
    }
  }
}

export interface VerifyInput {
  sa: IkeSa;
  required: RemoteAuth;
  auth: AuthPayload;
  peerId: Identity;
  /** CERT payload contents (DER), end entity first. */
  certs: Uint8Array[];
  store: CredentialStore;
  /** Our identity of this round (for PSK lookup). */
  localId: Identity;
  now: number;
  /** EAP MSK when verifying the AUTH after an EAP round. */
  msk?: Uint8Array | undefined;
  eap?: boolean;
}

/** Verifies the peer's AUTH; throws ProtocolError(AUTHENTICATION_FAILED) naming the reason. */
export function verifyAuth(v: VerifyInput): PeerAuthResult {
  const { sa, auth, peerId } = v;
  const octets = signedOctets(sa, !sa.initiator, peerId);
  if (v.eap) {
    const key = v.msk ?? (sa.initiator ? sa.skPr! : sa.skPi!);
    if (auth.method !== AuthMethod.SHARED_KEY_MIC || !ctEqual(auth.data, pskAuth(sa.prf!, key, octets))) {
      throw authFailed('EAP-based AUTH payload does not verify');
    }
    return { method: 'eap', id: peerId };
  }
  const method = v.required.method;
  if (auth.method === AuthMethod.SHARED_KEY_MIC) {
    if (method !== 'psk' && method !== 'any') throw authFailed(`peer used PSK but ${method} is required`);
    const psk = v.store.psk(v.localId, peerId);
    if (!psk) throw authFailed('no pre-shared key for the peer identity');
    if (!ctEqual(auth.data, pskAuth(sa.prf!, psk, octets))) throw authFailed('PSK AUTH payload does not verify');
    return { method: 'psk', id: peerId };
  }
  if (method !== 'pubkey' && method !== 'any') throw authFailed(`peer used a signature but ${method} is required`);
  const [ee, ...rest] = v.certs;
  if (!ee) throw authFailed('peer sent no certificate');
  const anchors = v.required.cacerts?.length ? v.required.cacerts : v.store.trustAnchors();
  let verified;
  try {
    verified = verifyChain(ee, [...rest, ...(v.store.intermediates?.() ?? [])], anchors, v.now);
  } catch (e) {
    throw authFailed(e instanceof Error ? e.message : String(e), e);
  }
  if (!certMatchesId(verified.cert, peerId))
    throw authFailed(`identity does not match certificate "${verified.subject}"`);
  if (auth.method !== AuthMethod.DIGITAL_SIGNATURE) {
    throw authFailed(`AUTH method ${auth.method} is not supported; RFC 7427 digital signatures are`);
  }
  try {
    verifyDigital(verified.publicKey, octets, auth.data);
  } catch (e) {
    if (e instanceof VerifyError) throw authFailed(e.message, e);
    throw e;
  }
  return { method: 'pubkey', id: peerId, certSubject: verified.subject };
}
