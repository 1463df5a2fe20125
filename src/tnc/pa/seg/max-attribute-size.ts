/**
 * TCG IF-M Segmentation: Max Attribute Size Request (type 0x21) and Response (type 0x22), vendor TCG
 * (TCG IF-M Segmentation 1.0 rev 5 §4; strongSwan calls them Segmentation Contract Request/Response).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Max Message Size                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Max Segment Size                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * 0xffffffff = no message size limit / no segmentation.
 */
import type { PaAttribute, PaAttributeCodec } from '../attribute.ts';
import { Pen, TcgSegAttr } from '../constants.ts';

export const SEG_NO_LIMIT = 0xffffffff;

export interface TcgMaxAttributeSizeRequest extends PaAttribute {
  readonly kind: 'tcg/max-attribute-size-request';
  maxMessageSize: number;
  maxSegmentSize: number;
}
export interface TcgMaxAttributeSizeResponse extends PaAttribute {
  readonly kind: 'tcg/max-attribute-size-response';
  maxMessageSize: number;
  maxSegmentSize: number;
}

export const tcgMaxAttributeSizeRequest: PaAttributeCodec<TcgMaxAttributeSizeRequest> = {
  kind: 'tcg/max-attribute-size-request',
  vendor: Pen.TCG,
  type: TcgSegAttr.MAX_ATTRIBUTE_SIZE_REQUEST,
  name: 'Max Attribute Size Request',
  encodeValue(w, a) {
    w.u32(a.maxMessageSize).u32(a.maxSegmentSize);
  },
  decodeValue(r) {
    return { maxMessageSize: r.u32('maxMessageSize'), maxSegmentSize: r.u32('maxSegmentSize') };
  },
};

export const tcgMaxAttributeSizeResponse: PaAttributeCodec<TcgMaxAttributeSizeResponse> = {
  kind: 'tcg/max-attribute-size-response',
  vendor: Pen.TCG,
  type: TcgSegAttr.MAX_ATTRIBUTE_SIZE_RESPONSE,
  name: 'Max Attribute Size Response',
  encodeValue(w, a) {
    w.u32(a.maxMessageSize).u32(a.maxSegmentSize);
  },
  decodeValue(r) {
    return { maxMessageSize: r.u32('maxMessageSize'), maxSegmentSize: r.u32('maxSegmentSize') };
  },
};
