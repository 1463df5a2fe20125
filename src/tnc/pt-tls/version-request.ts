/**
 * PT-TLS Version Request, RFC 6876 §3.7.1 (type 1, client → server, first message of the session).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Reserved    |  Min Vers     |   Max Vers    |  Pref Vers    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PtTlsValueCodec } from './codec.ts';
import { PtTlsType } from './constants.ts';

export interface VersionRequest {
  readonly kind: 'VersionRequest';
  /** Min Vers (8): lowest version the client supports. */
  min: number;
  /** Max Vers (8): highest version the client supports. */
  max: number;
  /** Pref Vers (8): the version the client would like. */
  preferred: number;
}

export const versionRequestCodec: PtTlsValueCodec<VersionRequest> = {
  type: PtTlsType.VERSION_REQUEST,
  kind: 'VersionRequest',
  encode(w, v) {
    w.u8(0).u8(v.min).u8(v.max).u8(v.preferred);
  },
  decode(r) {
    r.skip(1, 'reserved');
    const min = r.u8('min');
    const max = r.u8('max');
    const preferred = r.u8('preferred');
    r.end();
    return { kind: 'VersionRequest', min, max, preferred };
  },
};
