/**
 * PB-Assessment-Result (RFC 5793 §4.6), IETF type 2, NOSKIP set, exactly 16 bytes, RESULT batch only.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Assessment Result                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Values 0..4 = AssessmentResult (IF-IMV evaluation results).
 */
import { Pen } from '../../pa/constants.ts';
import { AssessmentResult, PbMessageType } from '../constants.ts';
import type { AssessmentResultValue } from '../constants.ts';
import type { PbMessageCodec } from './codec.ts';

export interface PbAssessmentResult {
  readonly kind: 'assessment-result';
  result: AssessmentResultValue;
}

export const pbAssessmentResult: PbMessageCodec<PbAssessmentResult> = {
  kind: 'assessment-result',
  vendor: Pen.IETF,
  type: PbMessageType.ASSESSMENT_RESULT,
  name: 'PB-Assessment-Result',
  noskip: true,
  minLength: 16,
  exact: true,
  resultOnly: true,
  encodeValue(w, m) {
    w.u32(m.result);
  },
  decodeValue(r) {
    const v = r.u32('result');
    if (v > AssessmentResult.DONT_KNOW) r.fail('result', `invalid assessment result ${v}`, 0);
    return { result: v as AssessmentResultValue };
  },
};
