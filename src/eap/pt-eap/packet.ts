/**
 * PT-EAP packet Type-Data (RFC 7171 §4.1), the part after the EAP Type octet 54.
 *
 *    0 1 2 3 4 5 6 7
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |S R R R R  Ver |  PB-TNC batch (Data) ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * S (0x80) = start (server's first request, no data); Ver = 1. A data packet carries exactly one PB-TNC batch, at
 * most 65529 bytes (EAP Length 65535 less the 6 octets of EAP header, Type and flags): PT-EAP does not fragment.
 * strongSwan sometimes sends a packet without data and with flags 0x00: any 6-byte PT-EAP packet (flags only) is
 * read as empty.
 */
import { Reader, Writer } from '../../common/bytes.ts';
import { LimitError } from '../../common/errors.ts';
import { MaxBatchSize } from '../../tnc/pb/constants.ts';

export const PtEapFlag = { START: 0x80 } as const;
export const PT_EAP_VERSION = 1;
export const PT_EAP_MAX_BATCH = MaxBatchSize.PT_EAP;

export interface PtEapPacket {
  flags: number;
  version: number;
  start: boolean;
  /** The PB-TNC batch, or undefined for an empty packet. */
  batch?: Uint8Array;
}

export function encodePtEap(p: { start?: boolean; batch?: Uint8Array }): Uint8Array {
  if (p.batch && p.batch.byteLength > PT_EAP_MAX_BATCH)
    throw new LimitError('pt-eap.batch', `${p.batch.byteLength} bytes (max ${PT_EAP_MAX_BATCH})`);
  const w = new Writer(1 + (p.batch?.byteLength ?? 0));
  w.u8((p.start ? PtEapFlag.START : 0) | PT_EAP_VERSION);
  if (p.batch) w.bytes(p.batch);
  return w.finish();
}

export function decodePtEap(typeData: Uint8Array): PtEapPacket {
  const r = new Reader(typeData, 'eap.pt-eap');
  const flags = r.u8('flags');
  const rest = r.rest('batch');
  const out: PtEapPacket = { flags, version: flags & 0x07, start: (flags & PtEapFlag.START) !== 0 };
  if (rest.byteLength) out.batch = rest.slice();
  return out;
}
