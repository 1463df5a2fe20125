/**
 * Mutual attestation inside IKE_AUTH through two daemons configured from swanctl.conf files: EAP-only EAP-TTLS
 * with client certificates, PT-EAP carrying PB-TNC in mutual mode, the test collector and verifier on both sides.
 * Each side enforces its own verifiers' verdict: allow → CHILD_SA; isolate → CHILD_SA narrowed to the quarantine
 * selectors; no access → no IKE SA on either side.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { controlRequest } from '../../../../src/daemon/control.ts';
import type { SaInfo } from '../../../../src/ike/engine.ts';
import { startAttestedPair } from './attested-conf.ts';
import { isRoot, inCI } from '../../../support/env.ts';

/** a and b run the test collector and verifier; each IMC tells the peer's IMV which verdict to give. */
function pair(t: TestContext, commands: { a: string; b: string }, base: number) {
  const lines = (command: string, isolate: string) => [
    '  tnc {',
    '    imcs = test',
    '    imvs = test',
    `    isolate_ts = ${isolate}`,
    '  }',
    '  imc-test {',
    `    command = ${command}`,
    '  }',
  ];
  return startAttestedPair(t, {
    base,
    attestd: { a: lines(commands.a, '10.2.0.9/32'), b: lines(commands.b, '10.1.0.9/32') },
  });
}

function skipUnlessRoot(t: TestContext): boolean {
  if (isRoot()) return false;
  if (inCI) throw new Error('CI=true but not root');
  t.skip('needs root to bind port 500');
  return true;
}

test('both sides allow: the IKE SA and CHILD_SA come up, each side records its verdict', async (t) => {
  if (skipUnlessRoot(t)) return;
  const { sock } = await pair(t, { a: 'allow', b: 'allow' }, 41);
  const sa = (await controlRequest(sock('a'), { cmd: 'initiate', ike: 'attested' })) as SaInfo;
  assert.equal(sa.state, 'ESTABLISHED');
  assert.equal(sa.children.length, 1);
  assert.deepEqual(sa.children[0]!.remoteTs, ['10.2.0.0/24']);
  assert.equal(sa.authorization?.decision, 'allow');
  const b = ((await controlRequest(sock('b'), { cmd: 'list-sas' })) as SaInfo[])[0]!;
  assert.equal(b.authorization?.decision, 'allow');
  assert.ok(
    b.notes.some((n) => /attestation of the peer: allow/.test(n)),
    b.notes.join('\n'),
  );
});

test("isolate: the responder confines the initiator's CHILD_SA to the quarantine selectors", async (t) => {
  if (skipUnlessRoot(t)) return;
  const { sock } = await pair(t, { a: 'isolate', b: 'allow' }, 42);
  const sa = (await controlRequest(sock('a'), { cmd: 'initiate', ike: 'attested' })) as SaInfo;
  assert.equal(sa.state, 'ESTABLISHED');
  const b = ((await controlRequest(sock('b'), { cmd: 'list-sas' })) as SaInfo[])[0]!;
  assert.equal(b.authorization?.decision, 'isolate');
  // B's remote selectors were 10.1.0.0/24; quarantine allows 10.1.0.9/32 only.
  assert.deepEqual(b.children[0]?.remoteTs, ['10.1.0.9/32']);
  assert.deepEqual(sa.children[0]?.localTs, ['10.1.0.9/32']);
});

test('no access from the responder: the initiator gets no IKE SA, and neither side keeps one', async (t) => {
  if (skipUnlessRoot(t)) return;
  const { sock } = await pair(t, { a: 'block', b: 'allow' }, 43);
  await assert.rejects(controlRequest(sock('a'), { cmd: 'initiate', ike: 'attested' }), /AUTHENTICATION_FAILED|24|EAP/);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(((await controlRequest(sock('a'), { cmd: 'list-sas' })) as SaInfo[]).length, 0);
  assert.equal(((await controlRequest(sock('b'), { cmd: 'list-sas' })) as SaInfo[]).length, 0);
});

test('no access from the initiator: it refuses a responder its own verifiers block', async (t) => {
  if (skipUnlessRoot(t)) return;
  const { sock } = await pair(t, { a: 'allow', b: 'block' }, 44);
  await assert.rejects(controlRequest(sock('a'), { cmd: 'initiate', ike: 'attested' }), /refused the responder|24/);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(((await controlRequest(sock('a'), { cmd: 'list-sas' })) as SaInfo[]).length, 0);
  assert.equal(((await controlRequest(sock('b'), { cmd: 'list-sas' })) as SaInfo[]).length, 0);
});
