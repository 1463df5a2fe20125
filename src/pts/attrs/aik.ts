/**
 * TCG PTS Attestation Identity Key (PTS IF-M Binding §3.13), type 0x0E000000.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |N|  Reserved   |  Attestation Identity Key (Variable Length)   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * N (0x80): a naked public key as DER SubjectPublicKeyInfo; else a DER X.509 certificate.
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { Pen } from '../../tnc/pa/constants.ts';
import { TcgPtsAttr } from '../constants.ts';

export const PTS_AIK_FLAG_NAKED = 0x80;

export interface TcgPtsAik extends PaAttribute {
  readonly kind: 'tcg/pts-aik';
  /** True: `aik` is a SubjectPublicKeyInfo; false: an X.509 certificate. */
  naked: boolean;
  aik: Uint8Array;
}

export const tcgPtsAik: PaAttributeCodec<TcgPtsAik> = {
  kind: 'tcg/pts-aik',
  vendor: Pen.TCG,
  type: TcgPtsAttr.AIK,
  name: 'Attestation Identity Key',
  encodeValue(w, a) {
    w.u8(a.naked ? PTS_AIK_FLAG_NAKED : 0).bytes(a.aik);
  },
  decodeValue(r) {
    const flags = r.u8('flags');
    if (r.remaining < 1) r.fail('aik', 'empty key');
    return { naked: (flags & PTS_AIK_FLAG_NAKED) !== 0, aik: r.copy(r.remaining, 'aik') };
  },
};
