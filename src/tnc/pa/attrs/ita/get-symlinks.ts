/**
 * ITA-HSR Get Symlinks (strongSwan ita_attr.c, a generic string attribute), PEN 0x00902a type 9: the directories
 * whose symbolic links the IMV wants to know, as one string.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  Directories (Variable Length)                |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PaAttribute, PaAttributeCodec } from '../../attribute.ts';
import { ItaAttr, Pen } from '../../constants.ts';

export interface ItaGetSymlinks extends PaAttribute {
  readonly kind: 'ita/get-symlinks';
  directories: string;
}

export const itaGetSymlinks: PaAttributeCodec<ItaGetSymlinks> = {
  kind: 'ita/get-symlinks',
  vendor: Pen.ITA,
  type: ItaAttr.GET_SYMLINKS,
  name: 'Get Symlinks',
  encodeValue(w, a) {
    w.utf8(a.directories);
  },
  decodeValue(r) {
    return { directories: r.utf8(r.remaining, 'directories') };
  },
};
