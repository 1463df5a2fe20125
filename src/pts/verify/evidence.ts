/**
 * The evidence a PTS verifier collects over one exchange, and the verdict it reaches. Plain data: the verifier
 * state machine (verifier.ts) fills it, the pure evaluation (evaluate.ts) judges it.
 */
import type { ActionRecommendationValue } from '../../tnc/pb/constants.ts';
import type { TcgPtsSimpleCompEvid } from '../attrs/simple-component-evidence.ts';
import type { TcgPtsSimpleEvidFinal } from '../attrs/simple-evidence-final.ts';
import type { PtsFileMeasurementEntry } from '../attrs/file-measurement.ts';

export interface PtsFileRequest {
  requestId: number;
  path: string;
  directory: boolean;
}

export interface PtsEvidence {
  /** Selected measurement algorithm (PTS bit), 0 before selection. */
  measAlgorithm: number;
  /** PTS protocol capability flags of the attester. */
  protoCaps?: number;
  /** File measurement requests sent, by request id. */
  fileRequests: PtsFileRequest[];
  /** File measurement results, by request id. */
  fileResults: Map<number, PtsFileMeasurementEntry[]>;
  tpmVersionInfo?: Uint8Array;
  aik?: { naked: boolean; data: Uint8Array };
  /** PCRs the quote must cover whatever the evidence (e.g. 0–7 when every platform logs separators there). */
  requiredPcrs: number[];
  /** Whether TPM evidence (components and quote) was requested. */
  expectQuote: boolean;
  components: TcgPtsSimpleCompEvid[];
  final?: TcgPtsSimpleEvidFinal;
  /** Problems found while collecting (peer errors, limits, protocol violations), each a reason. */
  problems: string[];
}

export function emptyEvidence(): PtsEvidence {
  return {
    measAlgorithm: 0,
    fileRequests: [],
    fileResults: new Map(),
    requiredPcrs: [],
    expectQuote: false,
    components: [],
    problems: [],
  };
}

export interface PtsVerdict {
  recommendation: ActionRecommendationValue;
  /** IF-IMV evaluation result (EvaluationResult of src/tnc/pa). */
  evaluation: number;
  /** Every reason the device was not allowed, each naming what is wrong; empty when allowed. */
  reasons: string[];
  /** When the evidence was judged (ISO 8601). */
  evaluatedAt: string;
  /** SHA-1 key id of the AIK, hex, when one was received. */
  aikKeyId?: string;
}
