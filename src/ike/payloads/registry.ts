/**
 * Payload type → body codec (STYLE practice 2). SK and SKF are not here: they wrap other payloads and are handled
 * by the message codec. A type without an entry decodes to an UnknownPayload (see chain.ts).
 */
import type { PayloadCodec } from './codec.ts';
import { erase } from './codec.ts';
import { auth } from './auth.ts';
import { cert } from './cert.ts';
import { certreq } from './certreq.ts';
import { cp } from './cp.ts';
import { del } from './delete.ts';
import { eap } from './eap.ts';
import { id } from './id.ts';
import { ke } from './ke.ts';
import { nonce } from './nonce.ts';
import { notify } from './notify.ts';
import { sa } from './sa.ts';
import { ts } from './ts.ts';
import { PayloadType } from './types.ts';
import { vendor } from './vendor.ts';

export const payloadCodecs: ReadonlyMap<number, PayloadCodec> = new Map<number, PayloadCodec>([
  [PayloadType.SA, erase(sa)],
  [PayloadType.KE, erase(ke)],
  [PayloadType.IDi, erase(id)],
  [PayloadType.IDr, erase(id)],
  [PayloadType.CERT, erase(cert)],
  [PayloadType.CERTREQ, erase(certreq)],
  [PayloadType.AUTH, erase(auth)],
  [PayloadType.NONCE, erase(nonce)],
  [PayloadType.NOTIFY, erase(notify)],
  [PayloadType.DELETE, erase(del)],
  [PayloadType.VENDOR, erase(vendor)],
  [PayloadType.TSi, erase(ts)],
  [PayloadType.TSr, erase(ts)],
  [PayloadType.CP, erase(cp)],
  [PayloadType.EAP, erase(eap)],
]);
