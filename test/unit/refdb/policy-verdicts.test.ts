/**
 * The policy engine over attestation verdicts (strongSwan's imv_policy_manager semantics), on SQLite and PostgreSQL:
 * a plan per handshake (file/dir measurement policies of the product's groups, enforcement overrides, max_age
 * skips after a recent ALLOW of the device last seen under the identity), and a judgement of the PTS verdict
 * (rec_fail on a failing file in a policy's target, rec_noresult on an unmeasured one, no access for anything that
 * is not a file finding or a failing file outside every policy), stored as results history under one session.
 */
import assert from 'node:assert/strict';
import { ActionRecommendation } from '../../../src/tnc/pb/constants.ts';
import { EvaluationResult } from '../../../src/tnc/pa/constants.ts';
import { judgeAttestation, planAttestation, type AttestationFindings } from '../../../src/refdb/policy.ts';
import { recordAssessment, refdbAttestPolicy, underPolicySession } from '../../../src/refdb/assessments.ts';
import { PolicyType } from '../../../src/refdb/types.ts';
import type { RefStore } from '../../../src/refdb/store.ts';
import type { PtsFileFinding, PtsVerdict } from '../../../src/pts/verify/evidence.ts';
import { silentLogger } from '../../../src/common/index.ts';
import { forEachStore } from '../../contract/refdb/stores.ts';

const { ALLOW, ISOLATE, NO_ACCESS } = ActionRecommendation;
const PRODUCT = 'Debian 12 x86_64';
const AIK = '0123456789abcdef0123456789abcdef01234567';
const OTHER_AIK = 'fedcba9876543210fedcba9876543210fedcba98';
const T0 = 1_790_000_000;

async function seed(store: RefStore) {
  const def = await store.addGroup({ name: 'Default' });
  const linux = await store.addGroup({ name: 'Linux', parent: def });
  const product = await store.addProduct(PRODUCT);
  await store.setProductDefaultGroup(linux, product);
  const bin = await store.addPolicy({
    type: PolicyType.DIR_MEAS,
    name: 'Measure /usr/bin',
    dir: '/usr/bin',
    recFail: NO_ACCESS,
    recNoResult: NO_ACCESS,
  });
  const sshd = await store.addPolicy({
    type: PolicyType.FILE_MEAS,
    name: 'Measure sshd_config',
    file: '/etc/ssh/sshd_config',
    recFail: NO_ACCESS,
    recNoResult: ISOLATE,
  });
  const meta = await store.addPolicy({
    type: PolicyType.FILE_META,
    name: 'Metadata of /etc/passwd',
    file: '/etc/passwd',
    recFail: NO_ACCESS,
    recNoResult: NO_ACCESS,
  });
  const pkgs = await store.addPolicy({
    type: PolicyType.PACKAGES,
    name: 'Installed Packages',
    recFail: NO_ACCESS,
    recNoResult: NO_ACCESS,
  });
  // The dir policy: rec_fail isolate on the enforcement (overrides the policy's no access), kept for an hour.
  await store.addEnforcement({ policy: bin, group: linux, maxAge: 3600, recFail: ISOLATE });
  // On the parent group: measured every time.
  await store.addEnforcement({ policy: sshd, group: def, maxAge: 0 });
  await store.addEnforcement({ policy: meta, group: linux, maxAge: 0 });
  await store.addEnforcement({ policy: pkgs, group: def, maxAge: 0 });
  return { def, linux, product, bin, sshd, meta, pkgs };
}

const mismatch = (path: string): PtsFileFinding => ({
  path,
  kind: 'mismatch',
  reason: `file ${path}: sha256 00 does not match the reference 11`,
});

/** A PTS verdict as evaluatePtsEvidence makes it: reasons = other reasons and file findings' reasons. */
function verdict(o: { files?: PtsFileFinding[]; other?: string[]; aik?: string | null } = {}): PtsVerdict {
  const fileFindings = o.files ?? [];
  const otherReasons = o.other ?? [];
  const reasons = [...otherReasons, ...fileFindings.map((f) => f.reason)];
  return {
    recommendation: reasons.length ? NO_ACCESS : ALLOW,
    evaluation: reasons.length ? EvaluationResult.NONCOMPLIANT_MAJOR : EvaluationResult.COMPLIANT,
    reasons,
    fileFindings,
    otherReasons,
    evaluatedAt: new Date(T0 * 1000).toISOString(),
    ...(o.aik === null ? {} : { aikKeyId: o.aik ?? AIK }),
  };
}

const findings = (v: PtsVerdict): AttestationFindings => v;

forEachStore('policy plan: the product groups’ file/dir measurement policies, with overrides', async (store) => {
  const s = await seed(store);
  const plan = await planAttestation(store, { product: PRODUCT, identity: 'carol', now: T0 });
  assert.equal(plan.device, null, 'nobody seen under this identity yet');
  assert.deepEqual(
    plan.policies.map((p) => [p.name, p.target, p.recFail, p.recNoResult, p.maxAge, p.skipped]).sort(),
    [
      ['Measure /usr/bin', { path: '/usr/bin', directory: true }, ISOLATE, NO_ACCESS, 3600, undefined],
      ['Measure sshd_config', { path: '/etc/ssh/sshd_config' }, NO_ACCESS, ISOLATE, 0, undefined],
    ],
    'metadata and package policies are not measured; the enforcement overrides rec_fail',
  );
  assert.deepEqual(
    plan.targets.map((t) => t.path).sort(),
    ['/etc/ssh/sshd_config', '/usr/bin'],
    'everything is measured',
  );
  assert.equal(plan.policies.find((p) => p.target.directory)!.policy, s.bin);

  // Unknown product: the Default group alone.
  const other = await planAttestation(store, { product: 'Unknown OS', now: T0 });
  assert.deepEqual(
    other.targets.map((t) => t.path),
    ['/etc/ssh/sshd_config'],
  );
});

forEachStore('judgement: rec_fail isolate on a dir policy turns a changed binary into isolate', async (store) => {
  const s = await seed(store);
  const plan = await planAttestation(store, { product: PRODUCT, identity: 'carol', now: T0 });
  const v = verdict({ files: [mismatch('/usr/bin/ls')] });
  const j = await judgeAttestation(store, plan, findings(v));
  assert.equal(j.rec, ISOLATE);
  assert.equal(j.evaluation, EvaluationResult.NONCOMPLIANT_MAJOR);
  assert.deepEqual(j.uncovered, []);
  assert.ok(j.reasons.includes(v.reasons[0]!), 'the failing file is named');
  assert.ok(
    j.reasons.some((r) => r.startsWith('Measure /usr/bin: /usr/bin/ls (isolate)')),
    j.reasons.join('; '),
  );
  const session = (await store.session(j.session))!;
  assert.equal(session.rec, ISOLATE);
  assert.equal(session.identity, 'carol');
  assert.equal((await store.device(session.device!))!.value, AIK);
  assert.equal((await store.device(session.device!))!.trusted, false, 'an unknown AIK is recorded untrusted');
  const results = await store.listResults({ session: j.session });
  assert.deepEqual(
    results.map((r) => [r.policy, r.rec, r.result]).sort((a, b) => Number(a[0]) - Number(b[0])),
    [
      [s.bin, ISOLATE, '/usr/bin/ls'],
      [s.sshd, ALLOW, 'measurements match the references'],
    ],
    'only the measured policies have results; the package policy is not this verifier’s',
  );
  assert.deepEqual(await store.workItems(j.session), [], 'work items are gone');

  // The same change without the override: the policy's own rec_fail (no access).
  const strict = await planAttestation(store, { product: PRODUCT, identity: 'dave', now: T0 });
  const j2 = await judgeAttestation(store, strict, findings(verdict({ files: [mismatch('/etc/ssh/sshd_config')] })));
  assert.equal(j2.rec, NO_ACCESS);
});

forEachStore('judgement: a non-file failure stays no access and records no ALLOW', async (store) => {
  await seed(store);
  const plan = await planAttestation(store, { product: PRODUCT, identity: 'carol', now: T0 });
  const v = verdict({ other: [`AIK ${AIK} is not trusted`] });
  const j = await judgeAttestation(store, plan, findings(v));
  assert.equal(j.rec, NO_ACCESS);
  assert.ok(j.reasons.includes(`AIK ${AIK} is not trusted`));
  assert.equal((await store.session(j.session))!.rec, NO_ACCESS);
  const results = await store.listResults({ session: j.session });
  assert.ok(
    results.every((r) => r.rec !== ALLOW),
    'evidence that did not verify lets no later attestation skip a policy',
  );
  // A quote failure next to a failing file in an isolate policy: still no access.
  const j2 = await judgeAttestation(
    store,
    plan,
    findings(verdict({ files: [mismatch('/usr/bin/ls')], other: ['quote: signature does not verify'] })),
  );
  assert.equal(j2.rec, NO_ACCESS);
  assert.deepEqual(
    (await store.listResults({ session: j2.session })).map((r) => r.rec),
    [ISOLATE],
    'the failing policy is still on record',
  );
});

forEachStore('judgement: a failing file outside every policy stays no access', async (store) => {
  await seed(store);
  const plan = await planAttestation(store, { product: PRODUCT, identity: 'carol', now: T0 });
  const extra = { path: '/opt/tool' };
  const j = await judgeAttestation(store, plan, findings(verdict({ files: [mismatch('/opt/tool')] })), {
    measured: [...plan.targets, extra],
  });
  assert.equal(j.rec, NO_ACCESS);
  assert.deepEqual(j.uncovered, ['/opt/tool']);
  assert.ok(j.reasons.some((r) => r.includes('/opt/tool')));
  // Below the policy's directory but deeper (not recursive): not covered either.
  const j2 = await judgeAttestation(store, plan, findings(verdict({ files: [mismatch('/usr/bin/x/y')] })));
  assert.equal(j2.rec, NO_ACCESS);
  assert.deepEqual(j2.uncovered, ['/usr/bin/x/y']);
});

forEachStore('judgement: a target that was not measured gets its rec_noresult', async (store) => {
  await seed(store);
  const plan = await planAttestation(store, { product: PRODUCT, identity: 'carol', now: T0 });
  const j = await judgeAttestation(store, plan, findings(verdict()), {
    measured: [{ path: '/usr/bin', directory: true }],
  });
  assert.equal(j.rec, ISOLATE, 'sshd_config unmeasured: its rec_noresult');
  assert.ok(
    j.reasons.some((r) => r === 'Measure sshd_config: no result (isolate)'),
    j.reasons.join('; '),
  );
  // An unanswered directory request is a finding in the directory policy (rec_fail).
  const unanswered: PtsFileFinding = {
    path: '/usr/bin',
    kind: 'unanswered',
    directory: true,
    reason: 'file /usr/bin: measurement request 1 was not answered',
  };
  const j2 = await judgeAttestation(store, plan, findings(verdict({ files: [unanswered] })));
  assert.equal(j2.rec, ISOLATE, JSON.stringify(j2));
  assert.deepEqual(j2.uncovered, []);
});

forEachStore('results are history: the next plan skips a policy allowed within max_age', async (store) => {
  const s = await seed(store);
  const first = await planAttestation(store, { product: PRODUCT, identity: 'carol', now: T0 });
  const j = await judgeAttestation(store, first, findings(verdict()));
  assert.equal(j.rec, ALLOW);
  assert.equal(j.evaluation, EvaluationResult.COMPLIANT);
  assert.deepEqual(j.reasons, []);

  // A minute later, the same identity: the device last seen under it allowed /usr/bin; sshd_config has max_age 0.
  const next = await planAttestation(store, { product: PRODUCT, identity: 'carol', now: T0 + 60 });
  assert.equal(next.device, (await store.deviceByValue(AIK))!.id);
  const dir = next.policies.find((p) => p.policy === s.bin)!;
  assert.deepEqual(dir.skipped, { since: T0 });
  assert.deepEqual(
    next.targets.map((t) => t.path),
    ['/etc/ssh/sshd_config'],
    'the skipped directory is not measured',
  );
  const j2 = await judgeAttestation(store, next, findings(verdict()));
  assert.equal(j2.rec, ALLOW, 'a policy skipped for max_age is no missing result');
  assert.deepEqual(
    (await store.listResults({ session: j2.session })).map((r) => r.policy),
    [s.sshd],
  );

  // Another identity has no such history; another device under the same identity gets no benefit of it.
  const stranger = await planAttestation(store, { product: PRODUCT, identity: 'mallory', now: T0 + 60 });
  assert.ok(stranger.policies.every((p) => !p.skipped));
  const j3 = await judgeAttestation(store, next, findings(verdict({ aik: OTHER_AIK })));
  assert.equal(j3.rec, NO_ACCESS, 'the other device did not measure /usr/bin: rec_noresult');
  assert.ok(j3.reasons.includes('Measure /usr/bin: no result (no access)'), j3.reasons.join('; '));

  // Past max_age the directory is measured again.
  const later = await planAttestation(store, { product: PRODUCT, identity: 'carol', now: T0 + 3601 });
  assert.ok(later.policies.every((p) => !p.skipped));
  // An anonymous peer has no history at all.
  const anon = await planAttestation(store, { product: PRODUCT, identity: '', now: T0 + 60 });
  assert.equal(anon.device, null);
  assert.ok(anon.policies.every((p) => !p.skipped));
});

forEachStore('the assessment is stored under the engine’s session, once', async (store) => {
  await seed(store);
  const policy = refdbAttestPolicy(store, { product: PRODUCT, now: () => T0 });
  const planned = await policy.plan({
    id: 'c1',
    peer: { method: 'sasl-plain', authcid: 'carol', authzid: '' },
    transport: 'pt-tls',
    log: silentLogger,
  });
  const v = verdict({ files: [mismatch('/usr/bin/ls')] });
  const imv = await planned.judge(v, planned.targets);
  assert.equal(imv.recommendation, ISOLATE);
  assert.equal(imv.device, AIK);
  const before = (await store.listSessions()).length;
  const id = await recordAssessment(store, {
    identity: 'carol@example',
    verdicts: [
      { imv: 'attest', verdict: imv },
      { imv: 'os', verdict: undefined },
    ],
    recommendation: ISOLATE,
  });
  assert.equal((await store.listSessions()).length, before, 'no second session');
  const session = (await store.session(id))!;
  assert.equal(session.identity, 'carol@example', 'the identity the assessment names');
  assert.equal(session.rec, ISOLATE);
  assert.deepEqual(
    (await store.verdicts(id)).map((x) => [x.imv, x.rec]),
    [
      ['attest', ISOLATE],
      ['os', ActionRecommendation.NO_RECOMMENDATION],
    ],
  );
  assert.equal((await store.listResults({ session: id })).length, 2, 'the policy results under it');

  // A marked verdict whose session is gone (another database): a new session, as before.
  const stray = underPolicySession({ ...imv }, 999_999);
  const id2 = await recordAssessment(store, {
    identity: 'x',
    verdicts: [{ imv: 'attest', verdict: stray }],
    recommendation: ISOLATE,
  });
  assert.notEqual(id2, 999_999);
  assert.equal((await store.session(id2))!.identity, 'x');
});
