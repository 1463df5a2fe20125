/**
 * PT-TLS SASL Mechanism Selection, RFC 6876 §3.8.5 (type 4, client → server): the chosen mechanism and, optionally,
 * its initial response (for PLAIN, RFC 4616: `authzid NUL authcid NUL passwd`).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Rsvd | Mech Len|     Mechanism Name (Variable Length)           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Optional Initial Mechanism Data (Variable Length)      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PtTlsValueCodec } from './codec.ts';
import { PtTlsType } from './constants.ts';
import { readSaslName, writeSaslName } from './sasl-name.ts';

export interface SaslMechanismSelection {
  readonly kind: 'SaslMechanismSelection';
  mechanism: string;
  /** Optional Initial Mechanism Data; empty when absent (the wire cannot tell "absent" from "empty"). */
  initialData: Uint8Array;
}

export const saslMechanismSelectionCodec: PtTlsValueCodec<SaslMechanismSelection> = {
  type: PtTlsType.SASL_MECHANISM_SELECTION,
  kind: 'SaslMechanismSelection',
  encode(w, v) {
    writeSaslName(w, v.mechanism);
    w.bytes(v.initialData);
  },
  decode(r) {
    const mechanism = readSaslName(r, 'mechanism');
    return { kind: 'SaslMechanismSelection', mechanism, initialData: r.copy(r.remaining, 'initialData') };
  },
};
