/**
 * Combining several verifiers' verdicts into one, as strongSwan's tnc-imv `recommendation_policy` does
 * (src/libtnccs/plugins/tnc_imv/tnc_imv_recommendations.c, src/libtncif/tncif_policy.c):
 *
 * - `default`: the most restrictive wins. Recommendation order no recommendation < allow < isolate < no access;
 *   evaluation order don't know < compliant < minor < major < error.
 * - `all`: every verifier must agree; any disagreement gives "no recommendation" (evaluation: don't know).
 * - `any`: the most permissive wins. Recommendation allow > isolate > no access > no recommendation; evaluation
 *   compliant > minor > major > error > don't know.
 *
 * The first verdict seeds the result; with no verifier at all the result is no recommendation / don't know.
 */
import { ConfigError } from '../../common/index.ts';
import { ActionRecommendation, AssessmentResult } from '../pb/index.ts';
import type { ActionRecommendationValue, AssessmentResultValue } from '../pb/index.ts';
import type { ImvVerdict } from './api.ts';

export const RecommendationPolicy = { DEFAULT: 'default', ANY: 'any', ALL: 'all' } as const;
export type RecommendationPolicyValue = (typeof RecommendationPolicy)[keyof typeof RecommendationPolicy];

export function parseRecommendationPolicy(s: string): RecommendationPolicyValue {
  if (s === 'default' || s === 'any' || s === 'all') return s;
  throw new ConfigError(`recommendation policy '${s}' is not one of default, any, all`);
}

const A = ActionRecommendation;
const E = AssessmentResult;

/** Restrictiveness rank for `default` (higher replaces lower). */
const restrictiveRec: Record<ActionRecommendationValue, number> = {
  [A.NO_RECOMMENDATION]: 0,
  [A.ALLOW]: 1,
  [A.ISOLATE]: 2,
  [A.NO_ACCESS]: 3,
};
const restrictiveEval: Record<AssessmentResultValue, number> = {
  [E.DONT_KNOW]: 0,
  [E.COMPLIANT]: 1,
  [E.NONCOMPLIANT_MINOR]: 2,
  [E.NONCOMPLIANT_MAJOR]: 3,
  [E.ERROR]: 4,
};
/** Permissiveness rank for `any` (higher replaces lower). */
const permissiveRec: Record<ActionRecommendationValue, number> = {
  [A.NO_RECOMMENDATION]: 0,
  [A.NO_ACCESS]: 1,
  [A.ISOLATE]: 2,
  [A.ALLOW]: 3,
};
const permissiveEval: Record<AssessmentResultValue, number> = {
  [E.DONT_KNOW]: 0,
  [E.ERROR]: 1,
  [E.NONCOMPLIANT_MAJOR]: 2,
  [E.NONCOMPLIANT_MINOR]: 3,
  [E.COMPLIANT]: 4,
};

function pick<V extends number>(rank: Record<V, number>, a: V, b: V): V {
  return rank[b] > rank[a] ? b : a;
}

/** The combined verdict (reasons concatenated in verifier order). */
export function combineVerdicts(policy: RecommendationPolicyValue, verdicts: readonly ImvVerdict[]): ImvVerdict {
  const first = verdicts[0];
  if (!first) return { recommendation: A.NO_RECOMMENDATION, evaluation: E.DONT_KNOW, reasons: [] };
  let rec = first.recommendation;
  let ev = first.evaluation;
  for (const v of verdicts.slice(1)) {
    switch (policy) {
      case 'default':
        rec = pick(restrictiveRec, rec, v.recommendation);
        ev = pick(restrictiveEval, ev, v.evaluation);
        break;
      case 'all':
        if (v.recommendation !== rec) rec = A.NO_RECOMMENDATION;
        if (v.evaluation !== ev) ev = E.DONT_KNOW;
        break;
      case 'any':
        rec = pick(permissiveRec, rec, v.recommendation);
        ev = pick(permissiveEval, ev, v.evaluation);
        break;
    }
  }
  return { recommendation: rec, evaluation: ev, reasons: verdicts.flatMap((v) => v.reasons) };
}
