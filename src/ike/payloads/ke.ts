/**
 * Key Exchange payload (RFC 7296 §3.4; RFC 9370 reuses it for additional key exchanges).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Diffie-Hellman Group Num    |           RESERVED            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Key Exchange Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PayloadCodec } from './codec.ts';
import type { KePayload } from './types.ts';
import { PayloadType } from './types.ts';

export const ke: PayloadCodec<KePayload> = {
  name: 'KE',
  encode(p, w) {
    w.u16(p.group).u16(0).bytes(p.data);
  },
  decode(r) {
    /** Diffie-Hellman Group Num: the key exchange method (transform type 4 id). */
    const group = r.u16('group');
    r.skip(2, 'reserved');
    /** Key Exchange Data: public value or KEM encapsulation key / ciphertext. */
    return { type: PayloadType.KE, group, data: r.copy(r.remaining, 'data') };
  },
};
