/**
 * TCG PTS Request PTS Protocol Capabilities (type 0x01000000) and PTS Protocol Capabilities (type 0x02000000)
 * (PTS IF-M Binding §3.7): the same layout, the sender's capability flags.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  Reserved                       |C|V|D|T|X|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * C current evidence 0x10, V verification 0x08, D D-H nonce negotiation 0x04, T trusted platform 0x02,
 * X XML integrity reports 0x01. strongSwan reads 16 reserved bits and a 16-bit flags field; bits beyond the five
 * are kept as received.
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { TcgPtsAttr } from '../constants.ts';
import { flagWordCodec } from './flag-word.ts';

export interface TcgPtsReqProtoCaps extends PaAttribute {
  readonly kind: 'tcg/pts-req-proto-caps';
  flags: number;
}
export interface TcgPtsProtoCaps extends PaAttribute {
  readonly kind: 'tcg/pts-proto-caps';
  flags: number;
}

export const tcgPtsReqProtoCaps: PaAttributeCodec<TcgPtsReqProtoCaps> = flagWordCodec(
  'tcg/pts-req-proto-caps',
  TcgPtsAttr.REQ_PROTO_CAPS,
  'Request PTS Protocol Capabilities',
  'flags',
);

export const tcgPtsProtoCaps: PaAttributeCodec<TcgPtsProtoCaps> = flagWordCodec(
  'tcg/pts-proto-caps',
  TcgPtsAttr.PROTO_CAPS,
  'PTS Protocol Capabilities',
  'flags',
);
