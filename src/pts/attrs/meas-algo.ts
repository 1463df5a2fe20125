/**
 * TCG PTS Measurement Algorithms (type 0x06000000) and Measurement Algorithm Selection (type 0x07000000)
 * (PTS IF-M Binding §3.9): the offered set, then the one selected.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            Reserved           |        Hash Algorithm Set     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Set bits: SHA-1 0x8000, SHA-256 0x4000, SHA-384 0x2000, SHA-512 0x1000.
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { Pen } from '../../tnc/pa/constants.ts';
import { TcgPtsAttr } from '../constants.ts';

export interface TcgPtsMeasAlgo extends PaAttribute {
  readonly kind: 'tcg/pts-meas-algo';
  algorithms: number;
}
export interface TcgPtsMeasAlgoSelection extends PaAttribute {
  readonly kind: 'tcg/pts-meas-algo-selection';
  algorithms: number;
}

export const tcgPtsMeasAlgo: PaAttributeCodec<TcgPtsMeasAlgo> = {
  kind: 'tcg/pts-meas-algo',
  vendor: Pen.TCG,
  type: TcgPtsAttr.MEAS_ALGO,
  name: 'PTS Measurement Algorithms',
  encodeValue(w, a) {
    w.u16(0).u16(a.algorithms);
  },
  decodeValue(r) {
    r.skip(2, 'reserved');
    return { algorithms: r.u16('algorithms') };
  },
};

export const tcgPtsMeasAlgoSelection: PaAttributeCodec<TcgPtsMeasAlgoSelection> = {
  kind: 'tcg/pts-meas-algo-selection',
  vendor: Pen.TCG,
  type: TcgPtsAttr.MEAS_ALGO_SELECTION,
  name: 'PTS Measurement Algorithm Selection',
  encodeValue(w, a) {
    w.u16(0).u16(a.algorithms);
  },
  decodeValue(r) {
    r.skip(2, 'reserved');
    return { algorithms: r.u16('algorithms') };
  },
};
