/**
 * Notify payload (RFC 7296 §3.10). Types below 16384 are errors (§3.10.1).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Protocol ID  |   SPI Size    |      Notify Message Type      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                Security Parameter Index (SPI)                 ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Notification Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PayloadCodec } from './codec.ts';
import type { NotifyPayload } from './types.ts';
import { PayloadType } from './types.ts';

/** First status (non-error) notify type (§3.10.1). */
export const NOTIFY_STATUS_MIN = 16384;

/** Whether a notify type is an error (below 16384, §3.10.1). */
export function isErrorNotify(notifyType: number): boolean {
  return notifyType < NOTIFY_STATUS_MIN;
}

export const notify: PayloadCodec<NotifyPayload> = {
  name: 'N',
  encode(p, w) {
    w.u8(p.protocol).u8(p.spi.byteLength).u16(p.notifyType).bytes(p.spi).bytes(p.data);
  },
  decode(r) {
    /** Protocol ID (ProtocolId), 0 when the notify concerns no SA. */
    const protocol = r.u8('protocol');
    const spiSize = r.u8('spiSize');
    /** Notify Message Type (NotifyType). */
    const notifyType = r.u16('notifyType');
    const spi = r.copy(spiSize, 'spi');
    return { type: PayloadType.NOTIFY, protocol, spi, notifyType, data: r.copy(r.remaining, 'data') };
  },
};
