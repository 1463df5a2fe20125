/**
 * ITA-HSR Dummy (strongSwan ita_attr_dummy.c), PEN 0x00902a type 2: filler bytes (strongSwan sends 0xdd) used to
 * test large attributes and segmentation.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Dummy Data (Variable Length)               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PaAttribute, PaAttributeCodec } from '../../attribute.ts';
import { ItaAttr, Pen } from '../../constants.ts';

export interface ItaDummy extends PaAttribute {
  readonly kind: 'ita/dummy';
  data: Uint8Array;
}

/** A dummy attribute of `size` bytes of 0xdd, as strongSwan's imc-test builds it. */
export function itaDummyOfSize(size: number, noskip = false): ItaDummy {
  return { kind: 'ita/dummy', noskip, data: new Uint8Array(size).fill(0xdd) };
}

export const itaDummy: PaAttributeCodec<ItaDummy> = {
  kind: 'ita/dummy',
  vendor: Pen.ITA,
  type: ItaAttr.DUMMY,
  name: 'Dummy',
  encodeValue(w, a) {
    w.bytes(a.data);
  },
  decodeValue(r) {
    return { data: r.copy(r.remaining, 'data') };
  },
};
