/**
 * TCG IF-M Segmentation: Next Segment (type 0x24), vendor TCG: the receiver asks for the next segment of a base
 * message, or (C flag) cancels the exchange.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |C|   Reserved  |               Base Message ID                 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PaAttribute, PaAttributeCodec } from '../attribute.ts';
import { Pen, TcgSegAttr } from '../constants.ts';

export const NEXT_SEG_FLAG_CANCEL = 0x80;

export interface TcgNextSegment extends PaAttribute {
  readonly kind: 'tcg/next-segment';
  cancel: boolean;
  baseMessageId: number;
}

export const tcgNextSegment: PaAttributeCodec<TcgNextSegment> = {
  kind: 'tcg/next-segment',
  vendor: Pen.TCG,
  type: TcgSegAttr.NEXT_SEGMENT,
  name: 'Next Segment',
  encodeValue(w, a) {
    w.u8(a.cancel ? NEXT_SEG_FLAG_CANCEL : 0).u24(a.baseMessageId);
  },
  decodeValue(r) {
    const flags = r.u8('flags');
    return { cancel: (flags & NEXT_SEG_FLAG_CANCEL) !== 0, baseMessageId: r.u24('baseMessageId') };
  },
};
