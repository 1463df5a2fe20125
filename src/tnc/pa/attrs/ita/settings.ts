/**
 * ITA-HSR Settings (strongSwan ita_attr_settings.c), PEN 0x00902a type 4: name/value pairs.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Settings Count                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Name Length            |  Name (Variable Length)       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Value Length           |  Value (Variable Length)      ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          ... repeated ...                     |
 *
 * Values are raw bytes (strongSwan strips one trailing newline when it reads them; we keep them as sent).
 */
import type { PaAttribute, PaAttributeCodec } from '../../attribute.ts';
import { ItaAttr, Pen } from '../../constants.ts';

export interface ItaSettings extends PaAttribute {
  readonly kind: 'ita/settings';
  settings: { name: string; value: Uint8Array }[];
}

export const itaSettings: PaAttributeCodec<ItaSettings> = {
  kind: 'ita/settings',
  vendor: Pen.ITA,
  type: ItaAttr.SETTINGS,
  name: 'Settings',
  encodeValue(w, a) {
    w.u32(a.settings.length);
    for (const s of a.settings) {
      w.lengthPrefixed(2, (x) => x.utf8(s.name));
      w.lengthPrefixed(2, (x) => x.bytes(s.value));
    }
  },
  decodeValue(r) {
    const count = r.u32('count');
    const settings: { name: string; value: Uint8Array }[] = [];
    for (let i = 0; i < count; i++) {
      const name = r.utf8(r.u16(`setting[${i}].name.length`), `setting[${i}].name`);
      const value = r.copy(r.u16(`setting[${i}].value.length`), `setting[${i}].value`);
      settings.push({ name, value });
    }
    return { settings };
  },
};
