/**
 * The `attest` verifier under the reference database's policy engine, in process against our collector on a real
 * swtpm: the verifier as the daemon builds it (imvBuiltinsFor with a database and a `product`) measures the
 * directory a dir-meas policy names; the enforcement's rec_fail = isolate turns a changed binary there into
 * ISOLATE; the verdict and the policy results are stored under one session; a clean result lets the next
 * attestation under the same identity skip the directory while max_age lasts.
 */
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, toHex } from '../../../../src/common/index.ts';
import { createTncSide, runInProcess } from '../../../../src/tnc/imc-imv/index.ts';
import type { ConnectionContext, TncSide } from '../../../../src/tnc/imc-imv/index.ts';
import { ActionRecommendation, Recommendation } from '../../../../src/tnc/pb/index.ts';
import { createImc } from '../../../../src/imc/attest/index.ts';
import { imvBuiltinsFor } from '../../../../src/daemon/attestation.ts';
import { openStore } from '../../../../src/refdb/open.ts';
import type { RefStore } from '../../../../src/refdb/store.ts';
import { recordSide } from '../../../../src/refdb/assessments.ts';
import { PolicyType } from '../../../../src/refdb/types.ts';
import { hasCommand, requires } from '../../../support/env.ts';
import { enrolDevice, provisionDevice } from '../../../support/attest-device.ts';
import type { Device } from '../../../support/attest-device.ts';

const SWTPM = { commands: ['swtpm', 'swtpm_setup'] };
const PRODUCT = 'Test Image';
const PEER = 'CN=device.example';
let dev: Device | undefined;

before(async () => {
  if (hasCommand('swtpm') && hasCommand('swtpm_setup')) dev = await provisionDevice();
});
after(async () => {
  await dev?.cleanup();
});

const ctx = (id: string, peer: ConnectionContext['peer']): ConnectionContext => ({
  id,
  peer,
  transport: 'in-process',
  log: silentLogger,
});

/** A fresh SQLite reference database, removed after the test. */
async function tempStore(t: TestContext): Promise<RefStore> {
  const dir = mkdtempSync(join(tmpdir(), 'attestd-attest-policy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openStore(`sqlite:${join(dir, 'refdb.sqlite')}`);
  t.after(() => store.close());
  return store;
}

/** The product's references, the device enrolled, and a dir-meas policy on its bin directory (rec_fail isolate). */
async function seed(store: RefStore, d: Device): Promise<{ policy: number }> {
  const product = await store.addProduct(PRODUCT);
  const group = await store.addGroup({ name: 'Images' });
  await store.setProductDefaultGroup(group, product);
  await enrolDevice(store, d, product);
  const policy = await store.addPolicy({
    type: PolicyType.DIR_MEAS,
    name: 'Measure the image binaries',
    dir: d.bin,
    recFail: ActionRecommendation.NO_ACCESS,
    recNoResult: ActionRecommendation.NO_ACCESS,
  });
  await store.addEnforcement({ policy, group, maxAge: 3600, recFail: ActionRecommendation.ISOLATE });
  return { policy };
}

/** One attestation of the device by the verifier the daemon would build; stored as the daemon stores it. */
async function attest(store: RefStore, d: Device): Promise<{ server: TncSide; session: number }> {
  const imv = imvBuiltinsFor(store).attest({ product: PRODUCT, requiredPcrs: '0, 7, 10' });
  const imc = createImc({ tcti: d.tcti, imaLog: d.imaPath, bootLog: d.bootPath });
  try {
    const client = createTncSide({ transport: 'client', imcs: [imc], context: ctx('dev', { method: 'none' }) });
    const server = createTncSide({
      transport: 'server',
      imvs: [imv],
      context: ctx('gw', { method: 'certificate', subject: PEER }),
    });
    await runInProcess(client, server);
    const session = await recordSide(store, server, { identity: PEER });
    return { server, session };
  } finally {
    await imc.close();
  }
}

test('attest + policy engine: a changed binary under a rec_fail=isolate dir policy → isolate, stored', async (t) => {
  if (!requires(t, SWTPM)) return;
  const d = dev!;
  const store = await tempStore(t);
  const { policy } = await seed(store, d);
  const victim = join(d.bin, 'cat');

  // 1. The binary changed: the policy says isolate, and the reasons name it.
  writeFileSync(victim, 'ELF cat v2 (trojaned)');
  let first: { server: TncSide; session: number };
  try {
    first = await attest(store, d);
  } finally {
    writeFileSync(victim, d.files.cat!);
  }
  const o = first.server.outcome();
  assert.equal(o.decision?.recommendation, Recommendation.QUARANTINED, o.verdict?.reasons.join('; '));
  assert.ok(
    o.verdict!.reasons.some((r) => r.startsWith(`file ${victim}:`)),
    o.verdict!.reasons.join('; '),
  );
  assert.ok(!o.verdict!.reasons.some((r) => r.includes(join(d.bin, 'ls'))), 'unchanged files are not named');
  const sessions = await store.listSessions();
  assert.equal(sessions.length, 1, 'one session per assessment');
  const s1 = (await store.session(first.session))!;
  assert.equal(s1.rec, ActionRecommendation.ISOLATE);
  assert.equal(s1.identity, PEER);
  assert.equal((await store.device(s1.device!))?.value, toHex(d.aik.keyId));
  assert.deepEqual(
    (await store.verdicts(first.session)).map((v) => [v.imv, v.rec]),
    [['attest', ActionRecommendation.ISOLATE]],
  );
  assert.deepEqual(
    (await store.listResults({ session: first.session })).map((r) => [r.policy, r.rec, r.result]),
    [[policy, ActionRecommendation.ISOLATE, victim]],
  );

  // 2. Restored: allowed, the policy's ALLOW on record.
  const second = await attest(store, d);
  assert.equal(second.server.outcome().decision?.recommendation, Recommendation.ACCESS_ALLOWED);
  assert.deepEqual(
    (await store.listResults({ session: second.session })).map((r) => [r.policy, r.rec]),
    [[policy, ActionRecommendation.ALLOW]],
  );

  // 3. Within max_age the same peer's device is not asked for the directory again: even a change goes unseen, as
  //    with strongSwan's policy manager; the session carries no new result.
  writeFileSync(victim, 'ELF cat v3');
  let third: { server: TncSide; session: number };
  try {
    third = await attest(store, d);
  } finally {
    writeFileSync(victim, d.files.cat!);
  }
  assert.equal(third.server.outcome().decision?.recommendation, Recommendation.ACCESS_ALLOWED);
  assert.deepEqual(await store.listResults({ session: third.session }), []);
  assert.equal((await store.listSessions()).length, 3);
});

test('attest + policy engine: an AIK the database does not trust stays no access, recorded untrusted', async (t) => {
  if (!requires(t, SWTPM)) return;
  const d = dev!;
  const store = await tempStore(t);
  await seed(store, d);
  const key = toHex(d.aik.keyId);
  await store.setDeviceTrusted((await store.deviceByValue(key))!.id, false);
  const { server, session } = await attest(store, d);
  const o = server.outcome();
  assert.equal(o.decision?.recommendation, Recommendation.ACCESS_DENIED);
  assert.ok(o.verdict!.reasons.some((r) => r.toLowerCase().includes(key)));
  assert.equal((await store.deviceByValue(key))!.trusted, false, 'no trust on first use');
  assert.ok(
    (await store.listResults({ session })).every((r) => r.rec !== ActionRecommendation.ALLOW),
    'no ALLOW on record from evidence that did not verify',
  );
});
