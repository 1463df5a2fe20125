/**
 * PT-TLS Version Response, RFC 6876 §3.7.2 (type 2, server → client): the version chosen from the request's range.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Reserved                   |    Version    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PtTlsValueCodec } from './codec.ts';
import { PtTlsType } from './constants.ts';

export interface VersionResponse {
  readonly kind: 'VersionResponse';
  /** Version (8): the selected PT-TLS version. */
  version: number;
}

export const versionResponseCodec: PtTlsValueCodec<VersionResponse> = {
  type: PtTlsType.VERSION_RESPONSE,
  kind: 'VersionResponse',
  encode(w, v) {
    w.u24(0).u8(v.version);
  },
  decode(r) {
    r.skip(3, 'reserved');
    const version = r.u8('version');
    r.end();
    return { kind: 'VersionResponse', version };
  },
};
