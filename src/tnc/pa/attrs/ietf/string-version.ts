/**
 * IETF String Version (RFC 5792 §4.2.4), type 4. Three UTF-8 strings with 8-bit lengths, none NUL-terminated.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Version Len  |   Product Version Number (Variable Length)    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Build Num Len |   Internal Build Number (Variable Length)     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Config. Len  | Configuration Version Number (Variable Length)|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { Reader, Writer } from '../../../../common/index.ts';
import type { PaAttribute, PaAttributeCodec } from '../../attribute.ts';
import { IetfAttr, Pen } from '../../constants.ts';

export interface IetfStringVersion extends PaAttribute {
  readonly kind: 'ietf/string-version';
  version: string;
  build: string;
  config: string;
}

/** An 8-bit length-prefixed string without NUL (shared by several IETF attributes). */
export function readString8(r: Reader, field: string): string {
  const n = r.u8(`${field}.length`);
  const at = r.offset;
  const s = r.utf8(n, field);
  const nul = s.indexOf('\0');
  if (nul >= 0) r.fail(field, 'NUL character in string', at + new TextEncoder().encode(s.slice(0, nul)).byteLength);
  return s;
}
export function writeString8(w: Writer, s: string): void {
  w.lengthPrefixed(1, (x) => x.utf8(s));
}

export const ietfStringVersion: PaAttributeCodec<IetfStringVersion> = {
  kind: 'ietf/string-version',
  vendor: Pen.IETF,
  type: IetfAttr.STRING_VERSION,
  name: 'String Version',
  encodeValue(w, a) {
    writeString8(w, a.version);
    writeString8(w, a.build);
    writeString8(w, a.config);
  },
  decodeValue(r) {
    return { version: readString8(r, 'version'), build: readString8(r, 'build'), config: readString8(r, 'config') };
  },
};
