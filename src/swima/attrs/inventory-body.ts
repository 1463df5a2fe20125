/**
 * The body shared by SW Identifier Inventory (type 14, RFC 8412 §5.8) and SW Inventory (type 16, §5.10):
 *
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Flags     |           Software Identifier Count           |
 * |               Request ID Copy / Subscription ID               |
 * |                           EID Epoch                           |
 * |                           Last EID                            |
 * |        records (record.ts; with Record Length + Record for type 16)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { Reader, Writer } from '../../common/index.ts';
import { MIN_RECORD_SIZE, readRecord, writeRecord } from './record.ts';
import type { SwimaRecord } from './record.ts';

export interface SwimaInventoryBody {
  flags: number;
  requestId: number;
  eidEpoch: number;
  lastEid: number;
  records: SwimaRecord[];
}

export function writeInventory(w: Writer, a: SwimaInventoryBody, withRecord: boolean): void {
  w.u8(a.flags).u24(a.records.length).u32(a.requestId).u32(a.eidEpoch).u32(a.lastEid);
  for (const r of a.records) writeRecord(w, r, 0, withRecord);
}

export function readInventory(r: Reader, withRecord: boolean): SwimaInventoryBody {
  const flags = r.u8('flags');
  const count = r.u24('count');
  const requestId = r.u32('requestId');
  const eidEpoch = r.u32('eidEpoch');
  const lastEid = r.u32('lastEid');
  if (count * MIN_RECORD_SIZE > r.remaining) r.fail('count', `${count} records cannot fit in ${r.remaining} bytes`);
  const records: SwimaRecord[] = [];
  for (let i = 0; i < count; i++) {
    records.push(readRecord(r, withRecord).record);
  }
  return { flags, requestId, eidEpoch, lastEid, records };
}
