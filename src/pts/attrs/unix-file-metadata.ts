/**
 * TCG PTS Unix-Style File Metadata (PTS IF-M Binding §3.17.3), type 0x00900000.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Number of Files included (64)               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   File metadata Length        |    Type       |   Reserved    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | File Size (64) | Create Time (64) | Last Modify (64) | Last Access (64) | Owner ID (64) | Group ID (64)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                   Filename (Variable Length)                  ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The metadata length covers the 52-byte fixed part and the name. Times are Unix seconds. Types: pts_file_type.h.
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { Pen } from '../../tnc/pa/constants.ts';
import { TcgPtsAttr } from '../constants.ts';

const FIXED = 52;

export interface PtsFileMetadata {
  filename: string;
  type: number;
  size: bigint;
  created: bigint;
  modified: bigint;
  accessed: bigint;
  owner: bigint;
  group: bigint;
}

export interface TcgPtsUnixFileMeta extends PaAttribute {
  readonly kind: 'tcg/pts-unix-file-meta';
  files: PtsFileMetadata[];
}

export const tcgPtsUnixFileMeta: PaAttributeCodec<TcgPtsUnixFileMeta> = {
  kind: 'tcg/pts-unix-file-meta',
  vendor: Pen.TCG,
  type: TcgPtsAttr.UNIX_FILE_META,
  name: 'Unix-Style File Metadata',
  encodeValue(w, a) {
    w.u64(BigInt(a.files.length));
    for (const f of a.files) {
      w.lengthPrefixed(
        2,
        (x) => {
          x.u8(f.type).u8(0).u64(f.size).u64(f.created).u64(f.modified).u64(f.accessed).u64(f.owner).u64(f.group);
          x.utf8(f.filename);
        },
        2,
      );
    }
  },
  decodeValue(r) {
    const count = r.u64('count');
    if (count > BigInt(Math.floor(r.remaining / FIXED)))
      r.fail('count', `${count} files cannot fit in ${r.remaining} bytes`, r.offset - 8);
    const files: PtsFileMetadata[] = [];
    for (let i = 0; i < Number(count); i++) {
      const at = `files[${i}]`;
      const len = r.u16(`${at}.length`);
      if (len < FIXED) r.fail(`${at}.length`, `${len} is below the fixed ${FIXED} bytes`, r.offset - 2);
      const s = r.sub(len - 2, at);
      const type = s.u8('type');
      s.skip(1, 'reserved');
      files.push({
        type,
        size: s.u64('size'),
        created: s.u64('created'),
        modified: s.u64('modified'),
        accessed: s.u64('accessed'),
        owner: s.u64('owner'),
        group: s.u64('group'),
        filename: s.utf8(s.remaining, 'filename'),
      });
    }
    return { files };
  },
};
