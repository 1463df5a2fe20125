/**
 * Vendor ID payload (RFC 7296 §3.12).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        Vendor ID (VID)                        ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PayloadCodec } from './codec.ts';
import type { VendorPayload } from './types.ts';
import { PayloadType } from './types.ts';

export const vendor: PayloadCodec<VendorPayload> = {
  name: 'V',
  encode(p, w) {
    w.bytes(p.data);
  },
  decode(r) {
    return { type: PayloadType.VENDOR, data: r.copy(r.remaining, 'data') };
  },
};
