/**
 * ITA-HSR Device ID (strongSwan ita_attr.c, a generic string attribute), PEN 0x00902a type 8: the device
 * identifier (strongSwan's IMCs send e.g. the hex SHA-1 of the AIK public key or a machine id).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Device ID (Variable Length)                 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PaAttribute, PaAttributeCodec } from '../../attribute.ts';
import { ItaAttr, Pen } from '../../constants.ts';

export interface ItaDeviceId extends PaAttribute {
  readonly kind: 'ita/device-id';
  deviceId: string;
}

export const itaDeviceId: PaAttributeCodec<ItaDeviceId> = {
  kind: 'ita/device-id',
  vendor: Pen.ITA,
  type: ItaAttr.DEVICE_ID,
  name: 'Device ID',
  encodeValue(w, a) {
    w.utf8(a.deviceId);
  },
  decodeValue(r) {
    return { deviceId: r.utf8(r.remaining, 'deviceId') };
  },
};
