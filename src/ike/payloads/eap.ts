/**
 * Extensible Authentication payload (RFC 7296 §3.16). The body is one whole EAP message (RFC 3748 §4), whose own
 * Length field must equal the body length; the EAP layer parses the rest.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       EAP Message                             ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * EAP Message (RFC 3748 §4): Code(1) Identifier(1) Length(2) [Type(1) Type-Data...].
 */
import { Reader } from '../../common/bytes.ts';
import type { PayloadCodec } from './codec.ts';
import type { EapPayload } from './types.ts';
import { PayloadType } from './types.ts';

export const eap: PayloadCodec<EapPayload> = {
  name: 'EAP',
  encode(p, w) {
    w.bytes(p.data);
  },
  decode(r) {
    const data = r.copy(r.remaining, 'message');
    const h = new Reader(data, `${r.path}.message`, r.base);
    h.skip(2, 'codeId');
    const len = h.u16('length');
    if (len !== data.byteLength) h.fail('length', `EAP length ${len} != payload body ${data.byteLength}`, 2);
    return { type: PayloadType.EAP, data };
  },
};
