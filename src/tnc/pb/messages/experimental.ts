/**
 * PB-Experimental (RFC 5793 §4.4), IETF type 0: arbitrary content for experiments. strongSwan rejects it with
 * NOSKIP set ("unsupported mandatory message") and ignores it otherwise.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  Message Value (Variable Length)              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { Pen } from '../../pa/constants.ts';
import { PbMessageType } from '../constants.ts';
import type { PbMessageCodec } from './codec.ts';

export interface PbExperimental {
  readonly kind: 'experimental';
  noskip?: boolean;
  value: Uint8Array;
}

export const pbExperimental: PbMessageCodec<PbExperimental> = {
  kind: 'experimental',
  vendor: Pen.IETF,
  type: PbMessageType.EXPERIMENTAL,
  name: 'PB-Experimental',
  noskip: 'either',
  minLength: 12,
  exact: false,
  resultOnly: false,
  encodeValue(w, m) {
    w.bytes(m.value);
  },
  decodeValue(r) {
    return { value: r.copy(r.remaining, 'value') };
  },
};
