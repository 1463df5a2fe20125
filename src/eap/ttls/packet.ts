/**
 * EAP-TTLS packet Type-Data (RFC 5281 §9.1), the part after the EAP Type octet 21.
 *
 *    0 1 2 3 4 5 6 7
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |L M S R R  Ver |  TLS Message Length (4 octets, only with L)  |  Data ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * L (0x80) length included, M (0x40) more fragments, S (0x20) start, Ver (low 3 bits) = 0. An acknowledgement is
 * the bare flags octet with only the version (§9.2.2).
 */
import { Reader, Writer } from '../../common/bytes.ts';

export const TtlsFlag = { LENGTH: 0x80, MORE: 0x40, START: 0x20 } as const;
export const TTLS_VERSION = 0;
export const TTLS_VERSION_MASK = 0x07;

export interface TtlsPacket {
  /** The raw flags octet (reserved bits kept). */
  flags: number;
  version: number;
  /** Total TLS message length, present when L is set. */
  messageLength?: number;
  data: Uint8Array;
}

export function encodeTtls(p: { flags: number; messageLength?: number; data: Uint8Array }): Uint8Array {
  const hasLength = (p.flags & TtlsFlag.LENGTH) !== 0;
  const w = new Writer(5 + p.data.byteLength);
  w.u8(p.flags);
  if (hasLength) w.u32(p.messageLength ?? p.data.byteLength);
  return w.bytes(p.data).finish();
}

export function decodeTtls(typeData: Uint8Array): TtlsPacket {
  const r = new Reader(typeData, 'eap.ttls');
  const flags = r.u8('flags');
  const out: TtlsPacket = { flags, version: flags & TTLS_VERSION_MASK, data: new Uint8Array(0) };
  if (flags & TtlsFlag.LENGTH) out.messageLength = r.u32('messageLength');
  out.data = r.rest('data').slice();
  return out;
}

/** An acknowledgement: no data, no L/M/S. */
export const isTtlsAck = (p: TtlsPacket): boolean =>
  (p.flags & (TtlsFlag.LENGTH | TtlsFlag.MORE | TtlsFlag.START)) === 0 && p.data.byteLength === 0;
