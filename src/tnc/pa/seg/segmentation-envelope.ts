/**
 * TCG IF-M Segmentation: Attribute Segmentation Envelope (type 0x23), vendor TCG.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |M|S| Reserved  |               Base Message ID                 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Segment Value (Variable Length)               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * M (0x80): more segments follow; S (0x40): first segment, which starts with the complete 12-byte header of the
 * original attribute (its length is the full length).
 */
import type { PaAttribute, PaAttributeCodec } from '../attribute.ts';
import { Pen, TcgSegAttr } from '../constants.ts';

export const SEG_FLAG_MORE = 0x80;
export const SEG_FLAG_START = 0x40;

export interface TcgSegmentationEnvelope extends PaAttribute {
  readonly kind: 'tcg/segmentation-envelope';
  more: boolean;
  start: boolean;
  /** 24-bit base message id. */
  baseMessageId: number;
  segment: Uint8Array;
}

export const tcgSegmentationEnvelope: PaAttributeCodec<TcgSegmentationEnvelope> = {
  kind: 'tcg/segmentation-envelope',
  vendor: Pen.TCG,
  type: TcgSegAttr.SEGMENTATION_ENVELOPE,
  name: 'Attribute Segmentation Envelope',
  encodeValue(w, a) {
    w.u8((a.more ? SEG_FLAG_MORE : 0) | (a.start ? SEG_FLAG_START : 0))
      .u24(a.baseMessageId)
      .bytes(a.segment);
  },
  decodeValue(r) {
    const flags = r.u8('flags');
    return {
      more: (flags & SEG_FLAG_MORE) !== 0,
      start: (flags & SEG_FLAG_START) !== 0,
      baseMessageId: r.u24('baseMessageId'),
      segment: r.copy(r.remaining, 'segment'),
    };
  },
};
