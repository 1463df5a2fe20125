/**
 * ITA-HSR Symlinks (strongSwan ita_attr_symlinks.c), PEN 0x00902a type 10: symbolic links and their targets.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      Number of Symlinks                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |       Symlink #1 Length       |  Symlink #1 Path (Var Len)    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |       Directory #1 Length     |  Directory #1 Path (Var Len)  ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          ... repeated ...                     |
 */
import type { PaAttribute, PaAttributeCodec } from '../../attribute.ts';
import { ItaAttr, Pen } from '../../constants.ts';

export interface ItaSymlinks extends PaAttribute {
  readonly kind: 'ita/symlinks';
  links: { symlink: string; directory: string }[];
}

export const itaSymlinks: PaAttributeCodec<ItaSymlinks> = {
  kind: 'ita/symlinks',
  vendor: Pen.ITA,
  type: ItaAttr.SYMLINKS,
  name: 'Symlinks',
  encodeValue(w, a) {
    w.u32(a.links.length);
    for (const l of a.links) {
      w.lengthPrefixed(2, (x) => x.utf8(l.symlink));
      w.lengthPrefixed(2, (x) => x.utf8(l.directory));
    }
  },
  decodeValue(r) {
    const count = r.u32('count');
    const links: { symlink: string; directory: string }[] = [];
    for (let i = 0; i < count; i++) {
      const symlink = r.utf8(r.u16(`link[${i}].symlink.length`), `link[${i}].symlink`);
      const directory = r.utf8(r.u16(`link[${i}].directory.length`), `link[${i}].directory`);
      links.push({ symlink, directory });
    }
    return { links };
  },
};
