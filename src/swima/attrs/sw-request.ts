/**
 * IETF SWIMA SW Request (RFC 8412 §5.7), PA-TNC attribute type 13.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |C|S|R|Reserved |           Software Identifier Count           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          Request ID                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Earliest EID                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Software Identifier Length  | Software Identifier (Var Len) |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Flags: C clear subscriptions 0x80, S subscribe 0x40, R identifiers only 0x20. Earliest EID 0: an inventory, else
 * the events from that EID on. The identifiers restrict the request (none: all software).
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import type { Reader, Writer } from '../../common/index.ts';
import { IetfAttr, Pen } from '../../tnc/pa/constants.ts';

export interface SwimaRequestBody {
  flags: number;
  requestId: number;
  earliestEid: number;
  targets: string[];
}

export interface IetfSwimaRequest extends PaAttribute, SwimaRequestBody {
  readonly kind: 'ietf/swima-request';
}

export function writeRequestBody(w: Writer, a: SwimaRequestBody): void {
  w.u8(a.flags).u24(a.targets.length).u32(a.requestId).u32(a.earliestEid);
  for (const t of a.targets) w.lengthPrefixed(2, (x) => x.utf8(t));
}

export function readRequestBody(r: Reader): SwimaRequestBody {
  const flags = r.u8('flags');
  const count = r.u24('count');
  const requestId = r.u32('requestId');
  const earliestEid = r.u32('earliestEid');
  if (count * 2 > r.remaining) r.fail('count', `${count} identifiers cannot fit in ${r.remaining} bytes`);
  const targets: string[] = [];
  for (let i = 0; i < count; i++) targets.push(r.utf8(r.u16(`targets[${i}].length`), `targets[${i}]`));
  return { flags, requestId, earliestEid, targets };
}

export const ietfSwimaRequest: PaAttributeCodec<IetfSwimaRequest> = {
  kind: 'ietf/swima-request',
  vendor: Pen.IETF,
  type: IetfAttr.SWIMA_REQUEST,
  name: 'SW Request',
  encodeValue: writeRequestBody,
  decodeValue: readRequestBody,
};
