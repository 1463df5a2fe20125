/**
 * PT-TLS message header, RFC 6876 §3.5.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Reserved   |           Message Type Vendor ID              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          Message Type                         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Message Length                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Message Identifier                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Message Value (e.g. PB-TNC Batch) . . .       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { Reader } from '../../common/bytes.ts';
import type { Writer } from '../../common/bytes.ts';
import { PT_TLS_HEADER_LENGTH, PtTlsErrorCode } from './constants.ts';
import { PtTlsError } from './errors.ts';

export interface PtTlsHeader {
  /** Reserved (8): sent as 0, ignored on receipt. */
  reserved: number;
  /** Message Type Vendor ID (24): 0 = IETF for the standard types. */
  vendor: number;
  /** Message Type (32), PtTlsType under vendor 0. */
  type: number;
  /** Message Length (32), header included: at least 16. */
  length: number;
  /** Message Identifier (32), increasing per sender. */
  identifier: number;
}

/**
 * Reads the 16-byte header at the start of `bytes` (a whole message or at least its header). A Message Length below
 * 16 is an Invalid Parameter (§3.9.1); the error carries the bytes seen so far as the copy of the offending message.
 */
export function decodePtTlsHeader(bytes: Uint8Array, path = 'pt-tls.header'): PtTlsHeader {
  const r = new Reader(bytes.subarray(0, PT_TLS_HEADER_LENGTH), path);
  const reserved = r.u8('reserved');
  const vendor = r.u24('vendor');
  const type = r.u32('type');
  const length = r.u32('length');
  const identifier = r.u32('identifier');
  if (length < PT_TLS_HEADER_LENGTH) {
    throw new PtTlsError(
      PtTlsErrorCode.INVALID_PARAMETER,
      `message length ${length} is shorter than the ${PT_TLS_HEADER_LENGTH}-byte header`,
      bytes,
    );
  }
  return { reserved, vendor, type, length, identifier };
}

export function encodePtTlsHeader(w: Writer, h: PtTlsHeader): void {
  w.u8(h.reserved).u24(h.vendor).u32(h.type).u32(h.length).u32(h.identifier);
}
