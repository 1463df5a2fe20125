/**
 * Storing what the verifiers decided: one session per assessment (time, the peer's identity, its device and
 * product), one verdict row per verifier with every reason it gave, and the session's final recommendation. Written
 * in one transaction, so an assessment is stored whole or not at all (WAL: a kill -9 loses no committed one).
 *
 * A device the verifiers identified (by its AIK key id) but the database does not know is added untrusted, so that
 * an operator sees it (`attestd refdb devices list`) and can enrol it (`attestd refdb devices trust KEYID`).
 */
import type { ImvVerdict } from '../tnc/imc-imv/api.ts';
import type { TncSide } from '../tnc/imc-imv/pb-tnc.ts';
import { EvaluationResult } from '../tnc/pa/constants.ts';
import { ActionRecommendation } from '../tnc/pb/constants.ts';
import type { RefStore } from './store.ts';

export interface AssessmentRecord {
  /** Seconds since the epoch (default now). */
  time?: number;
  /** The peer's identity (IKE identity, TLS subject, SASL name). */
  identity: string;
  /** Product (OS) name, when known. */
  product?: string;
  /** Each verifier's verdict, by verifier name. */
  verdicts: readonly { imv: string; verdict: ImvVerdict | undefined }[];
  /** The combined recommendation (IF-IMV action recommendation) that was enforced. */
  recommendation: number;
}

/** The device key id the verifiers reported (the attestation verifier names the AIK it checked). */
function deviceOf(verdicts: AssessmentRecord['verdicts']): string | undefined {
  for (const v of verdicts) if (v.verdict?.device) return v.verdict.device;
  return undefined;
}

/** Stores an assessment; returns its session id. */
export async function recordAssessment(store: RefStore, a: AssessmentRecord): Promise<number> {
  const time = a.time ?? Math.floor(Date.now() / 1000);
  return store.transaction(async (s) => {
    const product = a.product ? await s.addProduct(a.product) : null;
    const key = deviceOf(a.verdicts);
    let device: number | null = null;
    if (key) device = (await s.deviceByValue(key))?.id ?? (await s.addDevice({ value: key, product }));
    const session = await s.createSession({ time, identity: a.identity, device, product });
    for (const { imv, verdict } of a.verdicts) {
      await s.addVerdict({
        session,
        imv,
        // A verifier that never decided counts as "no recommendation", with that as its reason.
        rec: verdict?.recommendation ?? ActionRecommendation.NO_RECOMMENDATION,
        evaluation: verdict?.evaluation ?? EvaluationResult.DONT_KNOW,
        reasons: verdict ? verdict.reasons : ['no verdict'],
      });
    }
    await s.setSessionRecommendation(session, a.recommendation);
    return session;
  });
}

/**
 * Stores the assessment a TNC side made of its peer: each of its verifiers' verdicts and the combined
 * recommendation (none, when the exchange never decided, is stored as "no access": what is enforced then).
 */
export function recordSide(
  store: RefStore,
  side: TncSide,
  o: { identity: string; product?: string; time?: number },
): Promise<number> {
  return recordAssessment(store, {
    identity: o.identity,
    ...(o.product ? { product: o.product } : {}),
    ...(o.time !== undefined ? { time: o.time } : {}),
    verdicts: side.server?.verdicts() ?? [],
    recommendation: side.outcome().verdict?.recommendation ?? ActionRecommendation.NO_ACCESS,
  });
}
