/**
 * Nonce payload (RFC 7296 §3.9). The nonce MUST be between 16 and 256 octets (§2.10).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                            Nonce Data                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PayloadCodec } from './codec.ts';
import type { NoncePayload } from './types.ts';
import { PayloadType } from './types.ts';

export const NONCE_MIN = 16;
export const NONCE_MAX = 256;

export const nonce: PayloadCodec<NoncePayload> = {
  name: 'NONCE',
  encode(p, w) {
    w.bytes(p.data);
  },
  decode(r) {
    if (r.remaining < NONCE_MIN || r.remaining > NONCE_MAX) {
      r.fail('data', `nonce of ${r.remaining} bytes is outside ${NONCE_MIN}..${NONCE_MAX}`);
    }
    return { type: PayloadType.NONCE, data: r.copy(r.remaining, 'data') };
  },
};
