/**
 * PB-Mutual-Capability (strongSwan tnccs_20/messages/ita/pb_mutual_capability_msg.c), ITA-HSR (PEN 0x00902a)
 * type 1, NOSKIP clear, at least 16 bytes. The transport client offers mutual PB-TNC in its first CDATA and the
 * server echoes it; 0x80000000 = half duplex (the only mode strongSwan runs), 0x40000000 = full duplex.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |H|F|                      Reserved                             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { Pen } from '../../pa/constants.ts';
import { PbItaMessageType } from '../constants.ts';
import type { PbMessageCodec } from './codec.ts';

export interface PbMutualCapability {
  readonly kind: 'mutual-capability';
  /** MutualProtocol bits. */
  protocols: number;
}

export const pbMutualCapability: PbMessageCodec<PbMutualCapability> = {
  kind: 'mutual-capability',
  vendor: Pen.ITA,
  type: PbItaMessageType.MUTUAL_CAPABILITY,
  name: 'PB-Mutual-Capability',
  noskip: false,
  minLength: 16,
  exact: false,
  resultOnly: false,
  encodeValue(w, m) {
    w.u32(m.protocols >>> 0);
  },
  decodeValue(r) {
    const protocols = r.u32('protocols');
    // strongSwan reads the first 32 bits and ignores anything after them.
    r.skip(r.remaining, 'extra');
    return { protocols };
  },
};
