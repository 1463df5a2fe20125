/**
 * Recommendation policies (strongSwan tnc_imv_recommendations.c / tncif_policy.c): default (most restrictive),
 * all (unanimity), any (most permissive).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ActionRecommendation as A, AssessmentResult as E } from '../../../../src/tnc/pb/index.ts';
import type { ActionRecommendationValue, AssessmentResultValue } from '../../../../src/tnc/pb/index.ts';
import { combineVerdicts, parseRecommendationPolicy } from '../../../../src/tnc/imc-imv/index.ts';
import type { ImvVerdict } from '../../../../src/tnc/imc-imv/index.ts';

const v = (
  recommendation: ActionRecommendationValue,
  evaluation: AssessmentResultValue,
  reason?: string,
): ImvVerdict => ({
  recommendation,
  evaluation,
  reasons: reason ? [reason] : [],
});

test('no verifier: no recommendation, don’t know', () => {
  for (const p of ['default', 'any', 'all'] as const) {
    const r = combineVerdicts(p, []);
    assert.equal(r.recommendation, A.NO_RECOMMENDATION);
    assert.equal(r.evaluation, E.DONT_KNOW);
  }
});

// [policy, verdicts, expected recommendation, expected evaluation], worked out from strongSwan's switch statements.
const cases: [string, ImvVerdict[], ActionRecommendationValue, AssessmentResultValue][] = [
  ['default', [v(A.ALLOW, E.COMPLIANT), v(A.ISOLATE, E.NONCOMPLIANT_MINOR)], A.ISOLATE, E.NONCOMPLIANT_MINOR],
  ['default', [v(A.NO_ACCESS, E.NONCOMPLIANT_MAJOR), v(A.ALLOW, E.COMPLIANT)], A.NO_ACCESS, E.NONCOMPLIANT_MAJOR],
  ['default', [v(A.NO_RECOMMENDATION, E.DONT_KNOW), v(A.ALLOW, E.COMPLIANT)], A.ALLOW, E.COMPLIANT],
  ['default', [v(A.ALLOW, E.COMPLIANT), v(A.NO_RECOMMENDATION, E.DONT_KNOW)], A.ALLOW, E.COMPLIANT],
  ['default', [v(A.ISOLATE, E.NONCOMPLIANT_MAJOR), v(A.ALLOW, E.ERROR)], A.ISOLATE, E.ERROR],
  ['all', [v(A.ALLOW, E.COMPLIANT), v(A.ALLOW, E.COMPLIANT)], A.ALLOW, E.COMPLIANT],
  ['all', [v(A.ALLOW, E.COMPLIANT), v(A.ISOLATE, E.COMPLIANT)], A.NO_RECOMMENDATION, E.COMPLIANT],
  ['all', [v(A.ALLOW, E.COMPLIANT), v(A.ALLOW, E.NONCOMPLIANT_MINOR)], A.ALLOW, E.DONT_KNOW],
  ['any', [v(A.NO_ACCESS, E.NONCOMPLIANT_MAJOR), v(A.ISOLATE, E.NONCOMPLIANT_MINOR)], A.ISOLATE, E.NONCOMPLIANT_MINOR],
  ['any', [v(A.NO_ACCESS, E.ERROR), v(A.NO_RECOMMENDATION, E.DONT_KNOW)], A.NO_ACCESS, E.ERROR],
  ['any', [v(A.NO_RECOMMENDATION, E.DONT_KNOW), v(A.NO_ACCESS, E.ERROR)], A.NO_ACCESS, E.ERROR],
  ['any', [v(A.ISOLATE, E.NONCOMPLIANT_MINOR), v(A.ALLOW, E.COMPLIANT)], A.ALLOW, E.COMPLIANT],
];

for (const [policy, verdicts, rec, ev] of cases) {
  test(`${policy}: ${verdicts.map((x) => `${x.recommendation}/${x.evaluation}`).join(' + ')} → ${rec}/${ev}`, () => {
    const r = combineVerdicts(parseRecommendationPolicy(policy), verdicts);
    assert.equal(r.recommendation, rec);
    assert.equal(r.evaluation, ev);
  });
}

test('reasons of every verifier are kept in order', () => {
  const r = combineVerdicts('default', [v(A.ISOLATE, E.NONCOMPLIANT_MINOR, 'a'), v(A.NO_ACCESS, E.ERROR, 'b')]);
  assert.deepEqual(r.reasons, ['a', 'b']);
});

test('unknown policy names are configuration errors', () => {
  assert.throws(() => parseRecommendationPolicy('majority'), { code: 'ERR_CONFIG' });
});

const recArb = fc.constantFrom(A.ALLOW, A.NO_ACCESS, A.ISOLATE, A.NO_RECOMMENDATION);
const evArb = fc.constantFrom(E.COMPLIANT, E.NONCOMPLIANT_MINOR, E.NONCOMPLIANT_MAJOR, E.ERROR, E.DONT_KNOW);
const verdictsArb = fc.array(
  fc.record({ recommendation: recArb, evaluation: evArb }).map((x) => ({ ...x, reasons: [] })),
  { minLength: 1, maxLength: 6 },
);

test('property: default never allows when one verifier blocks; any allows when one allows; all is order-free', () => {
  fc.assert(
    fc.property(verdictsArb, (vs) => {
      const d = combineVerdicts('default', vs);
      if (vs.some((x) => x.recommendation === A.NO_ACCESS)) assert.equal(d.recommendation, A.NO_ACCESS);
      if (vs.every((x) => x.recommendation === A.ALLOW)) assert.equal(d.recommendation, A.ALLOW);
      const a = combineVerdicts('any', vs);
      if (vs.some((x) => x.recommendation === A.ALLOW)) assert.equal(a.recommendation, A.ALLOW);
      const all = combineVerdicts('all', vs);
      const allRev = combineVerdicts('all', [...vs].reverse());
      assert.equal(all.recommendation, allRev.recommendation);
      const same = vs.every((x) => x.recommendation === vs[0]!.recommendation);
      assert.equal(all.recommendation, same ? vs[0]!.recommendation : A.NO_RECOMMENDATION);
      // default and any are symmetric too (the ranks are total orders)
      assert.equal(d.recommendation, combineVerdicts('default', [...vs].reverse()).recommendation);
      assert.equal(a.evaluation, combineVerdicts('any', [...vs].reverse()).evaluation);
    }),
  );
});
