/**
 * The policy engine on both stores: enforcements of a device's groups and their parents become work items; results
 * map through rec_fail/rec_noresult; the final recommendation is the worst, with reasons; results are history that
 * skips a policy while a successful result is younger than max_age; trust on first use only where a group opts in.
 */
import assert from 'node:assert/strict';
import { ActionRecommendation } from '../../../src/tnc/pb/constants.ts';
import { EvaluationResult } from '../../../src/tnc/pa/constants.ts';
import { finishSession, mayLearnReferences, recordResult, startSession } from '../../../src/refdb/policy.ts';
import { PolicyType } from '../../../src/refdb/types.ts';
import type { RefStore } from '../../../src/refdb/store.ts';
import { subscribe } from '../../../src/common/diag.ts';
import { forEachStore } from './stores.ts';

const { ALLOW, NO_ACCESS, ISOLATE } = ActionRecommendation;

/** A file-meas policy on /usr/bin/openssl, no access when it fails or has no result. */
const opensslPolicy = (store: RefStore) =>
  store.addPolicy({
    type: PolicyType.FILE_MEAS,
    name: 'Measure /usr/bin/openssl',
    file: '/usr/bin/openssl',
    recFail: NO_ACCESS,
    recNoResult: NO_ACCESS,
  });

async function seed(store: RefStore, tofu = false) {
  const def = await store.addGroup({ name: 'Default' });
  const linux = await store.addGroup({ name: 'Linux', parent: def, tofu });
  const product = await store.addProduct('Debian 12 x86_64');
  await store.setProductDefaultGroup(linux, product);
  const pkgs = await store.addPolicy({
    type: PolicyType.PACKAGES,
    name: 'Installed Packages',
    recFail: ISOLATE,
    recNoResult: ISOLATE,
  });
  const fwd = await store.addPolicy({
    type: PolicyType.FORWARDING,
    name: 'IP Forwarding Enabled',
    recFail: NO_ACCESS,
    recNoResult: NO_ACCESS,
  });
  const file = await opensslPolicy(store);
  const ima = await store.addPolicy({
    type: PolicyType.TPM_ATTEST,
    name: 'TPM IMA Measurements',
    argument: 'BI',
    recFail: NO_ACCESS,
    recNoResult: NO_ACCESS,
  });
  await store.addEnforcement({ policy: pkgs, group: def, maxAge: 86400 });
  await store.addEnforcement({ policy: fwd, group: linux, maxAge: 0, recFail: ISOLATE });
  await store.addEnforcement({ policy: file, group: linux, maxAge: 3600 });
  await store.addEnforcement({ policy: ima, group: linux, maxAge: 0 });
  return { def, linux, product, pkgs, fwd, file, ima };
}

const AIK = '0123456789abcdef0123456789abcdef01234567';
const T0 = 1_790_000_000;

forEachStore('policy engine: work items, recommendation with reasons, max_age history', async (store) => {
  const s = await seed(store);
  const seen: { recommendation: string; reasons: string[] }[] = [];
  const unsubscribe = subscribe('tnc:recommendation', (m) => seen.push(m));
  try {
    const a = await startSession(store, { product: 'Debian 12 x86_64', device: AIK, now: T0, connection: 1 });
    assert.equal(a.trusted, false, 'no trust on first use by default');
    assert.equal(a.firstUse, false);
    assert.deepEqual(await store.deviceGroups(a.device!), [s.linux], 'new device joins its product default group');
    assert.equal((await store.device(a.device!))!.created, T0);
    const byType = new Map(a.workItems.map((w) => [w.type, w]));
    assert.deepEqual(
      [...byType.keys()].sort((x, y) => x - y),
      [PolicyType.PACKAGES, PolicyType.FORWARDING, PolicyType.FILE_MEAS, PolicyType.TPM_ATTEST],
    );
    const fileItem = byType.get(PolicyType.FILE_MEAS)!;
    assert.equal(await store.pathOf('file', fileItem.argInt), '/usr/bin/openssl', 'file id in arg_int');
    assert.equal(byType.get(PolicyType.FORWARDING)!.recFail, ISOLATE, 'the enforcement overrides rec_fail');
    assert.equal(byType.get(PolicyType.TPM_ATTEST)!.argStr, 'BI');

    assert.equal(
      await recordResult(
        store,
        a.session,
        byType.get(PolicyType.PACKAGES)!.id,
        'all packages current',
        EvaluationResult.COMPLIANT,
      ),
      ALLOW,
    );
    assert.equal(
      await recordResult(
        store,
        a.session,
        byType.get(PolicyType.FORWARDING)!.id,
        'forwarding enabled',
        EvaluationResult.NONCOMPLIANT_MAJOR,
      ),
      ISOLATE,
    );
    assert.equal(await recordResult(store, a.session, fileItem.id, 'hash matches', EvaluationResult.COMPLIANT), ALLOW);
    // No result for the TPM item: its rec_noresult counts.
    const r = await finishSession(store, a.session, 'conn-a');
    assert.equal(r.rec, NO_ACCESS);
    assert.equal(r.recommendation, 'no access');
    assert.deepEqual(r.reasons.sort(), [
      'IP Forwarding Enabled: forwarding enabled (isolate)',
      'TPM IMA Measurements: no result (no access)',
    ]);
    assert.deepEqual(seen.at(-1), { connection: 'conn-a', recommendation: 'no access', reasons: r.reasons });
    assert.deepEqual(await store.workItems(a.session), [], 'work items are deleted');
    assert.equal((await store.session(a.session))!.rec, NO_ACCESS);
    assert.equal((await store.listResults({ session: a.session })).length, 3, 'results with a result are history');

    // Within max_age the allowed packages and file policies are skipped; forwarding (failed) and TPM are not.
    const b = await startSession(store, { product: 'Debian 12 x86_64', device: AIK, now: T0 + 600 });
    assert.deepEqual(
      b.workItems.map((w) => w.type).sort((x, y) => x - y),
      [PolicyType.FORWARDING, PolicyType.TPM_ATTEST],
    );
    assert.deepEqual(
      b.skipped.map((x) => x.policy).sort((x, y) => x - y),
      [s.pkgs, s.file].sort((x, y) => x - y),
    );
    for (const w of b.workItems) await recordResult(store, b.session, w.id, 'ok', EvaluationResult.COMPLIANT);
    const rb = await finishSession(store, b.session);
    assert.equal(rb.recommendation, 'allow');
    assert.deepEqual(rb.reasons, []);

    // After the file policy's max_age (1 h) it is measured again; packages (1 day) still skipped.
    const c = await startSession(store, { product: 'Debian 12 x86_64', device: AIK, now: T0 + 4000 });
    assert.deepEqual(
      c.workItems.map((w) => w.type).sort((x, y) => x - y),
      [PolicyType.FORWARDING, PolicyType.FILE_MEAS, PolicyType.TPM_ATTEST],
    );
    const w0 = c.workItems[0]!;
    assert.equal(
      await recordResult(store, c.session, w0.id, 'cannot tell', EvaluationResult.DONT_KNOW),
      w0.recNoResult,
    );
    await assert.rejects(recordResult(store, b.session, w0.id, 'x', 0), { code: 'ERR_STATE' });
    await assert.rejects(finishSession(store, 99999), { code: 'ERR_STATE' });
  } finally {
    unsubscribe();
  }
});

forEachStore('policy engine: trust on first use only in an opted-in group; no device, no history', async (store) => {
  await seed(store, true);
  const a = await startSession(store, { product: 'Debian 12 x86_64', device: AIK, now: T0 });
  assert.equal(a.firstUse, true);
  assert.equal(a.trusted, true);
  assert.equal(await store.isDeviceTrusted(AIK), true);
  assert.equal(await mayLearnReferences(store, a.device!), true);
  // The second time is not a first use.
  const b = await startSession(store, { product: 'Debian 12 x86_64', device: AIK, now: T0 + 1 });
  assert.equal(b.firstUse, false);
  assert.equal(b.trusted, true);
  // An endpoint without a device id gets the default group's work items and is never trusted.
  const c = await startSession(store, { product: 'Debian 12 x86_64', now: T0 + 2 });
  assert.equal(c.device, null);
  assert.equal(c.trusted, false);
  assert.equal(c.workItems.length, 4);
  // A product without default group falls back to the group named Default (its own enforcements only).
  const d = await startSession(store, { product: 'Other OS', device: 'ffff', now: T0 + 3 });
  assert.equal(d.trusted, false, 'Default does not opt in');
  assert.deepEqual(
    d.workItems.map((w) => w.type),
    [PolicyType.PACKAGES],
  );
  assert.equal(await mayLearnReferences(store, d.device!), false);
});

forEachStore(
  'policy engine: a device seen before any group existed joins the default group once there is one',
  async (store) => {
    // First seen with no groups at all: no work items, no membership, no trust on first use.
    const product = await store.addProduct('Debian 12 x86_64');
    const early = await startSession(store, { product: 'Debian 12 x86_64', device: AIK, now: T0 });
    assert.equal(early.workItems.length, 0);
    assert.equal(early.firstUse, false);
    // The operator adds a default group with an enforcement: the device's next session has its work item.
    const gw = await store.addGroup({ name: 'Gateways', tofu: true });
    await store.setProductDefaultGroup(gw, product);
    const file = await opensslPolicy(store);
    await store.addEnforcement({ policy: file, group: gw, maxAge: 0 });
    const later = await startSession(store, { product: 'Debian 12 x86_64', device: AIK, now: T0 + 1 });
    assert.deepEqual(
      later.workItems.map((w) => w.type),
      [PolicyType.FILE_MEAS],
    );
    assert.deepEqual(await store.deviceGroups(later.device!), [gw]);
    // Not a first use: the device was seen before, so the group's trust on first use does not apply to it.
    assert.equal(later.firstUse, false);
    assert.equal(later.trusted, false);
  },
);
