/**
 * TCG PTS Get Attestation Identity Key (PTS IF-M Binding §3.12), vendor TCG, type 0x0d000000: a request whose value is 32 reserved
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

export interface TcgPtsGetAik extends PaAttribute {
  readonly kind: 'tcg/pts-get-aik';
}

export const tcgPtsGetAik: PaAttributeCodec<TcgPtsGetAik> = {
  kind: 'tcg/pts-get-aik',
  vendor: Pen.TCG,
  type: TcgPtsAttr.GET_AIK,
  name: 'Get Attestation Identity Key',
  encodeValue(w) {
    w.u32(0);
  },
  decodeValue(r) {
    r.skip(4, 'reserved');
    return {};
  },
};
