/**
 * PTS Component Functional Name (PTS IF-M Binding §5.1), shared by Request Functional Component Evidence and Simple
 * Component Evidence.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Component Functional Name Vendor ID        |Fam| Qualifier |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Component Functional Name                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Family 0 (the TCG binary encoding) is the only one defined; others are refused (strongSwan: Invalid Name Family).
 */
import type { Reader, Writer } from '../../common/index.ts';
import type { PtsCompFuncName } from '../constants.ts';

const FAMILY_MASK = 0xc0;

export function writeCompFuncName(w: Writer, n: PtsCompFuncName): void {
  w.u24(n.vendor)
    .u8(n.qualifier & 0x3f)
    .u32(n.name);
}

export function readCompFuncName(r: Reader): PtsCompFuncName {
  const vendor = r.u24('vendor');
  const fq = r.u8('qualifier');
  if (fq & FAMILY_MASK) r.fail('family', `functional name encoding family ${fq >> 6} is not supported`, r.offset - 1);
  return { vendor, qualifier: fq & 0x3f, name: r.u32('name') };
}
