/**
 * TCG PTS Request File Measurement (PTS IF-M Binding §3.19.1), type 0x00C00000.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |D|  Reserved   |   Reserved    |         Request ID            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           Delimiter                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~       Fully Qualified File Pathname (Variable Length)         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * D (0x80): measure the regular files directly in the directory (not recursively), named relative to it.
 * Delimiter: the path separator, '/' (0x2f) on Unix.
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { Pen } from '../../tnc/pa/constants.ts';
import { TcgPtsAttr } from '../constants.ts';

export const PTS_DIRECTORY_FLAG = 0x80;

export interface TcgPtsReqFileMeas extends PaAttribute {
  readonly kind: 'tcg/pts-req-file-meas';
  directory: boolean;
  requestId: number;
  delimiter: number;
  path: string;
}

export const tcgPtsReqFileMeas: PaAttributeCodec<TcgPtsReqFileMeas> = {
  kind: 'tcg/pts-req-file-meas',
  vendor: Pen.TCG,
  type: TcgPtsAttr.REQ_FILE_MEAS,
  name: 'Request File Measurement',
  encodeValue(w, a) {
    w.u8(a.directory ? PTS_DIRECTORY_FLAG : 0)
      .u8(0)
      .u16(a.requestId)
      .u32(a.delimiter)
      .utf8(a.path);
  },
  decodeValue(r) {
    const flags = r.u8('flags');
    r.skip(1, 'reserved');
    const requestId = r.u16('requestId');
    const delimiter = r.u32('delimiter');
    return { directory: (flags & PTS_DIRECTORY_FLAG) !== 0, requestId, delimiter, path: r.utf8(r.remaining, 'path') };
  },
};
