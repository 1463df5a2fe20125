/**
 * PB-PA (RFC 5793 §4.5), IETF type 1, NOSKIP set: carries one PA-TNC message between an IMC and an IMV.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Flags     |               PA Message Vendor ID            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           PA Subtype                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Posture Collector Identifier | Posture Validator Identifier  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 PA Message Body (Variable Length)             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Flags: E (0x80) exclusive delivery. An IMC's first message goes to validator 0xffff (any) without E; IMV
 * replies set E. Vendor 0xffffff and subtype 0xffffffff are reserved.
 */
import { Pen } from '../../pa/constants.ts';
import {
  PB_BATCH_HEADER_SIZE,
  PB_MSG_HEADER_SIZE,
  PB_MSG_TYPE_RESERVED,
  PB_PEN_RESERVED,
  PbMessageType,
} from '../constants.ts';
import type { PbMessageCodec } from './codec.ts';

export const PB_PA_FLAG_EXCL = 0x80;
/** "Any" posture collector / validator id. */
export const PB_PA_ID_ANY = 0xffff;
/** Flags, PA vendor, subtype and the two ids before the PA message body. */
export const PB_PA_HEADER_SIZE = 12;

/**
 * The largest PA-TNC message (body of one PB-PA message) that fits in a batch of `maxBatchSize` bytes on its own:
 * the batch header, the PB-TNC message header and the PB-PA fields come off.
 */
export function maxPaMessageBody(maxBatchSize: number): number {
  return maxBatchSize - PB_BATCH_HEADER_SIZE - PB_MSG_HEADER_SIZE - PB_PA_HEADER_SIZE;
}

export interface PbPaMessage {
  readonly kind: 'pa';
  exclusive: boolean;
  paVendor: number;
  paSubtype: number;
  collectorId: number;
  validatorId: number;
  /** The PA-TNC message (decode with `decodePaMessage`). */
  body: Uint8Array;
}

export const pbPa: PbMessageCodec<PbPaMessage> = {
  kind: 'pa',
  vendor: Pen.IETF,
  type: PbMessageType.PA,
  name: 'PB-PA',
  noskip: true,
  minLength: 24,
  exact: false,
  resultOnly: false,
  encodeValue(w, m) {
    w.u8(m.exclusive ? PB_PA_FLAG_EXCL : 0)
      .u24(m.paVendor)
      .u32(m.paSubtype)
      .u16(m.collectorId)
      .u16(m.validatorId)
      .bytes(m.body);
  },
  decodeValue(r) {
    const exclusive = (r.u8('flags') & PB_PA_FLAG_EXCL) !== 0;
    const paVendor = r.u24('paVendor');
    if (paVendor === PB_PEN_RESERVED) r.fail('paVendor', 'reserved vendor id', 1);
    const paSubtype = r.u32('paSubtype');
    if (paSubtype === PB_MSG_TYPE_RESERVED) r.fail('paSubtype', 'reserved PA subtype', 4);
    return {
      exclusive,
      paVendor,
      paSubtype,
      collectorId: r.u16('collectorId'),
      validatorId: r.u16('validatorId'),
      body: r.copy(r.remaining, 'body'),
    };
  },
};
