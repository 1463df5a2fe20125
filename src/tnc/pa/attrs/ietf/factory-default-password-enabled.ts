/**
 * IETF Factory Default Password Enabled (RFC 5792 §4.2.12), type 12: 1 if a factory default password is enabled.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               Factory Default Password Enabled                |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PaAttribute, PaAttributeCodec } from '../../attribute.ts';
import { IetfAttr, Pen } from '../../constants.ts';

export interface IetfFactoryDefaultPasswordEnabled extends PaAttribute {
  readonly kind: 'ietf/factory-default-password-enabled';
  enabled: boolean;
}

export const ietfFactoryDefaultPasswordEnabled: PaAttributeCodec<IetfFactoryDefaultPasswordEnabled> = {
  kind: 'ietf/factory-default-password-enabled',
  vendor: Pen.IETF,
  type: IetfAttr.FACTORY_DEFAULT_PASSWORD_ENABLED,
  name: 'Factory Default Password Enabled',
  encodeValue(w, a) {
    w.u32(a.enabled ? 1 : 0);
  },
  decodeValue(r) {
    const v = r.u32('enabled');
    if (v > 1) r.fail('enabled', `value ${v} is neither 0 nor 1`, 0);
    return { enabled: v === 1 };
  },
};
