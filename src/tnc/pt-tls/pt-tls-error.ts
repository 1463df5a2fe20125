/**
 * PT-TLS Error, RFC 6876 §3.9 (type 8, either direction): an error code and a copy of (up to 1024 bytes of) the
 * message that caused it. Codes are in constants.ts (PtTlsErrorCode, §3.9.1).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Reserved   |            Error Code Vendor ID               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          Error Code                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               Copy of Original Message (Variable Length)      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PtTlsValueCodec } from './codec.ts';
import { PtTlsType } from './constants.ts';

export interface PtTlsErrorMessage {
  readonly kind: 'PtTlsError';
  /** Error Code Vendor ID (24): 0 for the IETF codes. */
  vendor: number;
  /** Error Code (32). */
  code: number;
  /** Copy of Original Message: the offending message's first bytes (its header first). */
  original: Uint8Array;
}

export const ptTlsErrorCodec: PtTlsValueCodec<PtTlsErrorMessage> = {
  type: PtTlsType.PT_TLS_ERROR,
  kind: 'PtTlsError',
  encode(w, v) {
    w.u8(0).u24(v.vendor).u32(v.code).bytes(v.original);
  },
  decode(r) {
    r.skip(1, 'reserved');
    const vendor = r.u24('vendor');
    const code = r.u32('code');
    return { kind: 'PtTlsError', vendor, code, original: r.copy(r.remaining, 'original') };
  },
};
