/**
 * TCG PTS D-H Nonce Parameters Request (PTS IF-M Binding §3.8.1), type 0x03000000.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Reserved   |   Min. Nonce  |       D-H Group Set           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Minimum nonce length in bytes (the responder refuses < 17); group bits IKE2 0x8000, IKE5 0x4000, IKE14 0x2000,
 * IKE19 0x1000, IKE20 0x0800.
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { Pen } from '../../tnc/pa/constants.ts';
import { TcgPtsAttr } from '../constants.ts';

export interface TcgPtsDhNonceParamsRequest extends PaAttribute {
  readonly kind: 'tcg/pts-dh-nonce-params-req';
  minNonceLength: number;
  dhGroups: number;
}

export const tcgPtsDhNonceParamsRequest: PaAttributeCodec<TcgPtsDhNonceParamsRequest> = {
  kind: 'tcg/pts-dh-nonce-params-req',
  vendor: Pen.TCG,
  type: TcgPtsAttr.DH_NONCE_PARAMS_REQ,
  name: 'D-H Nonce Parameters Request',
  encodeValue(w, a) {
    w.u8(0).u8(a.minNonceLength).u16(a.dhGroups);
  },
  decodeValue(r) {
    r.skip(1, 'reserved');
    return { minNonceLength: r.u8('minNonceLength'), dhGroups: r.u16('dhGroups') };
  },
};
