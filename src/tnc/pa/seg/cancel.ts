/**
 * TCG IF-M Segmentation: Cancel (type 0x25), vendor TCG: the sender of a segmented attribute abandons it.
 * strongSwan 6.0.6 names the type (TCG_SEG_CANCEL) but implements no codec for it; we use the Next Segment layout
 * (reserved flags + 24-bit base message id), which is what the draft's "Cancel Segment Exchange" carried.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Reserved    |               Base Message ID                 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PaAttribute, PaAttributeCodec } from '../attribute.ts';
import { Pen, TcgSegAttr } from '../constants.ts';

export interface TcgCancel extends PaAttribute {
  readonly kind: 'tcg/cancel';
  baseMessageId: number;
}

export const tcgCancel: PaAttributeCodec<TcgCancel> = {
  kind: 'tcg/cancel',
  vendor: Pen.TCG,
  type: TcgSegAttr.CANCEL,
  name: 'Cancel',
  encodeValue(w, a) {
    w.u8(0).u24(a.baseMessageId);
  },
  decodeValue(r) {
    r.skip(1, 'reserved');
    return { baseMessageId: r.u24('baseMessageId') };
  },
};
