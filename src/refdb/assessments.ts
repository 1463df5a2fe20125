/**
 * Storing what the verifiers decided: one session per assessment (time, the peer's identity, its device and
 * product), one verdict row per verifier with every reason it gave, and the session's final recommendation. Written
 * in one transaction, so an assessment is stored whole or not at all (WAL: a kill -9 loses no committed one).
 *
 * A device the verifiers identified (by its AIK key id) but the database does not know is added untrusted, so that
 * an operator sees it (`attestd refdb devices list`) and can enrol it (`attestd refdb devices trust KEYID`).
 */
import type { AttestPolicy } from '../imv/attest/index.ts';
import type { ImvVerdict, PeerIdentity } from '../tnc/imc-imv/api.ts';
import type { TncSide } from '../tnc/imc-imv/pb-tnc.ts';
import { EvaluationResult } from '../tnc/pa/constants.ts';
import { ActionRecommendation } from '../tnc/pb/constants.ts';
import { judgeAttestation, planAttestation } from './policy.ts';
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

/**
 * Verdicts the policy engine judged, with the engine's session (which holds the policies' results): the assessment
 * is stored under that session rather than a new one. Keyed by the verdict object the verifier returned, which the
 * TNC server hands back unchanged in `verdicts()`.
 */
const policySessions = new WeakMap<ImvVerdict, number>();

/** Marks `verdict` as judged in the policy engine's `session`; returns it. */
export function underPolicySession<V extends ImvVerdict>(verdict: V, session: number): V {
  policySessions.set(verdict, session);
  return verdict;
}

/** The policy engine session a verdict was judged in, if any. */
export function policySessionOf(verdict: ImvVerdict | undefined): number | undefined {
  return verdict ? policySessions.get(verdict) : undefined;
}

/** Stores an assessment; returns its session id (the policy engine's, when a verdict was judged in one). */
export async function recordAssessment(store: RefStore, a: AssessmentRecord): Promise<number> {
  const time = a.time ?? Math.floor(Date.now() / 1000);
  const engine = a.verdicts.map((v) => policySessionOf(v.verdict)).find((id) => id !== undefined);
  return store.transaction(async (s) => {
    let session: number | undefined;
    const existing = engine === undefined ? undefined : await s.session(engine);
    if (existing) {
      // The engine's session already names the product and the device (the AIK) it judged.
      session = existing.id;
      if (a.identity && existing.identity !== a.identity) await s.setSessionIdentity(session, a.identity);
    } else {
      const product = a.product ? await s.addProduct(a.product) : null;
      const key = deviceOf(a.verdicts);
      let device: number | null = null;
      if (key) device = (await s.deviceByValue(key))?.id ?? (await s.addDevice({ value: key, product }));
      session = await s.createSession({ time, identity: a.identity, device, product });
    }
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

/** The name a peer goes by in the database's sessions ('' when the transport established none). */
export function peerName(peer: PeerIdentity | undefined): string {
  switch (peer?.method) {
    case 'certificate':
      return peer.subject;
    case 'sasl-plain':
      return peer.authcid;
    case 'eap':
      return peer.identity;
    default:
      return '';
  }
}

/**
 * The attestation verifier's policy hook over the reference database: per handshake, the plan of the file and
 * directory measurement policies enforced for `product` (what to measure; max_age skips); per verdict, the
 * judgement (rec_fail / rec_noresult), marked so that the assessment is stored under the engine's session.
 */
export function refdbAttestPolicy(store: RefStore, o: { product: string; now?: () => number }): AttestPolicy {
  const now = o.now ?? (() => Math.floor(Date.now() / 1000));
  return {
    async plan(ctx) {
      const plan = await planAttestation(store, { product: o.product, identity: peerName(ctx.peer), now: now() });
      return {
        targets: plan.targets,
        async judge(verdict, requested) {
          const j = await judgeAttestation(store, plan, verdict, { measured: requested });
          const v: ImvVerdict = {
            recommendation: j.rec as ImvVerdict['recommendation'],
            evaluation: j.evaluation as ImvVerdict['evaluation'],
            reasons: j.reasons,
            ...(verdict.aikKeyId ? { device: verdict.aikKeyId } : {}),
          };
          return underPolicySession(v, j.session);
        },
      };
    },
  };
}
