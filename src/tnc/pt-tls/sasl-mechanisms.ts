/**
 * PT-TLS SASL Mechanisms, RFC 6876 §3.8.4 (type 3, server → client): the mechanisms the server offers, each as
 * Rsvd(3) + Mech Len(5) + name (see sasl-name.ts). An EMPTY list means client authentication is complete (or not
 * required) and the Data Transport phase begins.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Rsvd | Mech Len|        Mechanism Name (Variable Length)        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Rsvd | Mech Len|        Mechanism Name (Variable Length) ...    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PtTlsValueCodec } from './codec.ts';
import { PtTlsType } from './constants.ts';
import { readSaslName, writeSaslName } from './sasl-name.ts';

export interface SaslMechanisms {
  readonly kind: 'SaslMechanisms';
  /** Offered mechanism names; empty = authentication complete. */
  mechanisms: string[];
}

export const saslMechanismsCodec: PtTlsValueCodec<SaslMechanisms> = {
  type: PtTlsType.SASL_MECHANISMS,
  kind: 'SaslMechanisms',
  encode(w, v) {
    for (const m of v.mechanisms) writeSaslName(w, m);
  },
  decode(r) {
    const mechanisms: string[] = [];
    while (!r.done) mechanisms.push(readSaslName(r, `mechanism[${mechanisms.length}]`));
    return { kind: 'SaslMechanisms', mechanisms };
  },
};
