/**
 * The codec interface of PB-TNC message values (RFC 5793 §4.2) with strongSwan's per-type rules
 * (tnccs_20/messages/pb_tnc_msg.c `pb_tnc_msg_infos`): expected NOSKIP flag, minimum or exact length (including
 * the 12-byte header) and whether the type is only valid in a RESULT batch.
 */
import type { Reader, Writer } from '../../../common/index.ts';

export interface PbMessageCodec<M extends { readonly kind: string }> {
  readonly kind: M['kind'];
  readonly vendor: number;
  readonly type: number;
  readonly name: string;
  /** The NOSKIP flag this type must carry; 'either' for PB-Experimental. */
  readonly noskip: boolean | 'either';
  /** Minimum message length including the header; with `exact` the only valid length. */
  readonly minLength: number;
  readonly exact: boolean;
  /** Only meaningful in a RESULT batch (a server rejects it elsewhere, a client ignores it). */
  readonly resultOnly: boolean;
  encodeValue(w: Writer, m: M): void;
  /** Gets a reader over exactly the value; must consume all of it. */
  decodeValue(r: Reader): Omit<M, 'kind'>;
}
