/**
 * The `attest` modules inside IKE_AUTH through two daemons configured from swanctl.conf files (EAP-TTLS + PT-EAP,
 * mutual PB-TNC): A attests itself with its TPM (swtpm) to B's `attest` verifier; B answers A's `test` verifier.
 * A clean device gets its CHILD_SA; one whose AIK B does not trust gets no IKE SA.
 */
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../../../src/common/index.ts';
import { openStore } from '../../../../src/refdb/open.ts';
import { PolicyType } from '../../../../src/refdb/types.ts';
import { ActionRecommendation } from '../../../../src/tnc/pb/constants.ts';
import { controlRequest } from '../../../../src/daemon/control.ts';
import type { SaInfo } from '../../../../src/ike/engine.ts';
import { startAttestedPair } from '../../daemon/attestation/attested-conf.ts';
import { hasCommand, isRoot, requires } from '../../../support/env.ts';
import { enrolDevice, provisionDevice } from '../../../support/attest-device.ts';
import type { Device } from '../../../support/attest-device.ts';

const NEEDS = { root: true, commands: ['swtpm', 'swtpm_setup'] };
let dev: Device | undefined;

before(async () => {
  if (hasCommand('swtpm') && hasCommand('swtpm_setup') && isRoot()) dev = await provisionDevice();
});
after(async () => {
  await dev?.cleanup();
});

/** A: its TPM-backed collector; the test verifier for B. */
const attesterLines = (d: Device) => [
  '  tnc {',
  '    imcs = attest',
  '    imvs = test',
  '  }',
  '  imc-attest {',
  `    tcti = ${d.tcti}`,
  `    imaLog = ${d.imaPath}`,
  `    bootLog = ${d.bootPath}`,
  '  }',
];

/** B: the test collector; the attestation verifier for A (its module options given). */
const verifierLines = (attest: string[], extra: string[] = []) => [
  ...extra,
  '  tnc {',
  '    imcs = test',
  '    imvs = attest',
  '  }',
  '  imc-test {',
  '    command = allow',
  '  }',
  '  imv-attest {',
  ...attest.map((l) => `    ${l}`),
  '  }',
];

function pair(t: TestContext, trustedAik: string, base: number) {
  const d = dev!;
  const b = verifierLines([`references = ${d.refPath}`, `trustedAiks = ${trustedAik}`, `files = ${d.bin}/`]);
  return startAttestedPair(t, { base, attestd: { a: attesterLines(d), b } });
}

test('daemons: a TPM-attested initiator with a trusted AIK and a clean tree gets its CHILD_SA', async (t) => {
  if (!requires(t, NEEDS)) return;
  const { sock } = await pair(t, toHex(dev!.aik.keyId), 47);
  const sa = (await controlRequest(sock('a'), { cmd: 'initiate', ike: 'attested' })) as SaInfo;
  assert.equal(sa.state, 'ESTABLISHED');
  assert.equal(sa.children.length, 1);
  const b = ((await controlRequest(sock('b'), { cmd: 'list-sas' })) as SaInfo[])[0]!;
  assert.equal(b.authorization?.decision, 'allow');
});

test('daemons: references from the reference database, the verdict stored there as a session', async (t) => {
  if (!requires(t, NEEDS)) return;
  const d = dev!;
  const dir = mkdtempSync(join(tmpdir(), 'attestd-daemon-refdb-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const uri = `sqlite:${join(dir, 'refdb.sqlite')}`;
  const store = await openStore(uri);
  try {
    const product = await store.addProduct('Test Image');
    await enrolDevice(store, d, product);
  } finally {
    await store.close();
  }
  const b = verifierLines(
    ['product = Test Image', `files = ${d.bin}/`, 'requiredPcrs = 0, 7, 10'],
    [`  database = ${uri}`],
  );
  const a = attesterLines(d);
  const { sock } = await startAttestedPair(t, { base: 49, attestd: { a, b } });
  const sa = (await controlRequest(sock('a'), { cmd: 'initiate', ike: 'attested' })) as SaInfo;
  assert.equal(sa.state, 'ESTABLISHED');
  const check = await openStore(uri);
  try {
    const [session] = await check.listSessions({ limit: 1 });
    assert.ok(session, 'no session stored');
    assert.equal(session.rec, 0, 'stored recommendation: allow');
    assert.equal(session.identity, 'a.example');
    assert.equal((await check.device(session.device!))?.value, toHex(d.aik.keyId));
    const verdicts = await check.verdicts(session.id);
    assert.deepEqual(
      verdicts.map((v) => [v.imv, v.rec, v.reasons]),
      [['attest', 0, []]],
    );
  } finally {
    await check.close();
  }
});

test('daemons: inside IKE, max_age finds the history by the claimed identity: a passed policy is not measured again', async (t) => {
  if (!requires(t, NEEDS)) return;
  const d = dev!;
  const dir = mkdtempSync(join(tmpdir(), 'attestd-daemon-maxage-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const uri = `sqlite:${join(dir, 'refdb.sqlite')}`;
  const store = await openStore(uri);
  let policy: number;
  try {
    const product = await store.addProduct('Test Image');
    await enrolDevice(store, d, product);
    const group = await store.addGroup({ name: 'Images' });
    await store.setProductDefaultGroup(group, product);
    policy = await store.addPolicy({
      type: PolicyType.DIR_MEAS,
      name: 'Measure the binaries',
      dir: d.bin,
      recFail: ActionRecommendation.NO_ACCESS,
      recNoResult: ActionRecommendation.NO_ACCESS,
    });
    await store.addEnforcement({ policy, group, maxAge: 3600 });
  } finally {
    await store.close();
  }
  // No `files`: B measures what the policy says, and skips it within max_age of a passed result.
  const b = verifierLines(['product = Test Image', 'requiredPcrs = 0, 7, 10'], [`  database = ${uri}`]);
  const { sock } = await startAttestedPair(t, { base: 50, attestd: { a: attesterLines(d), b } });
  for (let i = 0; i < 2; i++) {
    const sa = (await controlRequest(sock('a'), { cmd: 'initiate', ike: 'attested' })) as SaInfo;
    assert.equal(sa.state, 'ESTABLISHED', `setup ${i}`);
    await controlRequest(sock('a'), { cmd: 'terminate', ike: 'attested' });
  }
  const check = await openStore(uri);
  try {
    const sessions = (await check.listSessions()).sort((x, y) => x.id - y.id);
    assert.deepEqual(
      sessions.map((s) => [s.identity, s.rec]),
      [
        ['a.example', 0],
        ['a.example', 0],
      ],
    );
    const results = async (session: number) =>
      (await check.listResults({ session })).map((r) => [r.policy, r.rec, r.result]);
    assert.deepEqual(await results(sessions[0]!.id), [[policy, 0, 'measurements match the references']]);
    assert.deepEqual(await results(sessions[1]!.id), [], 'the second setup judged the policy again');
  } finally {
    await check.close();
  }
});

test('daemons: an initiator whose AIK the responder does not trust gets no IKE SA', async (t) => {
  if (!requires(t, NEEDS)) return;
  const { sock } = await pair(t, 'ab'.repeat(20), 48);
  await assert.rejects(controlRequest(sock('a'), { cmd: 'initiate', ike: 'attested' }), /AUTHENTICATION_FAILED|24|EAP/);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(((await controlRequest(sock('b'), { cmd: 'list-sas' })) as SaInfo[]).length, 0);
});
