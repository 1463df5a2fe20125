/**
 * Traffic Selector payloads TSi and TSr (RFC 7296 §3.13) and the Traffic Selector substructure (§3.13.1).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Number of TSs |                 RESERVED                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       <Traffic Selectors>                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Traffic Selector substructure (§3.13.1):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   TS Type     |IP Protocol ID*|       Selector Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Start Port*         |           End Port*           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                         Starting Address*                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                         Ending Address*                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * TS_IPV4_ADDR_RANGE (7) carries 4-byte addresses (length 16), TS_IPV6_ADDR_RANGE (8) 16-byte ones (length 40).
 * Other TS types are kept with the same layout, the address bytes split evenly between start and end.
 */
import type { Reader, Writer } from '../../common/bytes.ts';
import type { PayloadCodec } from './codec.ts';
import type { TrafficSelector, TsPayload } from './types.ts';
import { PayloadType, TsType } from './types.ts';

/** Address length of the known TS types. */
export function tsAddrLength(tsType: number): number | undefined {
  return tsType === TsType.TS_IPV4_ADDR_RANGE ? 4 : tsType === TsType.TS_IPV6_ADDR_RANGE ? 16 : undefined;
}

export function encodeSelector(s: TrafficSelector, w: Writer): void {
  w.u8(s.tsType).u8(s.ipProtocol);
  w.lengthPrefixed(
    2,
    () => {
      w.u16(s.startPort).u16(s.endPort).bytes(s.startAddr).bytes(s.endAddr);
    },
    4,
  );
}

export function decodeSelector(r: Reader, f: string): TrafficSelector {
  const tsType = r.u8(`${f}.tsType`);
  const ipProtocol = r.u8(`${f}.ipProtocol`);
  const len = r.u16(`${f}.length`);
  const want = tsAddrLength(tsType);
  if (len < 8 || (want !== undefined && len !== 8 + 2 * want) || (len - 8) % 2 !== 0) {
    r.fail(`${f}.length`, `selector length ${len} invalid for TS type ${tsType}`, r.offset - 2);
  }
  const b = r.sub(len - 4, f);
  const startPort = b.u16('startPort');
  const endPort = b.u16('endPort');
  const n = (len - 8) / 2;
  return { tsType, ipProtocol, startPort, endPort, startAddr: b.copy(n, 'startAddr'), endAddr: b.copy(n, 'endAddr') };
}

export const ts: PayloadCodec<TsPayload> = {
  name: 'TS',
  encode(p, w) {
    w.u8(p.selectors.length).zeros(3);
    for (const s of p.selectors) encodeSelector(s, w);
  },
  decode(r, type) {
    const count = r.u8('numTs');
    r.skip(3, 'reserved');
    const selectors: TrafficSelector[] = [];
    for (let i = 0; i < count; i++) selectors.push(decodeSelector(r, `selector[${i}]`));
    r.end('selectors');
    return { type: type === PayloadType.TSr ? PayloadType.TSr : PayloadType.TSi, selectors };
  },
};
