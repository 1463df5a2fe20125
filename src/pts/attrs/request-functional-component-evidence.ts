/**
 * TCG PTS Request Functional Component Evidence (PTS IF-M Binding §3.14.1), type 0x00100000: one 12-byte entry per
 * component.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Flags     |               Sub-component Depth             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Component Functional Name Vendor ID        |Fam| Qualifier |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Component Functional Name                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          ... repeated ...                     |
 *
 * Flags: T transitive trust chain 0x80, V verify 0x40, C current evidence 0x20, P PCR information 0x10.
 * strongSwan asks for the BIOS log as ITA/IMA with qualifier K|trusted (0x21) and for IMA as ITA/IMA K|OS (0x22).
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { Pen } from '../../tnc/pa/constants.ts';
import { TcgPtsAttr } from '../constants.ts';
import type { PtsCompFuncName } from '../constants.ts';
import { readCompFuncName, writeCompFuncName } from './comp-func-name.ts';

export interface PtsComponentRequest {
  flags: number;
  depth: number;
  name: PtsCompFuncName;
}

export interface TcgPtsReqFuncCompEvid extends PaAttribute {
  readonly kind: 'tcg/pts-req-func-comp-evid';
  components: PtsComponentRequest[];
}

export const tcgPtsReqFuncCompEvid: PaAttributeCodec<TcgPtsReqFuncCompEvid> = {
  kind: 'tcg/pts-req-func-comp-evid',
  vendor: Pen.TCG,
  type: TcgPtsAttr.REQ_FUNC_COMP_EVID,
  name: 'Request Functional Component Evidence',
  encodeValue(w, a) {
    for (const c of a.components) {
      w.u8(c.flags).u24(c.depth);
      writeCompFuncName(w, c.name);
    }
  },
  decodeValue(r) {
    if (r.remaining === 0 || r.remaining % 12 !== 0)
      r.fail('components', `${r.remaining} bytes is not a multiple of 12`);
    const components: PtsComponentRequest[] = [];
    for (let i = 0; !r.done; i++) {
      const s = r.sub(12, `components[${i}]`);
      components.push({ flags: s.u8('flags'), depth: s.u24('depth'), name: readCompFuncName(s) });
    }
    return { components };
  },
};
