/**
 * IETF Forwarding Enabled (RFC 5792 §4.2.11), type 11.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Forwarding Enabled                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { reverse } from '../../../../common/index.ts';
import type { PaAttribute, PaAttributeCodec } from '../../attribute.ts';
import { IetfAttr, Pen } from '../../constants.ts';

export const ForwardingStatus = { DISABLED: 0, ENABLED: 1, UNKNOWN: 2 } as const;
export const ForwardingStatusName = reverse(ForwardingStatus);

export interface IetfForwardingEnabled extends PaAttribute {
  readonly kind: 'ietf/forwarding-enabled';
  status: number;
}

export const ietfForwardingEnabled: PaAttributeCodec<IetfForwardingEnabled> = {
  kind: 'ietf/forwarding-enabled',
  vendor: Pen.IETF,
  type: IetfAttr.FORWARDING_ENABLED,
  name: 'Forwarding Enabled',
  encodeValue(w, a) {
    w.u32(a.status);
  },
  decodeValue(r) {
    const status = r.u32('status');
    if (status > ForwardingStatus.UNKNOWN) r.fail('status', `unknown forwarding status ${status}`, 0);
    return { status };
  },
};
