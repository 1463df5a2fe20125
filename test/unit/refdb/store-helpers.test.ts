/**
 * Pure helpers of the reference store: URI parsing, the directories/files path split, placeholder numbering, and the
 * policy engine's recommendation rules (TNC IF-IMV evaluation → action recommendation, as strongSwan's imv_workitem).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseStoreUri } from '../../../src/refdb/open.ts';
import { joinPath, splitPath } from '../../../src/refdb/store.ts';
import { numberPlaceholders } from '../../../src/refdb/sql.ts';
import { recommendationFor, recommendationWord, worstRecommendation } from '../../../src/refdb/policy.ts';
import { ActionRecommendation } from '../../../src/tnc/pb/constants.ts';
import { EvaluationResult } from '../../../src/tnc/pa/constants.ts';

test('store URIs', () => {
  assert.deepEqual(parseStoreUri('sqlite:/var/lib/attestd/ref.db'), {
    kind: 'sqlite',
    path: '/var/lib/attestd/ref.db',
  });
  assert.deepEqual(parseStoreUri('sqlite:///var/lib/x.db'), { kind: 'sqlite', path: '/var/lib/x.db' });
  assert.deepEqual(parseStoreUri('sqlite::memory:'), { kind: 'sqlite', path: ':memory:' });
  assert.deepEqual(parseStoreUri('ref.db'), { kind: 'sqlite', path: 'ref.db' });
  assert.deepEqual(parseStoreUri('postgres://u@h/db'), { kind: 'postgres', url: 'postgres://u@h/db' });
  assert.deepEqual(parseStoreUri('postgresql://u@h:5433/db'), { kind: 'postgres', url: 'postgresql://u@h:5433/db' });
  assert.throws(() => parseStoreUri('mysql://x/y'), { code: 'ERR_CONFIG' });
  assert.throws(() => parseStoreUri('sqlite:'), { code: 'ERR_CONFIG' });
});

test('paths split into directory and name and join back', () => {
  assert.deepEqual(splitPath('/usr/bin/ls'), { dir: '/usr/bin', name: 'ls' });
  assert.deepEqual(splitPath('/vmlinuz'), { dir: '/', name: 'vmlinuz' });
  assert.deepEqual(splitPath('boot_aggregate'), { dir: '', name: 'boot_aggregate' });
  fc.assert(
    fc.property(
      fc
        .oneof(
          fc.string(),
          fc.array(fc.string(), { minLength: 1 }).map((a) => `/${a.join('/')}`),
        )
        .filter((p) => !p.startsWith('//')),
      (p) => {
        const { dir, name } = splitPath(p);
        assert.equal(joinPath(dir, name), p);
      },
    ),
  );
});

test('placeholders are numbered for PostgreSQL', () => {
  assert.equal(numberPlaceholders('SELECT ? , ?::text[] WHERE a = ?'), 'SELECT $1 , $2::text[] WHERE a = $3');
});

test('evaluation results map to a work item recommendation', () => {
  const w = { recFail: ActionRecommendation.ISOLATE, recNoResult: ActionRecommendation.NO_ACCESS };
  assert.equal(recommendationFor(EvaluationResult.COMPLIANT, w), ActionRecommendation.ALLOW);
  assert.equal(recommendationFor(EvaluationResult.NONCOMPLIANT_MINOR, w), ActionRecommendation.ISOLATE);
  assert.equal(recommendationFor(EvaluationResult.NONCOMPLIANT_MAJOR, w), ActionRecommendation.ISOLATE);
  assert.equal(recommendationFor(EvaluationResult.ERROR, w), ActionRecommendation.NO_ACCESS);
  assert.equal(recommendationFor(EvaluationResult.DONT_KNOW, w), ActionRecommendation.NO_ACCESS);
});

test('the final recommendation is the worst; none fails closed', () => {
  const { ALLOW, ISOLATE, NO_ACCESS, NO_RECOMMENDATION } = ActionRecommendation;
  assert.equal(worstRecommendation([]), ALLOW);
  assert.equal(worstRecommendation([ALLOW, ISOLATE, ALLOW]), ISOLATE);
  assert.equal(worstRecommendation([ISOLATE, NO_ACCESS]), NO_ACCESS);
  assert.equal(worstRecommendation([ALLOW, NO_RECOMMENDATION]), NO_ACCESS);
  fc.assert(
    fc.property(fc.array(fc.constantFrom(ALLOW, ISOLATE, NO_ACCESS, NO_RECOMMENDATION)), (recs) => {
      const w = worstRecommendation(recs);
      assert.equal(
        w === ALLOW,
        recs.every((r) => r === ALLOW),
      );
      assert.equal(
        w === NO_ACCESS,
        recs.some((r) => r === NO_ACCESS || r === NO_RECOMMENDATION),
      );
    }),
  );
  assert.equal(recommendationWord(NO_ACCESS), 'no access');
});
