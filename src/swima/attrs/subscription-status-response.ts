/**
 * IETF SWIMA Subscription Status Response (RFC 8412 §5.13), PA-TNC attribute type 19: the active subscriptions,
 * each in the layout of a SW Request (sw-request.ts) whose Request ID is the Subscription ID.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Reserved   |               Subscription Count              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   per subscription: Flags | ID count | Subscription ID | Earliest EID | identifiers
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Not implemented by strongSwan; layout as we read the RFC, not interop-tested.
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { IetfAttr, Pen } from '../../tnc/pa/constants.ts';
import { readRequestBody, writeRequestBody } from './sw-request.ts';
import type { SwimaRequestBody } from './sw-request.ts';

export interface IetfSwimaSubscriptionStatusResponse extends PaAttribute {
  readonly kind: 'ietf/swima-subscription-status-response';
  subscriptions: SwimaRequestBody[];
}

export const ietfSwimaSubscriptionStatusResponse: PaAttributeCodec<IetfSwimaSubscriptionStatusResponse> = {
  kind: 'ietf/swima-subscription-status-response',
  vendor: Pen.IETF,
  type: IetfAttr.SUBSCRIPTION_STATUS_RESPONSE,
  name: 'Subscription Status Response',
  encodeValue(w, a) {
    w.u8(0).u24(a.subscriptions.length);
    for (const s of a.subscriptions) writeRequestBody(w, s);
  },
  decodeValue(r) {
    r.skip(1, 'reserved');
    const count = r.u24('count');
    if (count * 12 > r.remaining) r.fail('count', `${count} subscriptions cannot fit in ${r.remaining} bytes`);
    const subscriptions: SwimaRequestBody[] = [];
    for (let i = 0; i < count; i++) subscriptions.push(readRequestBody(r));
    return { subscriptions };
  },
};
