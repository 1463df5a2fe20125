/**
 * TCG PTS Request File Metadata (PTS IF-M Binding §3.17.1), type 0x00700000.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |D|  Reserved   |   Delimiter   |           Reserved            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~       Fully Qualified File Pathname (Variable Length)         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * D (0x80): metadata of the entries directly in the directory.
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { Pen } from '../../tnc/pa/constants.ts';
import { TcgPtsAttr } from '../constants.ts';
import { PTS_DIRECTORY_FLAG } from './request-file-measurement.ts';

export interface TcgPtsReqFileMeta extends PaAttribute {
  readonly kind: 'tcg/pts-req-file-meta';
  directory: boolean;
  delimiter: number;
  path: string;
}

export const tcgPtsReqFileMeta: PaAttributeCodec<TcgPtsReqFileMeta> = {
  kind: 'tcg/pts-req-file-meta',
  vendor: Pen.TCG,
  type: TcgPtsAttr.REQ_FILE_META,
  name: 'Request File Metadata',
  encodeValue(w, a) {
    w.u8(a.directory ? PTS_DIRECTORY_FLAG : 0)
      .u8(a.delimiter)
      .u16(0)
      .utf8(a.path);
  },
  decodeValue(r) {
    const flags = r.u8('flags');
    const delimiter = r.u8('delimiter');
    r.skip(2, 'reserved');
    return { directory: (flags & PTS_DIRECTORY_FLAG) !== 0, delimiter, path: r.utf8(r.remaining, 'path') };
  },
};
