/**
 * PT-TLS SASL Result, RFC 6876 §3.8.7 (type 6, server → client): the outcome of one SASL mechanism.
 *
 * RFC form:
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Result Code           |  Optional Result Data ...     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * strongSwan (libpttls pt_tls_server.c, pt_tls_client.c) writes and reads the result code as ONE octet, followed
 * by the optional data. Its client reads only the first octet as the code, so the RFC encoding of any code
 * (0x00 0x0N) reads there as 0 = Success: to a strongSwan client a failure must be sent in the one-octet form.
 * Decoding accepts both: a one-octet value is strongSwan's form; two octets or more are the RFC form. (strongSwan's
 * one-octet code followed by result data cannot be told apart from the RFC form; PLAIN never sends result data.)
 */
import type { PtTlsValueCodec } from './codec.ts';
import { PtTlsType } from './constants.ts';

export type SaslResultForm = 'rfc6876' | 'octet';

export interface SaslResultMessage {
  readonly kind: 'SaslResult';
  /** Result Code: a SaslResult value. */
  result: number;
  /** Optional Result Data (always empty in the one-octet form). */
  data: Uint8Array;
  /** Wire form: RFC 16-bit code, or strongSwan's one octet. */
  form: SaslResultForm;
}

export const saslResultCodec: PtTlsValueCodec<SaslResultMessage> = {
  type: PtTlsType.SASL_RESULT,
  kind: 'SaslResult',
  encode(w, v) {
    if (v.form === 'octet') {
      if (v.data.byteLength) w.u8(v.result).bytes(v.data);
      else w.u8(v.result);
    } else {
      w.u16(v.result).bytes(v.data);
    }
  },
  decode(r) {
    if (r.remaining === 1)
      return { kind: 'SaslResult', result: r.u8('result'), data: new Uint8Array(0), form: 'octet' };
    const result = r.u16('result');
    return { kind: 'SaslResult', result, data: r.copy(r.remaining, 'data'), form: 'rfc6876' };
  },
};
