/**
 * PT-TLS PB-TNC Batch, RFC 6876 §3.6 (IETF message type 7, either direction, Data Transport phase only): one whole
 * PB-TNC batch (RFC 5793 §4.1), carried as opaque bytes; PT-TLS never looks inside.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 PB-TNC Batch (Variable Length)                |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PtTlsValueCodec } from './codec.ts';
import { PtTlsType } from './constants.ts';

export interface PbTncBatchMessage {
  readonly kind: 'PbTncBatch';
  /** The PB-TNC batch, header included; never interpreted by PT-TLS. */
  batch: Uint8Array;
}

export const pbTncBatchCodec: PtTlsValueCodec<PbTncBatchMessage> = {
  type: PtTlsType.PB_TNC_BATCH,
  kind: 'PbTncBatch',
  encode(w, v) {
    w.bytes(v.batch);
  },
  decode(r) {
    return { kind: 'PbTncBatch', batch: r.copy(r.remaining, 'batch') };
  },
};
