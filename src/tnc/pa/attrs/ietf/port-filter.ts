/**
 * IETF Port Filter (RFC 5792 §4.2.6), type 6: one 4-byte entry per filtered port.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Reserved  |B|    Protocol   |         Port Number           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          ... repeated ...                     |
 *
 * B = 1: the port is blocked; 0: allowed.
 */
import type { PaAttribute, PaAttributeCodec } from '../../attribute.ts';
import { IetfAttr, Pen } from '../../constants.ts';

export interface PortFilterEntry {
  blocked: boolean;
  /** IP protocol number (6 TCP, 17 UDP). */
  protocol: number;
  port: number;
}

export interface IetfPortFilter extends PaAttribute {
  readonly kind: 'ietf/port-filter';
  entries: PortFilterEntry[];
}

export const ietfPortFilter: PaAttributeCodec<IetfPortFilter> = {
  kind: 'ietf/port-filter',
  vendor: Pen.IETF,
  type: IetfAttr.PORT_FILTER,
  name: 'Port Filter',
  encodeValue(w, a) {
    for (const e of a.entries)
      w.u8(e.blocked ? 1 : 0)
        .u8(e.protocol)
        .u16(e.port);
  },
  decodeValue(r) {
    if (r.remaining % 4 !== 0) r.fail('entries', 'length is not a multiple of 4');
    const entries: PortFilterEntry[] = [];
    while (!r.done) {
      const blocked = (r.u8('flags') & 0x01) !== 0;
      entries.push({ blocked, protocol: r.u8('protocol'), port: r.u16('port') });
    }
    return { entries };
  },
};
