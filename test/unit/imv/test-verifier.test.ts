/** Test verifier (strongSwan imv-test behaviour): verdict per command, rounds of "repeat", one retry. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../src/common/index.ts';
import { ActionRecommendation as A, AssessmentResult as E } from '../../../src/tnc/pb/index.ts';
import { createImv, createTestImv, verdictFor } from '../../../src/imv/test/index.ts';

const ctx = { id: 'c', peer: { method: 'none' } as const, transport: 'in-process', log: silentLogger };
const cmd = (command: string, sourceId = 1) => ({
  vendor: 0x902a,
  subtype: 1,
  messageId: 1,
  exclusive: false,
  sourceId,
  destinationId: 0xffff,
  attributes: [{ kind: 'ita/command', command } as never],
});

test('verdicts as imv-test maps them', async () => {
  assert.deepEqual([verdictFor('allow').recommendation, verdictFor('allow').evaluation], [A.ALLOW, E.COMPLIANT]);
  assert.deepEqual(
    [verdictFor('isolate').recommendation, verdictFor('isolate').evaluation],
    [A.ISOLATE, E.NONCOMPLIANT_MINOR],
  );
  assert.equal(verdictFor('block').recommendation, A.NO_ACCESS);
  assert.equal(verdictFor('none').evaluation, E.NONCOMPLIANT_MAJOR);
  assert.deepEqual(
    [verdictFor('dance').recommendation, verdictFor('dance').evaluation],
    [A.NO_RECOMMENDATION, E.ERROR],
  );
});

test('rounds: "repeat" per IMC (exclusive, no NOSKIP) before the verdict and its Assessment Result', async () => {
  const v = createTestImv({ rounds: 2 }).connect(ctx);
  assert.deepEqual(await v.beginHandshake(), []);
  for (let i = 0; i < 2; i++) {
    const r = await v.receive(cmd('allow'));
    assert.equal(r.verdict, undefined);
    assert.deepEqual(r.reply[0]!.attributes, [{ kind: 'ita/command', noskip: false, command: 'repeat' }]);
    assert.equal(r.reply[0]!.to, 1);
  }
  const r = await v.receive(cmd('allow'));
  assert.equal(r.verdict?.recommendation, A.ALLOW);
  assert.equal(r.reply[0]!.attributes[0]!.kind, 'ietf/assessment-result');
  // another IMC has its own rounds
  assert.equal((await v.receive(cmd('allow', 2))).verdict, undefined);
});

test('retry once, then "retry" again is an error verdict; no command → no recommendation', async () => {
  const v = createTestImv().connect(ctx);
  await v.beginHandshake();
  assert.equal((await v.receive(cmd('retry'))).retry, true);
  await v.beginHandshake();
  assert.equal((await v.receive(cmd('retry'))).verdict?.evaluation, E.ERROR);
  const w = createImv({ rounds: 0 }).connect(ctx);
  await w.beginHandshake();
  assert.equal((await w.solicitRecommendation()).recommendation, A.NO_RECOMMENDATION);
  assert.throws(() => createImv({ rounds: 'x' }), { code: 'ERR_CONFIG' });
});
