/**
 * Identification payloads IDi and IDr (RFC 7296 §3.5). The body (ID Type ‖ RESERVED ‖ data) is also what AUTH
 * signs as RestOfInitIDPayload / RestOfRespIDPayload (§2.15), hence `encodeIdBody`.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   ID Type     |                 RESERVED                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                   Identification Data                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { Writer } from '../../common/bytes.ts';
import type { PayloadCodec } from './codec.ts';
import type { IdPayload } from './types.ts';
import { PayloadType } from './types.ts';

export const id: PayloadCodec<IdPayload> = {
  name: 'ID',
  encode(p, w) {
    w.u8(p.idType).zeros(3).bytes(p.data);
  },
  decode(r, type) {
    /** ID Type (IdType). */
    const idType = r.u8('idType');
    r.skip(3, 'reserved');
    const t = type === PayloadType.IDr ? PayloadType.IDr : PayloadType.IDi;
    return { type: t, idType, data: r.copy(r.remaining, 'data') };
  },
};

/** The ID payload body (ID Type ‖ 3 RESERVED ‖ Identification Data), signed in AUTH (RFC 7296 §2.15). */
export function encodeIdBody(p: Pick<IdPayload, 'idType' | 'data'>): Uint8Array {
  const w = new Writer(4 + p.data.byteLength);
  w.u8(p.idType).zeros(3).bytes(p.data);
  return w.finish();
}
