/**
 * Authentication payload (RFC 7296 §3.8; method 14 = Digital Signature, RFC 7427).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Auth Method   |                RESERVED                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Authentication Data                      ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PayloadCodec } from './codec.ts';
import type { AuthPayload } from './types.ts';
import { PayloadType } from './types.ts';

export const auth: PayloadCodec<AuthPayload> = {
  name: 'AUTH',
  encode(p, w) {
    w.u8(p.method).zeros(3).bytes(p.data);
  },
  decode(r) {
    /** Auth Method (AuthMethod). */
    const method = r.u8('method');
    r.skip(3, 'reserved');
    return { type: PayloadType.AUTH, method, data: r.copy(r.remaining, 'data') };
  },
};
