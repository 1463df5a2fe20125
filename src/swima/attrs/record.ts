/**
 * The software record shared by the SWIMA inventory and event attributes (RFC 8412 §5.8–5.11; strongSwan
 * ietf_swima_attr_sw_ev.c builds both with one function):
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Record Identifier                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |              Data Model Type PEN              |Data Model Type|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Source ID Num | Action / Rsvd |  Software Identifier Length   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |             Software Identifier (Variable Length)             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Software Locator Length    |  Software Locator (Var. Len)  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Record Length (32) + Record — Software Inventory / Events only
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Events prefix each record with EID(32) and a 20-byte RFC 3339 timestamp, and use the byte after the source id
 * for the action; inventories leave it reserved.
 */
import type { Reader, Writer } from '../../common/index.ts';

export interface SwimaRecord {
  recordId: number;
  dataModel: { pen: number; type: number };
  sourceId: number;
  /** Software identifier, e.g. a SWID tag's `regid__tagId`. */
  swId: string;
  /** Software locator (URI), empty when none. */
  locator: string;
  /** The software inventory evidence record (SWID tag XML) — present in Software Inventory / Events only. */
  record?: Uint8Array;
}

export function writeRecord(w: Writer, r: SwimaRecord, actionOrReserved: number, withRecord: boolean): void {
  w.u32(r.recordId).u24(r.dataModel.pen).u8(r.dataModel.type).u8(r.sourceId).u8(actionOrReserved);
  w.lengthPrefixed(2, (x) => x.utf8(r.swId));
  w.lengthPrefixed(2, (x) => x.utf8(r.locator));
  if (withRecord) w.lengthPrefixed(4, (x) => x.bytes(r.record ?? new Uint8Array(0)));
}

export function readRecord(r: Reader, withRecord: boolean): { record: SwimaRecord; actionOrReserved: number } {
  const recordId = r.u32('recordId');
  const pen = r.u24('dataModelPen');
  const type = r.u8('dataModelType');
  const sourceId = r.u8('sourceId');
  const actionOrReserved = r.u8('action');
  const swId = r.utf8(r.u16('swIdLength'), 'swId');
  const locator = r.utf8(r.u16('locatorLength'), 'locator');
  const record: SwimaRecord = { recordId, dataModel: { pen, type }, sourceId, swId, locator };
  if (withRecord) record.record = r.copy(r.u32('recordLength'), 'record');
  return { record, actionOrReserved };
}

/** Smallest encoded record (for count checks before allocating). */
export const MIN_RECORD_SIZE = 4 + 4 + 2 + 2 + 2;
