/**
 * TCG PTS D-H Nonce Parameters Response (PTS IF-M Binding §3.8.2), type 0x04000000.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Reserved                    |   Nonce Len   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Selected D-H Group     |      Hash Algorithm Set       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 D-H Responder Nonce (Variable Length)         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |              D-H Responder Public Value (Variable Length)     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The public value is the IKE KE encoding of the group (ECP: x ‖ y; MODP: left-padded to the prime length).
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { Pen } from '../../tnc/pa/constants.ts';
import { TcgPtsAttr } from '../constants.ts';

export interface TcgPtsDhNonceParamsResponse extends PaAttribute {
  readonly kind: 'tcg/pts-dh-nonce-params-resp';
  dhGroup: number;
  hashAlgorithms: number;
  responderNonce: Uint8Array;
  responderValue: Uint8Array;
}

export const tcgPtsDhNonceParamsResponse: PaAttributeCodec<TcgPtsDhNonceParamsResponse> = {
  kind: 'tcg/pts-dh-nonce-params-resp',
  vendor: Pen.TCG,
  type: TcgPtsAttr.DH_NONCE_PARAMS_RESP,
  name: 'D-H Nonce Parameters Response',
  encodeValue(w, a) {
    w.u24(0).u8(a.responderNonce.byteLength).u16(a.dhGroup).u16(a.hashAlgorithms);
    w.bytes(a.responderNonce).bytes(a.responderValue);
  },
  decodeValue(r) {
    r.skip(3, 'reserved');
    const n = r.u8('nonceLength');
    const dhGroup = r.u16('dhGroup');
    const hashAlgorithms = r.u16('hashAlgorithms');
    const responderNonce = r.copy(n, 'responderNonce');
    return { dhGroup, hashAlgorithms, responderNonce, responderValue: r.copy(r.remaining, 'responderValue') };
  },
};
