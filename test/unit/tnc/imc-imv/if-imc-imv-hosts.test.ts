/**
 * TNCC ↔ TNCS in process with the real collectors and verifiers (IF-IMC 1.3 / IF-IMV 1.4 hosts over PB-TNC).
 *
 *   client (imc-test, imc-os)                         server (imv-test, imv-os)
 *   CDATA [PA test: Command]                 ->
 *                                            <-       SDATA [PA os: Attribute Request (to any)]
 *   CDATA [PA os: attributes (exclusive)]    ->
 *                                            <-       RESULT [PA test: Assessment Result (excl), Assessment-Result,
 *                                                            Access-Recommendation, Reason-String...]
 *   CLOSE                                    ->
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../../../../src/common/index.ts';
import {
  ItaPaSubtype,
  PaErrorCode,
  Pen,
  decodePaMessage,
  encodePaMessage,
  isAttr,
  ietfPaTncError,
} from '../../../../src/tnc/pa/index.ts';
import { AssessmentResult, PB_PA_ID_ANY, Recommendation } from '../../../../src/tnc/pb/index.ts';
import type { PbPaMessage } from '../../../../src/tnc/pb/index.ts';
import { createTncClient, createTncServer, runInProcess } from '../../../../src/tnc/imc-imv/index.ts';
import type { ImcModule, ImvModule, IncomingPa } from '../../../../src/tnc/imc-imv/index.ts';
import { createTestImc } from '../../../../src/imc/test/index.ts';
import { createTestImv } from '../../../../src/imv/test/index.ts';
import { createOsImc, staticOsInfo } from '../../../../src/imc/os/index.ts';
import { configOsPolicy, createOsImv } from '../../../../src/imv/os/index.ts';
import { ctx, debianInfo, sides } from './helpers.ts';

const expected: Record<string, number> = {
  allow: Recommendation.ACCESS_ALLOWED,
  isolate: Recommendation.QUARANTINED,
  block: Recommendation.ACCESS_DENIED,
  none: Recommendation.ACCESS_DENIED,
};

for (const mutual of [false, true]) {
  for (const command of ['allow', 'isolate', 'block', 'none', 'retry']) {
    test(`${mutual ? 'mutual' : 'one-way'} test+os pair, command ${command}`, async () => {
      const imcs = [
        createTestImc(command === 'retry' ? { command, retryCommand: 'allow' } : { command }),
        createOsImc({ source: staticOsInfo(debianInfo()) }),
      ];
      const imvs = [createTestImv({ rounds: 1 }), createOsImv(configOsPolicy({ allowedTcpPorts: [22] }))];
      const { a, b } = sides({ imcs, imvs, mutual });
      const batches = await runInProcess(a, b);
      const want = expected[command] ?? Recommendation.ACCESS_ALLOWED;
      assert.equal(a.outcome().assessedBy?.recommendation, want);
      assert.equal(b.outcome().decision?.recommendation, want);
      assert.ok(a.outcome().done && b.outcome().done);
      assert.equal(b.outcome().mutual, mutual);
      if (mutual) {
        assert.equal(b.outcome().assessedBy?.recommendation, want);
        assert.equal(a.outcome().decision?.recommendation, want);
      }
      if (command === 'retry') assert.equal(a.client!.results.length, 1, 'the retry happened before any result');
      if (command !== 'allow' && command !== 'retry') {
        assert.ok(a.outcome().assessedBy!.reasons.some((r) => r.reason.includes(command)));
      }
      assert.ok(batches >= 4);
    });
  }
}

test('imc-test retry=yes: a CRETRY after the first result, then the retry command decides', async () => {
  const { a, b } = sides({
    imcs: [createTestImc({ command: 'isolate', retry: true, retryCommand: 'allow' })],
    imvs: [createTestImv()],
  });
  await runInProcess(a, b);
  assert.deepEqual(
    a.client!.results.map((r) => r.recommendation),
    [Recommendation.QUARANTINED, Recommendation.ACCESS_ALLOWED],
  );
});

test('OS policy violations are each named; policy "any" lets the test IMV allow anyway', async () => {
  const info = debianInfo({ forwarding: 1, defaultPasswordEnabled: true });
  const mk = (policy: 'default' | 'any') =>
    sides({
      imcs: [createTestImc({ command: 'allow' }), createOsImc({ source: staticOsInfo(info) })],
      imvs: [
        createTestImv(),
        createOsImv(configOsPolicy({ forbiddenPackages: [{ name: 'strongswan' }], allowedTcpPorts: [] })),
      ],
      policy,
    });
  const d = mk('default');
  await runInProcess(d.a, d.b);
  const res = d.a.outcome().assessedBy!;
  assert.equal(res.recommendation, Recommendation.QUARANTINED);
  assert.equal(res.assessment, AssessmentResult.NONCOMPLIANT_MAJOR);
  const reasons = res.reasons.map((r) => r.reason).join('\n');
  for (const s of ['strongswan 5.9.8', 'forwarding', 'default password', 'TCP port 22'])
    assert.match(reasons, new RegExp(s));
  const any = mk('any');
  await runInProcess(any.a, any.b);
  assert.equal(any.a.outcome().assessedBy!.recommendation, Recommendation.ACCESS_ALLOWED);
});

test('a verifier without a matching collector is solicited: no recommendation (ignored by default, fatal under all)', async () => {
  const run = async (policy: 'default' | 'all') => {
    const { a, b } = sides({
      imcs: [createTestImc({ command: 'allow' })],
      imvs: [createTestImv(), createOsImv(configOsPolicy({}))],
      policy,
    });
    await runInProcess(a, b);
    return a.outcome().assessedBy!;
  };
  const d = await run('default');
  assert.equal(d.recommendation, Recommendation.ACCESS_ALLOWED);
  assert.ok(d.reasons.some((r) => r.reason.includes('no OS information')));
  assert.equal((await run('all')).recommendation, Recommendation.ACCESS_DENIED);
});

/** A module that records what it receives (for routing tests). */
function recorder(name: string, subtype: number): ImvModule & { got: IncomingPa[] } {
  const got: IncomingPa[] = [];
  return {
    name,
    got,
    subscriptions: [{ vendor: Pen.ITA, subtype }],
    connect: () => ({
      beginHandshake: () => [],
      receive: (m) => {
        got.push(m);
        return { reply: [] };
      },
      solicitRecommendation: () => ({ recommendation: 3, evaluation: 4, reasons: [] }),
    }),
  };
}

function paMsg(over: Partial<PbPaMessage>, body?: Uint8Array): PbPaMessage {
  return {
    kind: 'pa',
    exclusive: false,
    paVendor: Pen.ITA,
    paSubtype: ItaPaSubtype.TEST,
    collectorId: 7,
    validatorId: PB_PA_ID_ANY,
    body: body ?? encodePaMessage({ messageId: 1, attributes: [{ kind: 'ita/command', command: 'x' } as never] }),
    ...over,
  };
}

test('routing: non-exclusive goes to every subscriber, exclusive only to the addressed IMV', async () => {
  const r1 = recorder('r1', ItaPaSubtype.TEST);
  const r2 = recorder('r2', ItaPaSubtype.TEST);
  const r3 = recorder('r3', ItaPaSubtype.ECHO);
  const s = createTncServer({ imvs: [r1, r2, r3], context: ctx() });
  await s.beginHandshake();
  await s.receive([paMsg({})]);
  assert.deepEqual([r1.got.length, r2.got.length, r3.got.length], [1, 1, 0]);
  assert.equal(r1.got[0]!.sourceId, 7);
  await s.receive([paMsg({ exclusive: true, validatorId: 2 })]);
  assert.deepEqual([r1.got.length, r2.got.length, r3.got.length], [1, 2, 0]);
});

test('a malformed PA-TNC message is answered with a PA-TNC Error to its sender and not delivered', async () => {
  const r1 = recorder('r1', ItaPaSubtype.TEST);
  const s = createTncServer({ imvs: [r1], context: ctx(), rng: seededRng(3) });
  await s.beginHandshake();
  const bad = new Uint8Array([2, 0, 0, 0, 0, 0, 0, 1]); // PA-TNC version 2
  const out = await s.receive([paMsg({}, bad)]);
  assert.equal(r1.got.length, 0);
  assert.equal(out.reply.length, 1);
  const m = out.reply[0]!;
  assert.equal(m.exclusive, true);
  assert.equal(m.collectorId, 7);
  assert.equal(m.validatorId, 1);
  const err = decodePaMessage(m.body).attributes[0]!;
  assert.ok(isAttr(ietfPaTncError, err));
  assert.equal(err.errorCode, PaErrorCode.VERSION_NOT_SUPPORTED);
});

test('collector ids follow configuration order; first messages go to any validator without E', async () => {
  const imcs: ImcModule[] = [createTestImc({ command: 'allow' }), createTestImc({ command: 'block' })];
  const c = createTncClient({ imcs, context: ctx() });
  const first = await c.beginHandshake();
  assert.deepEqual(
    first.map((m) => [m.collectorId, m.validatorId, m.exclusive]),
    [
      [1, PB_PA_ID_ANY, false],
      [2, PB_PA_ID_ANY, false],
    ],
  );
});

test('property: arbitrary PA-TNC bodies never escape the hosts as exceptions (answered or ignored)', async () => {
  const fc = (await import('fast-check')).default;
  const imvs = [createTestImv({ rounds: 1 }), createOsImv(configOsPolicy({ allowedTcpPorts: [] }))];
  const imcs = [createTestImc({ command: 'allow' }), createOsImc({ source: staticOsInfo(debianInfo()) })];
  const s = createTncServer({ imvs, context: ctx() });
  const c = createTncClient({ imcs, context: ctx() });
  await s.beginHandshake();
  await c.beginHandshake();
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 200 }),
      fc.constantFrom([Pen.ITA, ItaPaSubtype.TEST], [Pen.IETF, 1]),
      fc.boolean(),
      async (body, [vendor, subtype], exclusive) => {
        // a valid header in front half of the time, so attribute parsing is reached
        const b = body.length > 8 && body[0]! % 2 === 0 ? new Uint8Array([1, 0, 0, 0, ...body.subarray(4)]) : body;
        const m = paMsg(
          { paVendor: vendor!, paSubtype: subtype!, exclusive, validatorId: exclusive ? 1 : PB_PA_ID_ANY },
          b,
        );
        await s.receive([m]);
        await c.receive([{ ...m, collectorId: exclusive ? 1 : PB_PA_ID_ANY, validatorId: 1 }]);
      },
    ),
    { numRuns: 500 },
  );
});
