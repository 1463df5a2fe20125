/**
 * IETF Attribute Request (RFC 5792 §4.2.1), type 1: the attributes the sender wants the recipient to send.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Reserved    |           PA-TNC Attribute Vendor ID          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      PA-TNC Attribute Type                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          ... repeated ...                     |
 */
import type { PaAttribute, PaAttributeCodec } from '../../attribute.ts';
import { IetfAttr, Pen } from '../../constants.ts';

export interface IetfAttributeRequest extends PaAttribute {
  readonly kind: 'ietf/attribute-request';
  /** Requested (vendor, type) pairs. */
  requests: { vendor: number; type: number }[];
}

export const ietfAttributeRequest: PaAttributeCodec<IetfAttributeRequest> = {
  kind: 'ietf/attribute-request',
  vendor: Pen.IETF,
  type: IetfAttr.ATTRIBUTE_REQUEST,
  name: 'Attribute Request',
  encodeValue(w, a) {
    for (const q of a.requests) w.u8(0).u24(q.vendor).u32(q.type);
  },
  decodeValue(r) {
    if (r.remaining % 8 !== 0) r.fail('requests', 'length is not a multiple of 8');
    const requests: { vendor: number; type: number }[] = [];
    while (!r.done) {
      r.skip(1, 'reserved');
      requests.push({ vendor: r.u24('vendor'), type: r.u32('type') });
    }
    return { requests };
  },
};
