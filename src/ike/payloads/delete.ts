/**
 * Delete payload (RFC 7296 §3.11). For IKE the SPI size is 0 and there are no SPIs; for ESP/AH 4-byte SPIs.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Protocol ID   |   SPI Size    |          Num of SPIs          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~               Security Parameter Index(es) (SPI)              ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { LimitError } from '../../common/errors.ts';
import type { PayloadCodec } from './codec.ts';
import type { DeletePayload } from './types.ts';
import { PayloadType, ProtocolId } from './types.ts';

export const del: PayloadCodec<DeletePayload> = {
  name: 'D',
  encode(p, w) {
    const size = p.spis[0]?.byteLength ?? (p.protocol === ProtocolId.IKE ? 0 : 4);
    if (p.spis.some((s) => s.byteLength !== size)) throw new LimitError('delete.spis', 'SPIs of different sizes');
    w.u8(p.protocol).u8(size).u16(p.spis.length);
    for (const s of p.spis) w.bytes(s);
  },
  decode(r) {
    const protocol = r.u8('protocol');
    const size = r.u8('spiSize');
    const count = r.u16('numSpis');
    if (size * count !== r.remaining) r.fail('numSpis', `${count} SPIs of ${size} bytes in ${r.remaining} bytes`);
    if (size === 0 && count > 0) r.fail('spiSize', 'SPIs of size 0');
    const spis: Uint8Array[] = [];
    for (let i = 0; i < count; i++) spis.push(r.copy(size, `spi[${i}]`));
    return { type: PayloadType.DELETE, protocol, spis };
  },
};
