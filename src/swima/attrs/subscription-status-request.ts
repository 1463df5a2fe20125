/**
 * IETF SWIMA Subscription Status Request (RFC 8412 §5.12), PA-TNC attribute type 18: no fields (empty value).
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { IetfAttr, Pen } from '../../tnc/pa/constants.ts';

export interface IetfSwimaSubscriptionStatusRequest extends PaAttribute {
  readonly kind: 'ietf/swima-subscription-status-request';
}

export const ietfSwimaSubscriptionStatusRequest: PaAttributeCodec<IetfSwimaSubscriptionStatusRequest> = {
  kind: 'ietf/swima-subscription-status-request',
  vendor: Pen.IETF,
  type: IetfAttr.SUBSCRIPTION_STATUS_REQUEST,
  name: 'Subscription Status Request',
  encodeValue() {},
  decodeValue() {
    return {};
  },
};
