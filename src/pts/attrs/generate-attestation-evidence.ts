/**
 * TCG PTS Generate Attestation Evidence (PTS IF-M Binding §3.14.2), vendor TCG, type 0x00200000: a request whose value is 32 reserved
 * bits (zero on send, ignored on receipt, as strongSwan does).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                            Reserved                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { Pen } from '../../tnc/pa/constants.ts';
import { TcgPtsAttr } from '../constants.ts';

export interface TcgPtsGenAttestEvid extends PaAttribute {
  readonly kind: 'tcg/pts-gen-attest-evid';
}

export const tcgPtsGenAttestEvid: PaAttributeCodec<TcgPtsGenAttestEvid> = {
  kind: 'tcg/pts-gen-attest-evid',
  vendor: Pen.TCG,
  type: TcgPtsAttr.GEN_ATTEST_EVID,
  name: 'Generate Attestation Evidence',
  encodeValue(w) {
    w.u32(0);
  },
  decodeValue(r) {
    r.skip(4, 'reserved');
    return {};
  },
};
