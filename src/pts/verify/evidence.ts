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

/** Why a measured file failed: no reference, digest mismatch, wrong digest size, request not answered. */
export type PtsFileFindingKind = 'no-reference' | 'mismatch' | 'bad-size' | 'unanswered';

/** A measured file (or an unanswered request for a file or directory) that did not pass. */
export interface PtsFileFinding {
  /** The file's path (a directory entry joined to its directory; the requested path for an unanswered request). */
  path: string;
  kind: PtsFileFindingKind;
  /** Set for an unanswered request for a directory. */
  directory?: boolean;
  /** The reason as it appears in `reasons`. */
  reason: string;
}

export interface PtsVerdict {
  recommendation: ActionRecommendationValue;
  /** IF-IMV evaluation result (EvaluationResult of src/tnc/pa). */
  evaluation: number;
  /** Every reason the device was not allowed, each naming what is wrong; empty when allowed. */
  reasons: string[];
  /** The measured files that failed, one per file reason in `reasons` (a policy may weigh these). */
  fileFindings: PtsFileFinding[];
  /**
   * The reasons that are not about a measured file — AIK, quote, IMA, boot, protocol and collection problems —
   * in `reasons` order. Any of them means no access, whatever a policy says about files.
   */
  otherReasons: string[];
  /** When the evidence was judged (ISO 8601). */
  evaluatedAt: string;
  /**
   * IMA events taken as proved at the device's last checkpoint (incremental IMA verification, ima-history.ts) and
   * those judged now against the references; present when the evidence had PCR 10 events.
   */
  imaEvents?: { proven: number; judged: number };
  /** SHA-1 key id of the AIK, hex, when one was received. */
  aikKeyId?: string;
}
