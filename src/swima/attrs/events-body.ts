/**
 * The body shared by SW Identifier Events (type 15, RFC 8412 §5.9) and SW Events (type 17, §5.11):
 *
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Flags     |             Event Count                       |
 * |               Request ID Copy / Subscription ID               |
 * |                           EID Epoch                           |
 * |                           Last EID                            |
 * |                       Last Consulted EID                      |
 * |   per event: EID(32), Timestamp (20 bytes, RFC 3339 UTC), record (record.ts, the action in its 6th byte)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { utf8 } from '../../common/index.ts';
import type { Reader, Writer } from '../../common/index.ts';
import { SWIMA_TIMESTAMP_SIZE } from '../constants.ts';
import { MIN_RECORD_SIZE, readRecord, writeRecord } from './record.ts';
import type { SwimaRecord } from './record.ts';

export interface SwimaEvent {
  eid: number;
  /** `YYYY-MM-DDThh:mm:ssZ`. */
  timestamp: string;
  /** SwimaAction. */
  action: number;
  record: SwimaRecord;
}

export interface SwimaEventsBody {
  flags: number;
  requestId: number;
  eidEpoch: number;
  lastEid: number;
  lastConsultedEid: number;
  events: SwimaEvent[];
}

export function writeEvents(w: Writer, a: SwimaEventsBody, withRecord: boolean): void {
  w.u8(a.flags).u24(a.events.length).u32(a.requestId).u32(a.eidEpoch).u32(a.lastEid).u32(a.lastConsultedEid);
  for (const e of a.events) {
    const t = new Uint8Array(SWIMA_TIMESTAMP_SIZE);
    t.set(utf8(e.timestamp).subarray(0, SWIMA_TIMESTAMP_SIZE));
    w.u32(e.eid).bytes(t);
    writeRecord(w, e.record, e.action, withRecord);
  }
}

export function readEvents(r: Reader, withRecord: boolean): SwimaEventsBody {
  const flags = r.u8('flags');
  const count = r.u24('count');
  const requestId = r.u32('requestId');
  const eidEpoch = r.u32('eidEpoch');
  const lastEid = r.u32('lastEid');
  const lastConsultedEid = r.u32('lastConsultedEid');
  if (count * (MIN_RECORD_SIZE + 4 + SWIMA_TIMESTAMP_SIZE) > r.remaining)
    r.fail('count', `${count} events cannot fit in ${r.remaining} bytes`);
  const events: SwimaEvent[] = [];
  for (let i = 0; i < count; i++) {
    const eid = r.u32(`events[${i}].eid`);
    const timestamp = r.utf8(SWIMA_TIMESTAMP_SIZE, `events[${i}].timestamp`);
    const { record, actionOrReserved } = readRecord(r, withRecord);
    events.push({ eid, timestamp, action: actionOrReserved, record });
  }
  return { flags, requestId, eidEpoch, lastEid, lastConsultedEid, events };
}
