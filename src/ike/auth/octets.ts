/**
 * The octets signed or MACed by AUTH payloads (RFC 7296 §2.15):
 *   InitiatorSignedOctets = RealMessage1 | NonceRData | prf(SK_pi, RestOfInitIDPayload)
 *   ResponderSignedOctets = RealMessage2 | NonceIData | prf(SK_pr, RestOfRespIDPayload)
 * RestOfIDPayload is the ID payload body: ID type, three reserved bytes, identification data.
 */
import { concat, Writer } from '../../common/bytes.ts';
import type { Identity } from '../config.ts';
import type { IkeSa } from '../sa/ike-sa.ts';
import { StateError } from '../../common/errors.ts';

export function idBody(id: Identity): Uint8Array {
  return new Writer(4 + id.data.byteLength).u8(id.idType).zeros(3).bytes(id.data).finish();
}

/**
 * Signed octets for the side named by `forInitiator` (whose ID is `id`). Either side computes both: its own to sign,
 * the peer's to verify.
 */
export function signedOctets(sa: IkeSa, forInitiator: boolean, id: Identity): Uint8Array {
  if (!sa.prf || !sa.skPi || !sa.skPr) throw new StateError('IKE SA keys are not established');
  const message = forInitiator ? sa.initRequest : sa.initResponse;
  const nonce = forInitiator ? sa.nr : sa.ni;
  const key = forInitiator ? sa.skPi : sa.skPr;
  return concat(message, nonce, sa.prf.compute(key, idBody(id)));
}
