/**
 * Golden traces (test/vectors/strongswan-6.0.6, strongSwan 6.0.6 `pt-tls-client --mutual` with imc-test
 * command=allow and imv-test rounds=1): our real test collector and verifier, hosted by createTncSide as a mutual
 * transport client and given strongSwan's random PA-TNC message ids, send strongSwan's batches byte for byte when
 * fed the captured peer's answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../../../src/common/index.ts';
import { Recommendation } from '../../../../src/tnc/pb/index.ts';
import { createTncSide } from '../../../../src/tnc/imc-imv/index.ts';
import { createTestImc } from '../../../../src/imc/test/index.ts';
import { createTestImv } from '../../../../src/imv/test/index.ts';
import { STRONGSWAN_TRACE_IDS, ctx, idSequence, readTrace } from './helpers.ts';

for (const [name, ids] of Object.entries(STRONGSWAN_TRACE_IDS)) {
  test(`${name}: hosted imc-test/imv-test reproduce strongSwan's batches`, async () => {
    const steps = readTrace(name);
    const side = createTncSide({
      transport: 'client',
      imcs: [createTestImc({ command: 'allow' })],
      imvs: [createTestImv({ rounds: 1 })],
      languagePreference: 'en',
      messageIds: idSequence(...ids),
      context: ctx(),
    });
    const sent = [(await side.pb.start())!];
    for (const s of steps) if (s.dir === 'out') sent.push(...(await side.pb.receive(s.batch)));
    assert.deepEqual(
      sent.map(toHex),
      steps.filter((s) => s.dir === 'in').map((s) => toHex(s.batch)),
    );
    const o = side.outcome();
    assert.ok(o.mutual && o.done);
    assert.equal(o.assessedBy?.recommendation, Recommendation.ACCESS_ALLOWED);
    assert.equal(o.decision?.recommendation, Recommendation.ACCESS_ALLOWED);
  });
}

test('a different command changes the first batch: the comparison can fail', async () => {
  const [first] = readTrace('strongswan-trace_mutual_pttls.txt');
  const side = createTncSide({
    transport: 'client',
    imcs: [createTestImc({ command: 'block' })],
    imvs: [createTestImv({ rounds: 1 })],
    languagePreference: 'en',
    messageIds: idSequence(0x899e6e1a),
    context: ctx(),
  });
  assert.notEqual(toHex((await side.pb.start())!), toHex(first!.batch));
});
