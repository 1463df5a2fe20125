/**
 * Mutual PB-TNC in process: a transport client (A, like an EAP peer / PT-TLS client) and a transport server (B)
 * each run a TNC client (test IMC) and a TNC server (test IMV) and exchange batches until both are done.
 *
 *   A.client CDATA [Mutual-Capability, PA]  ->  B.server
 *   A <- B.server RESULT or SDATA [Mutual-Capability echo, ...]
 *   A.server SDATA (empty)                  ->  B.client (created on the first D=1 batch)
 *   ... alternating; each side enforces its own IMV's recommendation on the other.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MutualPbTnc, PbBatchType, Recommendation, decodeBatch } from '../../../../src/tnc/pb/index.ts';
import type { RecommendationValue } from '../../../../src/tnc/pb/index.ts';
import { TestImc, TestImv } from './test-handlers.ts';

interface Side {
  tnc: MutualPbTnc;
  imc: TestImc;
  imv: TestImv;
}

function side(transport: 'client' | 'server', imc: TestImc, imv: TestImv, mutual = true): Side {
  return { tnc: new MutualPbTnc({ transport, mutual, client: imc, server: imv, languagePreference: 'en' }), imc, imv };
}

/** Runs the exchange; returns the batches in order with their sender. */
async function exchange(a: Side, b: Side, max = 60): Promise<{ from: 'A' | 'B'; type: number; fromServer: boolean }[]> {
  const log: { from: 'A' | 'B'; type: number; fromServer: boolean }[] = [];
  const first = await a.tnc.start();
  assert.ok(first);
  let queue: { to: Side; bytes: Uint8Array }[] = [{ to: b, bytes: first }];
  for (let i = 0; queue.length > 0; i++) {
    assert.ok(i < max, 'exchange did not finish');
    const next: { to: Side; bytes: Uint8Array }[] = [];
    for (const { to, bytes } of queue) {
      const d = decodeBatch(bytes);
      log.push({ from: to === b ? 'A' : 'B', type: d.type, fromServer: d.fromServer });
      for (const out of await to.tnc.receive(bytes)) next.push({ to: to === b ? a : b, bytes: out });
    }
    queue = next;
  }
  return log;
}

function outcome(a: Side, b: Side): { aAboutB?: RecommendationValue; bAboutA?: RecommendationValue } {
  const aAboutB = a.tnc.serverDecision?.recommendation;
  const bAboutA = b.tnc.serverDecision?.recommendation;
  // Each side's view of itself matches the other side's verdict.
  assert.equal(a.tnc.clientResult?.recommendation, bAboutA);
  assert.equal(b.tnc.clientResult?.recommendation, aAboutB);
  return { ...(aAboutB !== undefined ? { aAboutB } : {}), ...(bAboutA !== undefined ? { bAboutA } : {}) };
}

const cases: [string, string, RecommendationValue, RecommendationValue][] = [
  ['allow', 'allow', Recommendation.ACCESS_ALLOWED, Recommendation.ACCESS_ALLOWED],
  ['isolate', 'allow', Recommendation.QUARANTINED, Recommendation.ACCESS_ALLOWED],
  ['allow', 'block', Recommendation.ACCESS_ALLOWED, Recommendation.ACCESS_DENIED],
  ['none', 'isolate', Recommendation.ACCESS_DENIED, Recommendation.QUARANTINED],
];

for (const [aCommand, bCommand, bAboutA, aAboutB] of cases) {
  test(`mutual: A says ${aCommand}, B says ${bCommand} → B judges A ${bAboutA}, A judges B ${aAboutB}`, async () => {
    const a = side('client', new TestImc({ command: aCommand }), new TestImv({ rounds: 1 }));
    const b = side('server', new TestImc({ command: bCommand }), new TestImv({ rounds: 1 }));
    const log = await exchange(a, b);
    assert.ok(a.tnc.mutual && b.tnc.mutual);
    assert.ok(a.tnc.done && b.tnc.done);
    assert.deepEqual(outcome(a, b), { aAboutB, bAboutA });
    // Half duplex: A and B alternate strictly; the first batch is A's CDATA, the last a CLOSE.
    for (let i = 1; i < log.length; i++) assert.notEqual(log[i]!.from, log[i - 1]!.from);
    assert.equal(log[0]!.type, PbBatchType.CDATA);
    assert.equal(log.at(-1)!.type, PbBatchType.CLOSE);
    // Both servers sent exactly one RESULT.
    assert.equal(log.filter((l) => l.type === PbBatchType.RESULT && l.from === 'A').length, 1);
    assert.equal(log.filter((l) => l.type === PbBatchType.RESULT && l.from === 'B').length, 1);
  });
}

test('mutual: an IMV "retry" command makes the server send SRETRY; the new handshake decides', async () => {
  const a = side('client', new TestImc({ command: 'retry', retryCommand: 'allow' }), new TestImv());
  const b = side('server', new TestImc({ command: 'allow' }), new TestImv());
  const log = await exchange(a, b);
  assert.ok(log.some((l) => l.from === 'B' && l.type === PbBatchType.SRETRY));
  assert.ok(a.tnc.done && b.tnc.done);
  assert.deepEqual(outcome(a, b), { aAboutB: Recommendation.ACCESS_ALLOWED, bAboutA: Recommendation.ACCESS_ALLOWED });
});

test('mutual: a client that is isolated asks for a retry (CRETRY) and is then allowed, on either transport side', async () => {
  for (const retrying of ['A', 'B'] as const) {
    const retryImc = () =>
      new TestImc({ command: 'isolate', retryCommand: 'allow', retryOn: [Recommendation.QUARANTINED] });
    const a = side('client', retrying === 'A' ? retryImc() : new TestImc({ command: 'allow' }), new TestImv());
    const b = side('server', retrying === 'B' ? retryImc() : new TestImc({ command: 'allow' }), new TestImv());
    const log = await exchange(a, b);
    assert.ok(
      log.some((l) => l.from === retrying && l.type === PbBatchType.CRETRY),
      retrying,
    );
    assert.ok(a.tnc.done && b.tnc.done);
    const retried = retrying === 'A' ? a : b;
    assert.deepEqual(
      retried.imc.results.map((r) => r.recommendation),
      [Recommendation.QUARANTINED, Recommendation.ACCESS_ALLOWED],
    );
    assert.deepEqual(outcome(a, b), { aAboutB: Recommendation.ACCESS_ALLOWED, bAboutA: Recommendation.ACCESS_ALLOWED });
  }
});

test('a peer without mutual support: plain PB-TNC, only the transport server assesses', async () => {
  const a = side('client', new TestImc({ command: 'isolate' }), new TestImv());
  const b = {
    tnc: new MutualPbTnc({ transport: 'server', server: new TestImv({ rounds: 2 }) }),
    imc: new TestImc({ command: 'x' }),
    imv: new TestImv(),
  };
  const log = await exchange(a, b);
  assert.equal(a.tnc.mutual, false);
  assert.equal(b.tnc.mutual, false);
  assert.ok(a.tnc.done && b.tnc.done);
  assert.equal(a.tnc.clientResult?.recommendation, Recommendation.QUARANTINED);
  assert.equal(a.tnc.serverDecision, undefined);
  assert.ok(log.every((l) => l.fromServer === (l.from === 'B')));
  // Two "repeat" rounds → CDATA, SDATA, CDATA, SDATA, CDATA, RESULT, CLOSE.
  assert.deepEqual(
    log.map((l) => l.type),
    [1, 2, 1, 2, 1, 3, 6],
  );
});

test('property: any pair of commands and rounds finishes with consistent verdicts', async () => {
  const command = fc.constantFrom('allow', 'isolate', 'block', 'none', 'bogus');
  await fc.assert(
    fc.asyncProperty(command, command, fc.nat(3), fc.nat(3), async (ca, cb, ra, rb) => {
      const a = side('client', new TestImc({ command: ca }), new TestImv({ rounds: ra }));
      const b = side('server', new TestImc({ command: cb }), new TestImv({ rounds: rb }));
      await exchange(a, b, 200);
      assert.ok(a.tnc.done && b.tnc.done);
      const o = outcome(a, b);
      assert.ok(o.aAboutB !== undefined && o.bAboutA !== undefined);
    }),
    { numRuns: 100 },
  );
});
