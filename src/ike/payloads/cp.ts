/**
 * Configuration payload (RFC 7296 §3.15) and its Configuration Attributes (§3.15.1).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C| RESERVED    |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   CFG Type    |                    RESERVED                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                   Configuration Attributes                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Configuration attribute (§3.15.1):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |R|         Attribute Type      |            Length             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                             Value                             ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { LimitError } from '../../common/errors.ts';
import type { PayloadCodec } from './codec.ts';
import type { CfgAttr, CpPayload } from './types.ts';
import { PayloadType } from './types.ts';

export const cp: PayloadCodec<CpPayload> = {
  name: 'CP',
  encode(p, w) {
    w.u8(p.cfgType).zeros(3);
    for (const a of p.attributes) {
      if (a.type > 0x7fff) throw new LimitError('cp.attribute.type', `${a.type} does not fit in 15 bits`);
      w.u16(a.type).lengthPrefixed(2, () => w.bytes(a.value));
    }
  },
  decode(r) {
    /** CFG Type (CfgType). */
    const cfgType = r.u8('cfgType');
    r.skip(3, 'reserved');
    const attributes: CfgAttr[] = [];
    for (let i = 0; !r.done; i++) {
      /** The R bit is reserved and ignored. */
      const type = r.u16(`attr[${i}].type`) & 0x7fff;
      const len = r.u16(`attr[${i}].length`);
      attributes.push({ type, value: r.copy(len, `attr[${i}].value`) });
    }
    return { type: PayloadType.CP, cfgType, attributes };
  },
};
