/**
 * PB-Access-Recommendation (RFC 5793 §4.7), IETF type 3, NOSKIP clear, exactly 16 bytes, RESULT batch only.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Reserved             |   Access Recommendation Code  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Codes: 1 Access Allowed, 2 Access Denied, 3 Quarantined.
 */
import { Pen } from '../../pa/constants.ts';
import { PbMessageType, Recommendation } from '../constants.ts';
import type { RecommendationValue } from '../constants.ts';
import type { PbMessageCodec } from './codec.ts';

export interface PbAccessRecommendation {
  readonly kind: 'access-recommendation';
  recommendation: RecommendationValue;
}

export const pbAccessRecommendation: PbMessageCodec<PbAccessRecommendation> = {
  kind: 'access-recommendation',
  vendor: Pen.IETF,
  type: PbMessageType.ACCESS_RECOMMENDATION,
  name: 'PB-Access-Recommendation',
  noskip: false,
  minLength: 16,
  exact: true,
  resultOnly: true,
  encodeValue(w, m) {
    w.u16(0).u16(m.recommendation);
  },
  decodeValue(r) {
    r.skip(2, 'reserved');
    const v = r.u16('recommendation');
    if (v < Recommendation.ACCESS_ALLOWED || v > Recommendation.QUARANTINED) {
      r.fail('recommendation', `invalid access recommendation ${v}`, 2);
    }
    return { recommendation: v as RecommendationValue };
  },
};
