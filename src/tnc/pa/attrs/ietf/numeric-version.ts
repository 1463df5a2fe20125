/**
 * IETF Numeric Version (RFC 5792 §4.2.3), type 3.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Major Version Number                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Minor Version Number                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           Build Number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      Service Pack Major       |      Service Pack Minor       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PaAttribute, PaAttributeCodec } from '../../attribute.ts';
import { IetfAttr, Pen } from '../../constants.ts';

export interface IetfNumericVersion extends PaAttribute {
  readonly kind: 'ietf/numeric-version';
  major: number;
  minor: number;
  build: number;
  servicePackMajor: number;
  servicePackMinor: number;
}

export const ietfNumericVersion: PaAttributeCodec<IetfNumericVersion> = {
  kind: 'ietf/numeric-version',
  vendor: Pen.IETF,
  type: IetfAttr.NUMERIC_VERSION,
  name: 'Numeric Version',
  encodeValue(w, a) {
    w.u32(a.major).u32(a.minor).u32(a.build).u16(a.servicePackMajor).u16(a.servicePackMinor);
  },
  decodeValue(r) {
    return {
      major: r.u32('major'),
      minor: r.u32('minor'),
      build: r.u32('build'),
      servicePackMajor: r.u16('servicePackMajor'),
      servicePackMinor: r.u16('servicePackMinor'),
    };
  },
};
