/**
 * Certificate Request payload (RFC 7296 §3.7). For X.509 the Certification Authority field is a concatenation of
 * 20-byte SHA-1 hashes of trusted CAs' SubjectPublicKeyInfo.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Cert Encoding |                                               |
 * +-+-+-+-+-+-+-+-+                                               |
 * ~                    Certification Authority                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PayloadCodec } from './codec.ts';
import type { CertReqPayload } from './types.ts';
import { PayloadType } from './types.ts';

export const certreq: PayloadCodec<CertReqPayload> = {
  name: 'CERTREQ',
  encode(p, w) {
    w.u8(p.encoding).bytes(p.data);
  },
  decode(r) {
    const encoding = r.u8('encoding');
    return { type: PayloadType.CERTREQ, encoding, data: r.copy(r.remaining, 'data') };
  },
};

/** Splits the Certification Authority field of an X.509 CERTREQ into its 20-byte SHA-1 key hashes. */
export function caKeyHashes(p: CertReqPayload): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o + 20 <= p.data.byteLength; o += 20) out.push(p.data.slice(o, o + 20));
  return out;
}
