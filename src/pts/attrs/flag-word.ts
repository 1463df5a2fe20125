/**
 * The value layout shared by the PTS Protocol Capabilities attributes (PTS IF-M Binding §3.7) and the Measurement
 * Algorithm attributes (§3.9): 16 reserved bits, then one 16-bit flag word.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            Reserved           |           Flag word           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { Pen } from '../../tnc/pa/constants.ts';

/**
 * Codec of a TCG attribute of this layout, whose value `A` is the one number `field` (named so in the decoded
 * value and in parse errors).
 */
export function flagWordCodec<A extends PaAttribute & Record<F, number>, F extends string>(
  kind: A['kind'],
  type: number,
  name: string,
  field: F,
): PaAttributeCodec<A> {
  return {
    kind,
    vendor: Pen.TCG,
    type,
    name,
    encodeValue(w, a) {
      w.u16(0).u16(a[field]);
    },
    decodeValue(r) {
      r.skip(2, 'reserved');
      return { [field]: r.u16(field) } as Omit<A, 'kind' | 'noskip'>;
    },
  };
}
