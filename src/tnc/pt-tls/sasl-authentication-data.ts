/**
 * PT-TLS SASL Authentication Data, RFC 6876 §3.8.6 (type 5, either direction): one opaque step of the selected
 * SASL mechanism.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Authentication Data (Variable Length)               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PtTlsValueCodec } from './codec.ts';
import { PtTlsType } from './constants.ts';

export interface SaslAuthenticationData {
  readonly kind: 'SaslAuthenticationData';
  data: Uint8Array;
}

export const saslAuthenticationDataCodec: PtTlsValueCodec<SaslAuthenticationData> = {
  type: PtTlsType.SASL_AUTHENTICATION_DATA,
  kind: 'SaslAuthenticationData',
  encode(w, v) {
    w.bytes(v.data);
  },
  decode(r) {
    return { kind: 'SaslAuthenticationData', data: r.copy(r.remaining, 'data') };
  },
};
