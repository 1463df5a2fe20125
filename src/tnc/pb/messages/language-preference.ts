/**
 * PB-Language-Preference (RFC 5793 §4.10), IETF type 6, NOSKIP clear: an RFC 3282 Accept-Language header,
 * US-ASCII, not NUL-terminated; strongSwan requires the "Accept-Language: " prefix.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Language Preference (Variable Length)         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { Pen } from '../../pa/constants.ts';
import { PbMessageType } from '../constants.ts';
import type { PbMessageCodec } from './codec.ts';

export const ACCEPT_LANGUAGE_PREFIX = 'Accept-Language: ';

export interface PbLanguagePreference {
  readonly kind: 'language-preference';
  /** The language range list after the prefix, e.g. "en". */
  language: string;
}

export const pbLanguagePreference: PbMessageCodec<PbLanguagePreference> = {
  kind: 'language-preference',
  vendor: Pen.IETF,
  type: PbMessageType.LANGUAGE_PREFERENCE,
  name: 'PB-Language-Preference',
  noskip: false,
  minLength: 12,
  exact: false,
  resultOnly: false,
  encodeValue(w, m) {
    w.utf8(ACCEPT_LANGUAGE_PREFIX + m.language);
  },
  decodeValue(r) {
    const s = r.utf8(r.remaining, 'language');
    if (!s.startsWith(ACCEPT_LANGUAGE_PREFIX)) r.fail('language', `must start with "${ACCEPT_LANGUAGE_PREFIX}"`, 0);
    if (s.includes('\0')) r.fail('language', 'NUL in language preference', 0);
    return { language: s.slice(ACCEPT_LANGUAGE_PREFIX.length) };
  },
};
