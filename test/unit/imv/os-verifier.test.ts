/** OS verifier: the Attribute Request it sends, and the policy evaluation naming every violation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { silentLogger } from '../../../src/common/index.ts';
import { IetfAttr } from '../../../src/tnc/pa/index.ts';
import { ActionRecommendation, AssessmentResult } from '../../../src/tnc/pb/index.ts';
import {
  configOsPolicy,
  createImv,
  createOsImv,
  evaluateOs,
  parseOsPolicy,
  requestedTypes,
} from '../../../src/imv/os/index.ts';
import { createOsImc, osAttribute, staticOsInfo } from '../../../src/imc/os/index.ts';
import { debianInfo } from '../tnc/imc-imv/helpers.ts';

const ctx = { id: 'c', peer: { method: 'none' } as const, transport: 'in-process', log: silentLogger };

test('the request covers what the policy checks', async () => {
  assert.deepEqual(requestedTypes({}), [2, 4, 3, 11, 12]);
  const t = requestedTypes({ forbiddenPackages: [{ name: 'x' }], allowedUdpPorts: [], forwardingOff: false });
  assert.ok(t.includes(IetfAttr.INSTALLED_PACKAGES) && t.includes(IetfAttr.PORT_FILTER));
  assert.ok(!t.includes(IetfAttr.FORWARDING_ENABLED));
});

test('clean report → allow; each violation named; severities', async () => {
  const ok = evaluateOs(
    { allowedProducts: ['/^Debian/'] },
    { product: 'Debian GNU/Linux 12', forwarding: 0, defaultPassword: false },
  );
  assert.equal(ok.recommendation, ActionRecommendation.ALLOW);
  assert.equal(ok.evaluation, AssessmentResult.COMPLIANT);
  const bad = evaluateOs(
    {
      allowedProducts: ['Ubuntu'],
      forbiddenPackages: [{ name: 'telnetd', versions: ['0.17-1'] }],
      allowedTcpPorts: [22],
    },
    {
      product: 'Debian',
      forwarding: 1,
      defaultPassword: true,
      packages: [
        { name: 'telnetd', version: '0.17-1' },
        { name: 'telnetd', version: '0.18' },
      ],
      ports: [
        { blocked: false, protocol: 6, port: 23 },
        { blocked: true, protocol: 6, port: 25 },
        { blocked: false, protocol: 6, port: 22 },
      ],
    },
    [IetfAttr.STRING_VERSION],
  );
  assert.equal(bad.recommendation, ActionRecommendation.NO_ACCESS);
  assert.equal(bad.evaluation, AssessmentResult.NONCOMPLIANT_MAJOR);
  assert.equal(bad.reasons.length, 6);
  for (const s of [
    "product 'Debian'",
    'telnetd 0.17-1',
    'forwarding',
    'default password',
    'TCP port 23',
    'STRING_VERSION',
  ])
    assert.ok(
      bad.reasons.some((r) => r.includes(s)),
      s,
    );
  const minor = evaluateOs({}, { forwarding: 1 });
  assert.equal(minor.recommendation, ActionRecommendation.ISOLATE);
  assert.equal(minor.evaluation, AssessmentResult.NONCOMPLIANT_MINOR);
});

test('property: a violation-free report is allowed, any forbidden package isolates at least', async () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ name: fc.string({ maxLength: 5 }), version: fc.string({ maxLength: 3 }) }), {
        maxLength: 8,
      }),
      (packages) => {
        const v = evaluateOs(
          { forbiddenPackages: [{ name: 'zz-forbidden' }] },
          { packages, forwarding: 0, defaultPassword: false },
        );
        assert.equal(v.recommendation, ActionRecommendation.ALLOW);
        const w = evaluateOs(
          { forbiddenPackages: [{ name: 'zz-forbidden' }] },
          { packages: [...packages, { name: 'zz-forbidden', version: '1' }] },
        );
        assert.notEqual(w.recommendation, ActionRecommendation.ALLOW);
      },
    ),
  );
});

test('verifier ↔ collector: Attribute Request first (to any), then the exclusive answer decides', async () => {
  const imv = createOsImv(configOsPolicy({ allowedTcpPorts: [] })).connect(ctx);
  const [req] = await imv.beginHandshake();
  assert.equal(req!.to, undefined);
  const imc = createOsImc({ source: staticOsInfo(debianInfo()) }).connect(ctx);
  const [answer] = await imc.receive({ ...req!, messageId: 1, exclusive: false, sourceId: 1, destinationId: 0xffff });
  const r = await imv.receive({ ...answer!, messageId: 2, exclusive: true, sourceId: 1, destinationId: 1 });
  assert.equal(r.verdict?.recommendation, ActionRecommendation.ISOLATE);
  assert.deepEqual(r.verdict?.reasons, ['OS IMV: TCP port 22 is open']);
  assert.equal(osAttribute(IetfAttr.ASSESSMENT_RESULT, debianInfo()), undefined);
});

test('policy configuration is validated', async () => {
  assert.throws(() => parseOsPolicy({ allowedTcpPorts: [70000] }), { code: 'ERR_CONFIG' });
  assert.throws(() => parseOsPolicy({ allowedProducts: ['/(/'] }), { code: 'ERR_CONFIG' });
  assert.throws(() => parseOsPolicy({ forbiddenPackages: [{ versions: [] }] }), { code: 'ERR_CONFIG' });
  assert.deepEqual(parseOsPolicy({ forbiddenPackages: ['a', { name: 'b', versions: ['1'] }] }).forbiddenPackages, [
    { name: 'a' },
    { name: 'b', versions: ['1'] },
  ]);
  assert.equal(createImv({ policy: { forwardingOff: false } }).name, 'os');
});
