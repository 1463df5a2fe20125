/**
 * PB-Reason-String (RFC 5793 §4.11), IETF type 7, NOSKIP clear, at least 17 bytes, RESULT batch only.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      Reason String Length                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                Reason String (Variable Length)                |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Lang Code Len |    Reason String Language Code (Variable Len) |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The reason is UTF-8 and the language code US-ASCII (RFC 5646); neither is NUL-terminated.
 */
import { Pen } from '../../pa/constants.ts';
import { PbMessageType } from '../constants.ts';
import type { PbMessageCodec } from './codec.ts';

export interface PbReasonString {
  readonly kind: 'reason-string';
  reason: string;
  language: string;
}

export const pbReasonString: PbMessageCodec<PbReasonString> = {
  kind: 'reason-string',
  vendor: Pen.IETF,
  type: PbMessageType.REASON_STRING,
  name: 'PB-Reason-String',
  noskip: false,
  minLength: 17,
  exact: false,
  resultOnly: true,
  encodeValue(w, m) {
    w.lengthPrefixed(4, (x) => x.utf8(m.reason));
    w.lengthPrefixed(1, (x) => x.utf8(m.language));
  },
  decodeValue(r) {
    const n = r.u32('reason.length');
    const at = r.offset;
    const reason = r.utf8(n, 'reason');
    if (reason.endsWith('\0')) r.fail('reason', 'reason string must not be NUL-terminated', at + n - 1);
    const m = r.u8('language.length');
    const lat = r.offset;
    const language = r.utf8(m, 'language');
    if (language.endsWith('\0')) r.fail('language', 'language code must not be NUL-terminated', lat + m - 1);
    return { reason, language };
  },
};
