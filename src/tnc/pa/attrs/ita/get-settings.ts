/**
 * ITA-HSR Get Settings (strongSwan ita_attr_get_settings.c), PEN 0x00902a type 3: names of settings to report.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Settings Count                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Name Length            |  Name (Variable Length)       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          ... repeated ...                     |
 */
import type { PaAttribute, PaAttributeCodec } from '../../attribute.ts';
import { ItaAttr, Pen } from '../../constants.ts';

export interface ItaGetSettings extends PaAttribute {
  readonly kind: 'ita/get-settings';
  names: string[];
}

export const itaGetSettings: PaAttributeCodec<ItaGetSettings> = {
  kind: 'ita/get-settings',
  vendor: Pen.ITA,
  type: ItaAttr.GET_SETTINGS,
  name: 'Get Settings',
  encodeValue(w, a) {
    w.u32(a.names.length);
    for (const n of a.names) w.lengthPrefixed(2, (x) => x.utf8(n));
  },
  decodeValue(r) {
    const count = r.u32('count');
    const names: string[] = [];
    for (let i = 0; i < count; i++) names.push(r.utf8(r.u16(`name[${i}].length`), `name[${i}]`));
    return { names };
  },
};
