/**
 * PB-Error (RFC 5793 §4.9), IETF type 5, NOSKIP set, at least 20 bytes.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Flags     |                Error Code Vendor ID           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Error Code          |           Reserved            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |              Error Parameters (Variable Length)               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Flags: F (0x80) fatal. IETF error parameters (§4.9.1, §4.9.2): for Version Not Supported
 * Bad Version(8) | Max Version(8) | Min Version(8) | Reserved(8); for the other codes Error Offset(32).
 */
import { Pen } from '../../pa/constants.ts';
import { PB_TNC_VERSION, PbErrorCode, PbMessageType } from '../constants.ts';
import type { PbMessageCodec } from './codec.ts';

export const PB_ERROR_FLAG_FATAL = 0x80;

export type PbErrorInfo =
  | { format: 'offset'; offset: number }
  | { format: 'version'; badVersion: number; maxVersion: number; minVersion: number }
  | { format: 'raw'; data: Uint8Array };

export interface PbError {
  readonly kind: 'error';
  fatal: boolean;
  errorVendor: number;
  code: number;
  info: PbErrorInfo;
}

/** A fatal IETF PB-Error with an offset (codes 0..3). */
export function pbErrorWithOffset(code: number, offset: number, fatal = true): PbError {
  return { kind: 'error', fatal, errorVendor: Pen.IETF, code, info: { format: 'offset', offset } };
}

/** A fatal IETF "Version Not Supported" PB-Error (we support exactly version 2). */
export function pbVersionError(badVersion: number): PbError {
  return {
    kind: 'error',
    fatal: true,
    errorVendor: Pen.IETF,
    code: PbErrorCode.VERSION_NOT_SUPPORTED,
    info: { format: 'version', badVersion, maxVersion: PB_TNC_VERSION, minVersion: PB_TNC_VERSION },
  };
}

export const pbError: PbMessageCodec<PbError> = {
  kind: 'error',
  vendor: Pen.IETF,
  type: PbMessageType.ERROR,
  name: 'PB-Error',
  noskip: true,
  minLength: 20,
  exact: false,
  resultOnly: false,
  encodeValue(w, m) {
    w.u8(m.fatal ? PB_ERROR_FLAG_FATAL : 0)
      .u24(m.errorVendor)
      .u16(m.code)
      .u16(0);
    const i = m.info;
    switch (i.format) {
      case 'offset':
        w.u32(i.offset);
        return;
      case 'version':
        w.u8(i.badVersion).u8(i.maxVersion).u8(i.minVersion).u8(0);
        return;
      case 'raw':
        w.bytes(i.data);
        return;
    }
  },
  decodeValue(r) {
    const fatal = (r.u8('flags') & PB_ERROR_FLAG_FATAL) !== 0;
    const errorVendor = r.u24('errorVendor');
    const code = r.u16('code');
    r.skip(2, 'reserved');
    if (errorVendor === Pen.IETF && r.remaining === 4) {
      if (code === PbErrorCode.VERSION_NOT_SUPPORTED) {
        const badVersion = r.u8('badVersion');
        const maxVersion = r.u8('maxVersion');
        const minVersion = r.u8('minVersion');
        r.skip(1, 'reserved');
        return { fatal, errorVendor, code, info: { format: 'version', badVersion, maxVersion, minVersion } };
      }
      return { fatal, errorVendor, code, info: { format: 'offset', offset: r.u32('offset') } };
    }
    return { fatal, errorVendor, code, info: { format: 'raw', data: r.copy(r.remaining, 'parameters') } };
  },
};
