/**
 * IETF Assessment Result (RFC 5792 §4.2.9), type 9: an IMV's evaluation result (EvaluationResult).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Assessment Result                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PaAttribute, PaAttributeCodec } from '../../attribute.ts';
import { IetfAttr, Pen } from '../../constants.ts';

export interface IetfAssessmentResult extends PaAttribute {
  readonly kind: 'ietf/assessment-result';
  /** EvaluationResult value. */
  result: number;
}

export const ietfAssessmentResult: PaAttributeCodec<IetfAssessmentResult> = {
  kind: 'ietf/assessment-result',
  vendor: Pen.IETF,
  type: IetfAttr.ASSESSMENT_RESULT,
  name: 'Assessment Result',
  encodeValue(w, a) {
    w.u32(a.result);
  },
  decodeValue(r) {
    return { result: r.u32('result') };
  },
};
