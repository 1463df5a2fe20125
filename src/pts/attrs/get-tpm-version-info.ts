/**
 * TCG PTS Get TPM Version Information (PTS IF-M Binding §3.10), vendor TCG, type 0x08000000: a request whose value is 32 reserved
 * bits (zero on send, ignored on receipt, as strongSwan does).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                            Reserved                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { Pen } from '../../tnc/pa/constants.ts';
import { TcgPtsAttr } from '../constants.ts';

export interface TcgPtsGetTpmVersionInfo extends PaAttribute {
  readonly kind: 'tcg/pts-get-tpm-version-info';
}

export const tcgPtsGetTpmVersionInfo: PaAttributeCodec<TcgPtsGetTpmVersionInfo> = {
  kind: 'tcg/pts-get-tpm-version-info',
  vendor: Pen.TCG,
  type: TcgPtsAttr.GET_TPM_VERSION_INFO,
  name: 'Get TPM Version Information',
  encodeValue(w) {
    w.u32(0);
  },
  decodeValue(r) {
    r.skip(4, 'reserved');
    return {};
  },
};
