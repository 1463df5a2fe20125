/**
 * Certificate payload (RFC 7296 §3.6).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Cert Encoding |                                               |
 * +-+-+-+-+-+-+-+-+                                               |
 * ~                       Certificate Data                        ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PayloadCodec } from './codec.ts';
import type { CertPayload } from './types.ts';
import { PayloadType } from './types.ts';

export const cert: PayloadCodec<CertPayload> = {
  name: 'CERT',
  encode(p, w) {
    w.u8(p.encoding).bytes(p.data);
  },
  decode(r) {
    /** Cert Encoding (CertEncoding); X509_SIGNATURE (4) carries one DER certificate. */
    const encoding = r.u8('encoding');
    return { type: PayloadType.CERT, encoding, data: r.copy(r.remaining, 'data') };
  },
};
