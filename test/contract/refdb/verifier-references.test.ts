/**
 * The reference database as the verifiers see it, on both stores: PTS references (file and IMA hashes of the
 * device's product or the configured one, trusted AIKs, boot references per device), the SWIMA package policy
 * (known, blacklisted, security-outdated), and assessments stored as sessions with each verifier's reasons.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ActionRecommendation, AssessmentResult } from '../../../src/tnc/pb/constants.ts';
import { RefdbPackagePolicy, RefdbPtsReferences } from '../../../src/refdb/verifier-references.ts';
import { recordAssessment } from '../../../src/refdb/assessments.ts';
import { measurementTargets } from '../../../src/refdb/policy.ts';
import { PolicyType, type PolicyTypeValue } from '../../../src/refdb/types.ts';
import { BIOS_COMPONENT } from '../../../src/pts/components.ts';
import { fromHex } from '../../../src/common/bytes.ts';
import { forEachStore } from './stores.ts';

const sha256 = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());
const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : 'none');
const AIK_A = 'aa'.repeat(20);
const AIK_B = 'bb'.repeat(20);

forEachStore('PTS references: per product, per device, trusted AIKs only', async (store) => {
  const image1 = await store.addProduct('Image 1');
  const image2 = await store.addProduct('Image 2');
  await store.importFileHashes(image1, [{ path: '/usr/bin/ls', algo: 'sha256', digest: hex(sha256('ls v1')) }]);
  await store.importFileHashes(image2, [{ path: '/usr/bin/ls', algo: 'sha256', digest: hex(sha256('ls v2')) }]);
  await store.addDevice({ value: AIK_A, product: image2, trusted: true });
  await store.addDevice({ value: AIK_B, trusted: false });

  const refs = new RefdbPtsReferences(store, { product: 'Image 1' });
  // No device known yet: the configured product.
  assert.equal(
    hex((await refs.fileHashes(['/usr/bin/ls', '/usr/bin/nope'], 'sha256')).get('/usr/bin/ls')?.[0]),
    hex(sha256('ls v1')),
  );
  assert.equal((await refs.fileHashes(['/usr/bin/nope'], 'sha256')).size, 0);
  // Device A's product wins over the configured one.
  const a = { aikKeyId: fromHex(AIK_A) };
  assert.equal(
    hex((await refs.fileHashes(['/usr/bin/ls'], 'sha256', a)).get('/usr/bin/ls')?.[0]),
    hex(sha256('ls v2')),
  );
  assert.equal(
    hex((await refs.imaReference(['/usr/bin/ls'], 'sha256', a)).get('/usr/bin/ls')?.[0]),
    hex(sha256('ls v2')),
  );
  // Device B has no product: the configured one.
  const b = { aikKeyId: fromHex(AIK_B) };
  assert.equal(
    hex((await refs.fileHashes(['/usr/bin/ls'], 'sha256', b)).get('/usr/bin/ls')?.[0]),
    hex(sha256('ls v1')),
  );
  // Another algorithm has no references.
  assert.equal((await refs.fileHashes(['/usr/bin/ls'], 'sha1')).size, 0);
  // Trust: only a known, trusted device.
  assert.equal(await refs.isTrustedAik(fromHex(AIK_A)), true);
  assert.equal(await refs.isTrustedAik(fromHex(AIK_B)), false);
  assert.equal(await refs.isTrustedAik(fromHex('cc'.repeat(20))), false);
  // Without a configured product and an unknown device: nothing is known.
  assert.equal((await new RefdbPtsReferences(store).fileHashes(['/usr/bin/ls'], 'sha256')).size, 0);
});

forEachStore('PTS references: boot reference events of a device', async (store) => {
  const dev = await store.addDevice({ value: AIK_A, trusted: true });
  const comp = await store.addComponent({
    vendorId: BIOS_COMPONENT.vendor,
    name: BIOS_COMPONENT.name,
    qualifier: BIOS_COMPONENT.qualifier,
  });
  await store.addComponentHashes(comp, dev, [
    { seqNo: 1, pcr: 0, algo: 'sha256', digest: sha256('crtm') },
    { seqNo: 2, pcr: 7, algo: 'sha256', digest: sha256('secureboot') },
  ]);
  const refs = new RefdbPtsReferences(store);
  const boot = await refs.bootReference(fromHex(AIK_A), 'sha256');
  assert.deepEqual(
    boot?.map((e) => [e.pcr, hex(e.digest)]),
    [
      [0, hex(sha256('crtm'))],
      [7, hex(sha256('secureboot'))],
    ],
  );
  assert.equal(await refs.bootReference(fromHex(AIK_A), 'sha1'), undefined);
  assert.equal(await refs.bootReference(fromHex(AIK_B), 'sha256'), undefined);
});

forEachStore('package policy: known, blacklisted (package or version), security-outdated', async (store) => {
  const p = await store.addProduct('Image 1');
  await store.importPackageVersions(p, [
    { name: 'openssl', release: '3.0.1-1', time: 1 },
    { name: 'openssl', release: '3.0.2-1', security: true, time: 2 },
    { name: 'bash', release: '5.2-1', time: 1 },
    { name: 'sudo', release: '1.9.1', blacklist: true, time: 1 },
    { name: 'sudo', release: '1.9.2', time: 2 },
    { name: 'telnetd', release: '0.17', time: 1 },
  ]);
  await store.setPackageBlacklist('telnetd', true);
  const policy = new RefdbPackagePolicy(store, 'Image 1');
  await policy.prefetch(['openssl', 'bash', 'sudo', 'telnetd', 'ghost']);
  assert.equal(await policy.isKnown('bash'), true);
  assert.equal(await policy.isKnown('ghost'), false);
  assert.equal(await policy.isBlacklisted('telnetd', '0.17'), true);
  assert.equal(await policy.isBlacklisted('sudo', '1.9.1'), true);
  assert.equal(await policy.isBlacklisted('sudo', '1.9.2'), false);
  assert.equal(await policy.securityFix('openssl', '3.0.1-1'), '3.0.2-1');
  assert.equal(await policy.securityFix('openssl', '3.0.2-1'), undefined);
  assert.equal(await policy.securityFix('bash', '5.2-1'), undefined);
  // Not prefetched: looked up on demand.
  assert.equal(await new RefdbPackagePolicy(store, 'Image 1').isKnown('sudo'), true);
  assert.equal(await new RefdbPackagePolicy(store, 'No such image').isKnown('sudo'), false);
});

forEachStore(
  'assessments: a session with each verifier verdict and its reasons; unknown devices added untrusted',
  async (store) => {
    const id = await recordAssessment(store, {
      time: 1_700_000_000,
      identity: 'gw-17.example',
      product: 'Image 1',
      verdicts: [
        {
          imv: 'attest',
          verdict: {
            recommendation: ActionRecommendation.NO_ACCESS,
            evaluation: AssessmentResult.NONCOMPLIANT_MAJOR,
            reasons: ['file /usr/bin/cat: sha256 00 does not match the reference 11', 'AIK dd is not trusted'],
            device: 'dd'.repeat(20),
          },
        },
        {
          imv: 'swima',
          verdict: { recommendation: ActionRecommendation.ALLOW, evaluation: AssessmentResult.COMPLIANT, reasons: [] },
        },
        { imv: 'os', verdict: undefined },
      ],
      recommendation: ActionRecommendation.NO_ACCESS,
    });
    const s = await store.session(id);
    assert.equal(s?.identity, 'gw-17.example');
    assert.equal(s?.rec, ActionRecommendation.NO_ACCESS);
    assert.equal(s?.time, 1_700_000_000);
    const dev = await store.deviceByValue('dd'.repeat(20));
    assert.ok(dev && !dev.trusted, 'the unknown device is recorded, untrusted');
    assert.equal(s?.device, dev.id);
    assert.equal(dev.product, (await store.productByName('Image 1'))?.id);
    const v = await store.verdicts(id);
    assert.deepEqual(
      v.map((x) => [x.imv, x.rec, x.reasons]),
      [
        [
          'attest',
          ActionRecommendation.NO_ACCESS,
          ['file /usr/bin/cat: sha256 00 does not match the reference 11', 'AIK dd is not trusted'],
        ],
        ['swima', ActionRecommendation.ALLOW, []],
        ['os', ActionRecommendation.NO_RECOMMENDATION, ['no verdict']],
      ],
    );
    // A known trusted device stays trusted.
    await store.setDeviceTrusted(dev.id, true);
    const id2 = await recordAssessment(store, {
      identity: 'gw-17.example',
      verdicts: [
        { imv: 'attest', verdict: { recommendation: 0, evaluation: 0, reasons: [], device: 'dd'.repeat(20) } },
      ],
      recommendation: ActionRecommendation.ALLOW,
    });
    assert.equal((await store.session(id2))?.device, dev.id);
    assert.equal((await store.deviceByValue('dd'.repeat(20)))?.trusted, true);
  },
);

forEachStore(
  'measurement targets: file and directory policies enforced on the product groups and their parents',
  async (store) => {
    const def = await store.addGroup({ name: 'Default' });
    const gws = await store.addGroup({ name: 'Gateways', parent: def });
    const product = await store.addProduct('Image 1');
    await store.setProductDefaultGroup(gws, product);
    const add = (name: string, type: PolicyTypeValue, target: { file?: string; dir?: string }) =>
      store.addPolicy({ name, type, recFail: 1, recNoResult: 1, ...target });
    const sshd = await add('sshd', PolicyType.FILE_MEAS, { file: '/usr/sbin/sshd' });
    const bin = await add('bin', PolicyType.DIR_MEAS, { dir: '/usr/bin' });
    const etc = await add('etc meta', PolicyType.DIR_META, { dir: '/etc' });
    const pkgs = await add('packages', PolicyType.PACKAGES, {});
    const lib = await add('lib', PolicyType.DIR_REF_MEAS, { dir: '/usr/lib' });
    await store.addEnforcement({ policy: sshd, group: gws, maxAge: 0 });
    await store.addEnforcement({ policy: etc, group: gws, maxAge: 0 });
    await store.addEnforcement({ policy: pkgs, group: gws, maxAge: 0 });
    await store.addEnforcement({ policy: bin, group: def, maxAge: 0 }); // inherited from the parent
    await store.addEnforcement({ policy: lib, group: def, maxAge: 0 });
    const sorted = (l: { path: string; directory?: boolean }[]) => [...l].sort((a, b) => a.path.localeCompare(b.path));
    assert.deepEqual(sorted(await measurementTargets(store, 'Image 1')), [
      { path: '/usr/bin', directory: true },
      { path: '/usr/lib', directory: true },
      { path: '/usr/sbin/sshd' },
    ]);
    // A product without a default group gets the Default group's policies.
    assert.deepEqual(sorted(await measurementTargets(store, 'Other image')), [
      { path: '/usr/bin', directory: true },
      { path: '/usr/lib', directory: true },
    ]);
  },
);

forEachStore('PTS references are kept between attestations until reference hashes are imported', async (store) => {
  const product = await store.addProduct('Image 1');
  const g0 = await store.referenceGeneration();
  await store.importFileHashes(product, [{ path: '/usr/bin/ls', algo: 'sha256', digest: hex(sha256('ls v1')) }]);
  assert.ok((await store.referenceGeneration()) > g0, 'an import bumps the generation');
  // Count the verifier's path lookups.
  let lookups = 0;
  const counting = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'fileHashes')
        return (...args: Parameters<typeof store.fileHashes>) => {
          lookups++;
          return store.fileHashes(...args);
        };
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const refs = new RefdbPtsReferences(counting, { product: 'Image 1' });
  const ask = async () =>
    hex((await refs.fileHashes(['/usr/bin/ls', '/usr/bin/none'], 'sha256', {})).get('/usr/bin/ls')?.[0]);
  assert.equal(await ask(), hex(sha256('ls v1')));
  assert.equal(lookups, 1);
  // A second attestation (a new context) of the same product: no lookup.
  assert.equal(await ask(), hex(sha256('ls v1')));
  assert.equal((await refs.fileHashes(['/usr/bin/none'], 'sha256', {})).size, 0);
  assert.equal(lookups, 1);
  // A new reference is imported (another process would do the same): the next attestation sees it.
  await store.importFileHashes(product, [{ path: '/usr/bin/ls', algo: 'sha256', digest: hex(sha256('ls v2')) }]);
  assert.equal(await ask(), hex(sha256('ls v2')));
  assert.equal(lookups, 2);
  // Trust is never cached: revoking a device counts at its next attestation.
  const aik = fromHex('ee'.repeat(20));
  const dev = await store.addDevice({ value: 'ee'.repeat(20), product, trusted: true });
  assert.equal(await refs.isTrustedAik(aik), true);
  await store.setDeviceTrusted(dev, false);
  assert.equal(await refs.isTrustedAik(aik), false);
});
