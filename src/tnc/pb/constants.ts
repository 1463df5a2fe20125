/**
 * PB-TNC constants (RFC 5793 §4; strongSwan's ITA-HSR message namespace). Spec-named `as const` tables with
 * reverse name tables for logs.
 */
import { reverse } from '../../common/index.ts';
import { EvaluationResult, EvaluationResultName, PEN_RESERVED } from '../pa/constants.ts';

export const PB_TNC_VERSION = 2;
export const PB_BATCH_HEADER_SIZE = 8;
export const PB_MSG_HEADER_SIZE = 12;
/** Batch header flag: the sender is a PB-TNC server (RFC 5793 §4.1). */
export const PB_BATCH_FLAG_D = 0x80;
/** Message header flag (RFC 5793 §4.2). */
export const PB_MSG_FLAG_NOSKIP = 0x80;
export const PB_PEN_RESERVED = PEN_RESERVED;
export const PB_MSG_TYPE_RESERVED = 0xffffffff;

/** Batch types (RFC 5793 §4.1). */
export const PbBatchType = { CDATA: 1, SDATA: 2, RESULT: 3, CRETRY: 4, SRETRY: 5, CLOSE: 6 } as const;
export type PbBatchTypeValue = (typeof PbBatchType)[keyof typeof PbBatchType];
export const PbBatchTypeName = reverse(PbBatchType);
export function isPbBatchType(n: number): n is PbBatchTypeValue {
  return n >= PbBatchType.CDATA && n <= PbBatchType.CLOSE;
}

/** IETF message types (RFC 5793 §4.3). */
export const PbMessageType = {
  EXPERIMENTAL: 0,
  PA: 1,
  ASSESSMENT_RESULT: 2,
  ACCESS_RECOMMENDATION: 3,
  REMEDIATION_PARAMETERS: 4,
  ERROR: 5,
  LANGUAGE_PREFERENCE: 6,
  REASON_STRING: 7,
} as const;
export const PbMessageTypeName = reverse(PbMessageType);

/** ITA-HSR (PEN 0x00902a) message types (strongSwan tnccs_20/messages/pb_tnc_msg.h). */
export const PbItaMessageType = { NOSKIP_TEST: 0, MUTUAL_CAPABILITY: 1 } as const;
export const PbItaMessageTypeName = reverse(PbItaMessageType);

/** PB-Mutual-Capability protocol bits. */
export const MutualProtocol = { HALF_DUPLEX: 0x80000000, FULL_DUPLEX: 0x40000000 } as const;

/** PB-TNC error codes in the IETF namespace (RFC 5793 §4.9.1). */
export const PbErrorCode = {
  UNEXPECTED_BATCH_TYPE: 0,
  INVALID_PARAMETER: 1,
  LOCAL_ERROR: 2,
  UNSUPPORTED_MANDATORY_MESSAGE: 3,
  VERSION_NOT_SUPPORTED: 4,
} as const;
export const PbErrorCodeName = reverse(PbErrorCode);

/** PB-Access-Recommendation codes (RFC 5793 §4.7). There is no "no recommendation" on the wire. */
export const Recommendation = { ACCESS_ALLOWED: 1, ACCESS_DENIED: 2, QUARANTINED: 3 } as const;
export type RecommendationValue = (typeof Recommendation)[keyof typeof Recommendation];
export const RecommendationName = reverse(Recommendation);

/** IF-IMV action recommendations (TNC IF-IMV 1.3), what IMVs produce; mapped onto the wire by `toPbRecommendation`. */
export const ActionRecommendation = { ALLOW: 0, NO_ACCESS: 1, ISOLATE: 2, NO_RECOMMENDATION: 3 } as const;
export type ActionRecommendationValue = (typeof ActionRecommendation)[keyof typeof ActionRecommendation];

/** strongSwan's mapping (tnccs_20_server.c): allow → allowed, isolate → quarantined, anything else → denied. */
export function toPbRecommendation(a: ActionRecommendationValue): RecommendationValue {
  switch (a) {
    case ActionRecommendation.ALLOW:
      return Recommendation.ACCESS_ALLOWED;
    case ActionRecommendation.ISOLATE:
      return Recommendation.QUARANTINED;
    case ActionRecommendation.NO_ACCESS:
    case ActionRecommendation.NO_RECOMMENDATION:
      return Recommendation.ACCESS_DENIED;
  }
}

/** PB-Assessment-Result values = IF-IMV evaluation results (RFC 5793 §4.6): the PA-TNC table (RFC 5792 §4.2.9). */
export const AssessmentResult = EvaluationResult;
export type AssessmentResultValue = (typeof AssessmentResult)[keyof typeof AssessmentResult];
export const AssessmentResultName = EvaluationResultName;

/**
 * Largest batch per transport. PT-EAP (RFC 7171): an EAP length is 16 bits, minus the 6-byte PT-EAP header
 * (strongSwan builds at most 4 × 16384 − 14 = 65522). PT-TLS: strongSwan's 128 × 16384 − 16.
 */
export const MaxBatchSize = { PT_EAP: 65529, PT_EAP_STRONGSWAN: 65522, PT_TLS: 2097136 } as const;
