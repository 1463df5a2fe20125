/**
 * TCG PTS D-H Nonce Finish (PTS IF-M Binding §3.8.3), type 0x05000000.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Reserved   |   Nonce Len   |   Selected Hash Algorithm     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |              D-H Initiator Public Value (Variable Length)     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 D-H Initiator Nonce (Variable Length)         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The public value fills everything but the trailing nonce of Nonce Len bytes.
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { Pen } from '../../tnc/pa/constants.ts';
import { TcgPtsAttr } from '../constants.ts';

export interface TcgPtsDhNonceFinish extends PaAttribute {
  readonly kind: 'tcg/pts-dh-nonce-finish';
  hashAlgorithm: number;
  initiatorValue: Uint8Array;
  initiatorNonce: Uint8Array;
}

export const tcgPtsDhNonceFinish: PaAttributeCodec<TcgPtsDhNonceFinish> = {
  kind: 'tcg/pts-dh-nonce-finish',
  vendor: Pen.TCG,
  type: TcgPtsAttr.DH_NONCE_FINISH,
  name: 'D-H Nonce Finish',
  encodeValue(w, a) {
    w.u8(0).u8(a.initiatorNonce.byteLength).u16(a.hashAlgorithm).bytes(a.initiatorValue).bytes(a.initiatorNonce);
  },
  decodeValue(r) {
    r.skip(1, 'reserved');
    const n = r.u8('nonceLength');
    const hashAlgorithm = r.u16('hashAlgorithm');
    if (r.remaining < n) r.fail('initiatorNonce', `nonce of ${n} bytes but ${r.remaining} left`);
    const initiatorValue = r.copy(r.remaining - n, 'initiatorValue');
    return { hashAlgorithm, initiatorValue, initiatorNonce: r.copy(n, 'initiatorNonce') };
  },
};
