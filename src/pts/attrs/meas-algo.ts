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
import { TcgPtsAttr } from '../constants.ts';
import { flagWordCodec } from './flag-word.ts';

export interface TcgPtsMeasAlgo extends PaAttribute {
  readonly kind: 'tcg/pts-meas-algo';
  algorithms: number;
}
export interface TcgPtsMeasAlgoSelection extends PaAttribute {
  readonly kind: 'tcg/pts-meas-algo-selection';
  algorithms: number;
}

export const tcgPtsMeasAlgo: PaAttributeCodec<TcgPtsMeasAlgo> = flagWordCodec(
  'tcg/pts-meas-algo',
  TcgPtsAttr.MEAS_ALGO,
  'PTS Measurement Algorithms',
  'algorithms',
);

export const tcgPtsMeasAlgoSelection: PaAttributeCodec<TcgPtsMeasAlgoSelection> = flagWordCodec(
  'tcg/pts-meas-algo-selection',
  TcgPtsAttr.MEAS_ALGO_SELECTION,
  'PTS Measurement Algorithm Selection',
  'algorithms',
);
