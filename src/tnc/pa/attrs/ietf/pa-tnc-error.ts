/**
 * IETF PA-TNC Error (RFC 5792 §4.2.8), type 8.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Reserved   |           PA-TNC Error Code Vendor ID         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         PA-TNC Error Code                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                Error Information (Variable Length)            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * For the IETF codes 1..3 the information starts with a copy of the 8-byte header of the erroneous PA-TNC message
 * (§4.2.8.1), followed by:
 *  - 1 Invalid Parameter (§4.2.8.2): Offset(32) from the start of the message;
 *  - 2 Version Not Supported (§4.2.8.3): Max Version(8), Min Version(8), Reserved(16);
 *  - 3 Attribute Type Not Supported (§4.2.8.4): Flags(8), Attribute Vendor ID(24), Attribute Type(32).
 * Other codes (SWIMA, vendor codes) keep their information raw.
 */
import type { PaAttribute, PaAttributeCodec } from '../../attribute.ts';
import { IetfAttr, PaErrorCode, Pen } from '../../constants.ts';

export type PaTncErrorInfo =
  | { format: 'invalid-parameter'; messageHeader: Uint8Array; offset: number }
  | { format: 'version-not-supported'; messageHeader: Uint8Array; maxVersion: number; minVersion: number }
  | { format: 'attribute-type-not-supported'; messageHeader: Uint8Array; flags: number; vendor: number; type: number }
  | { format: 'raw'; data: Uint8Array };

export interface IetfPaTncError extends PaAttribute {
  readonly kind: 'ietf/pa-tnc-error';
  errorVendor: number;
  errorCode: number;
  info: PaTncErrorInfo;
}

const formatOf = (vendor: number, code: number): PaTncErrorInfo['format'] => {
  if (vendor !== Pen.IETF) return 'raw';
  switch (code) {
    case PaErrorCode.INVALID_PARAMETER:
      return 'invalid-parameter';
    case PaErrorCode.VERSION_NOT_SUPPORTED:
      return 'version-not-supported';
    case PaErrorCode.ATTRIBUTE_TYPE_NOT_SUPPORTED:
      return 'attribute-type-not-supported';
    default:
      return 'raw';
  }
};

export const ietfPaTncError: PaAttributeCodec<IetfPaTncError> = {
  kind: 'ietf/pa-tnc-error',
  vendor: Pen.IETF,
  type: IetfAttr.PA_TNC_ERROR,
  name: 'PA-TNC Error',
  encodeValue(w, a) {
    w.u8(0).u24(a.errorVendor).u32(a.errorCode);
    const info = a.info;
    if (info.format !== 'raw') {
      const h = new Uint8Array(8);
      h.set(info.messageHeader.subarray(0, 8));
      w.bytes(h);
    }
    switch (info.format) {
      case 'invalid-parameter':
        w.u32(info.offset);
        return;
      case 'version-not-supported':
        w.u8(info.maxVersion).u8(info.minVersion).u16(0);
        return;
      case 'attribute-type-not-supported':
        w.u8(info.flags).u24(info.vendor).u32(info.type);
        return;
      case 'raw':
        w.bytes(info.data);
        return;
    }
  },
  decodeValue(r) {
    r.skip(1, 'reserved');
    const errorVendor = r.u24('errorVendor');
    const errorCode = r.u32('errorCode');
    const format = formatOf(errorVendor, errorCode);
    if (format === 'raw') return { errorVendor, errorCode, info: { format, data: r.copy(r.remaining, 'info') } };
    const messageHeader = r.copy(8, 'messageHeader');
    switch (format) {
      case 'invalid-parameter':
        return { errorVendor, errorCode, info: { format, messageHeader, offset: r.u32('offset') } };
      case 'version-not-supported': {
        const maxVersion = r.u8('maxVersion');
        const minVersion = r.u8('minVersion');
        r.skip(2, 'reserved');
        return { errorVendor, errorCode, info: { format, messageHeader, maxVersion, minVersion } };
      }
      case 'attribute-type-not-supported':
        return {
          errorVendor,
          errorCode,
          info: { format, messageHeader, flags: r.u8('flags'), vendor: r.u24('vendor'), type: r.u32('type') },
        };
    }
  },
};
