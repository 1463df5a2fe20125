/**
 * The `swima` verifier (RFC 8412 SWIMA-PV) against the `swima` collector in process (createTncSide + runInProcess),
 * the device's software a dpkg status fixture in a temp dir, the policy a known-good package list, a blacklist and a
 * security list:
 *
 *   IMV → IMC   SW Request (request id n, Earliest EID 0 — or n > 0 for events)
 *   IMC → IMV   Software Inventory / Software Events with SWID tags (or a PA-TNC Error)
 *   IMV         verdict: allow | isolate (blacklisted: major; unknown / outdated: minor) | no access (errors)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../../src/common/index.ts';
import { createTncSide, runInProcess } from '../../../../src/tnc/imc-imv/index.ts';
import type { ImcModule, ImvModule, ImvReply, TncSide } from '../../../../src/tnc/imc-imv/index.ts';
import { PaErrorCode, Pen } from '../../../../src/tnc/pa/index.ts';
import { ActionRecommendation, AssessmentResult, Recommendation } from '../../../../src/tnc/pb/index.ts';
import { SwimaAction, SwimaCollector, swidTag } from '../../../../src/swima/index.ts';
import type { PackagePolicy, SwimaRecord } from '../../../../src/swima/index.ts';
import { createImc } from '../../../../src/imc/swima/index.ts';
import { swimaError } from '../../../../src/imc/swima/index.ts';
import {
  IETF_SWIMA,
  compareDebianVersions,
  createImv,
  createSwimaImv,
  describePaTncError,
  filePackagePolicy,
  installedByEvents,
  parseDebPackageList,
  swimaImvOptions,
} from '../../../../src/imv/swima/index.ts';
import type { SwimaImvConfig } from '../../../../src/imv/swima/index.ts';
import { createTestImc } from '../../../../src/imc/test/index.ts';
import { CLEAN, LOG, SWID, ctx, fixture, paragraph, statusOf } from '../../imc/swima/fixtures.ts';
import type { Fixture } from '../../imc/swima/fixtures.ts';

/** A Debian Packages index (no Status fields) of the known-good packages. */
const PACKAGES = [...CLEAN, ['netcat-traditional', '1.10-47'], ['vim', '2:9.0.1378-2']]
  .map(([n, v]) => `Package: ${n}\nVersion: ${v}\nArchitecture: amd64\nFilename: pool/main/${n}.deb\n`)
  .join('\n');

async function exchange(imc: ImcModule, imv: ImvModule): Promise<{ client: TncSide; server: TncSide }> {
  const client = createTncSide({ transport: 'client', imcs: [imc], context: ctx('device') });
  const server = createTncSide({ transport: 'server', imvs: [imv], context: ctx('gateway') });
  await runInProcess(client, server);
  assert.ok(client.outcome().done && server.outcome().done);
  return { client, server };
}

/** The device with `pkgs` installed, judged by the file-based IMV configured with `imv` (+ the known list). */
async function assess(
  pkgs: readonly (readonly [string, string])[],
  imv: Record<string, unknown> = {},
  imc: Record<string, unknown> = {},
): Promise<{ f: Fixture; client: TncSide; server: TncSide }> {
  const f = fixture(pkgs);
  try {
    const known = f.write('Packages', PACKAGES);
    const r = await exchange(
      createImc({ dpkgStatus: f.status, dpkgLog: f.log, ...SWID, ...imc }),
      createImv({ packages: known, ...imv }),
    );
    return { f, ...r };
  } finally {
    f.cleanup();
  }
}

const reasonsOf = (s: TncSide) => s.outcome().verdict?.reasons ?? [];

test('clean inventory → allow, compliant, no reasons; the device learns the verdict', async () => {
  const { client, server } = await assess(CLEAN, { blacklist: 'netcat-traditional, telnet' });
  const o = server.outcome();
  assert.deepEqual(o.verdict?.reasons, []);
  assert.equal(o.verdict?.evaluation, AssessmentResult.COMPLIANT);
  assert.equal(o.decision?.recommendation, Recommendation.ACCESS_ALLOWED);
  assert.equal(client.outcome().assessedBy?.recommendation, Recommendation.ACCESS_ALLOWED);
});

test('a blacklisted package → isolate (non-compliant major) naming the package and its version', async () => {
  const { client, server } = await assess([...CLEAN, ['netcat-traditional', '1.10-47']], {
    blacklist: ['netcat-traditional'],
  });
  assert.equal(server.outcome().decision?.recommendation, Recommendation.QUARANTINED);
  assert.equal(server.outcome().verdict?.evaluation, AssessmentResult.NONCOMPLIANT_MAJOR);
  assert.deepEqual(reasonsOf(server), ['SWIMA IMV: package netcat-traditional 1.10-47: blacklisted']);
  assert.deepEqual(
    client.outcome().assessedBy?.reasons.map((r) => r.reason),
    ['SWIMA IMV: package netcat-traditional 1.10-47: blacklisted'],
  );
  // Blacklisted although not on the known-good list: still a blacklisted package, not an unknown one.
  const { server: s2 } = await assess([...CLEAN, ['telnet', '0.17-44']], { blacklist: 'telnet' });
  assert.deepEqual(reasonsOf(s2), ['SWIMA IMV: package telnet 0.17-44: blacklisted']);
  assert.equal(s2.outcome().verdict?.evaluation, AssessmentResult.NONCOMPLIANT_MAJOR);
});

test('unknown package, unknown version, missing security update → isolate (minor), each named', async () => {
  const f = fixture();
  let security: string;
  try {
    security = f.write('security', paragraph('openssl', '3.0.16-1~deb12u1').replace(/^Status:.*\n/m, ''));
    const { server } = await assess(
      [
        ['bash', '5.2.15-2+b2'],
        ['openssl', '3.0.15-1~deb12u1'],
        ['libc6', '2.36-9+deb12u4'],
        ['mystery', '0.1'],
      ],
      { security },
    );
    assert.equal(server.outcome().decision?.recommendation, Recommendation.QUARANTINED);
    assert.equal(server.outcome().verdict?.evaluation, AssessmentResult.NONCOMPLIANT_MINOR);
    assert.deepEqual(reasonsOf(server), [
      'SWIMA IMV: package openssl 3.0.15-1~deb12u1: security update to 3.0.16-1~deb12u1 missing',
      'SWIMA IMV: package libc6 2.36-9+deb12u4: unknown version',
      'SWIMA IMV: package mystery 0.1: unknown',
    ]);
  } finally {
    f.cleanup();
  }
});

test('events path: the IMV asks from an EID and judges what the events leave installed', async () => {
  // EIDs of LOG: 1 install bash, 2/3 upgrade bash, 4 install netcat-traditional, 5 remove telnet.
  const { server } = await assess(CLEAN, { earliestEid: 2, blacklist: 'netcat-traditional telnet' });
  assert.deepEqual(reasonsOf(server), ['SWIMA IMV: package netcat-traditional 1.10-47: blacklisted']);
  assert.equal(server.outcome().decision?.recommendation, Recommendation.QUARANTINED);
  // From EID 5 on only the removal of telnet: nothing installed, nothing wrong.
  const { server: s5 } = await assess(CLEAN, { earliestEid: 5, blacklist: 'netcat-traditional telnet' });
  assert.deepEqual(reasonsOf(s5), []);
  assert.equal(s5.outcome().decision?.recommendation, Recommendation.ACCESS_ALLOWED);
  // Creation then deletion of the same software leaves nothing.
  const rec = (name: string): SwimaRecord => ({
    recordId: 1,
    dataModel: { pen: 0, type: 0 },
    sourceId: 0,
    swId: swidTag(SWID, { name, version: '1', arch: 'all' }).swId,
    locator: '',
  });
  const ev = (eid: number, action: number, name: string) => ({
    eid,
    action,
    timestamp: '2024-01-01T00:00:00Z',
    record: rec(name),
  });
  assert.deepEqual(
    installedByEvents([
      ev(2, SwimaAction.DELETION, 'a'),
      ev(1, SwimaAction.CREATION, 'a'),
      ev(3, SwimaAction.CREATION, 'b'),
    ]).map((r) => r.swId),
    [rec('b').swId],
  );
});

test('a PA-TNC Error from the collector → no access naming the error and its description', async () => {
  const f = fixture();
  try {
    const known = f.write('Packages', PACKAGES);
    const { client, server } = await exchange(
      createImc({ dpkgStatus: `${f.dir}/missing-status`, ...SWID }),
      createImv({ packages: known }),
    );
    assert.equal(server.outcome().decision?.recommendation, Recommendation.ACCESS_DENIED);
    assert.equal(server.outcome().verdict?.evaluation, AssessmentResult.ERROR);
    const [reason] = reasonsOf(server);
    assert.match(reason!, /^SWIMA IMV: the collector answered with SWIMA_ERROR: cannot read .*missing-status/);
    assert.equal(client.outcome().assessedBy?.recommendation, Recommendation.ACCESS_DENIED);
    // Too large an answer: the limit is named.
    const { server: s2 } = await exchange(
      createImc({ dpkgStatus: f.write('status2', statusOf(CLEAN)), maxResponseSize: 300, ...SWID }),
      createImv({ packages: known }),
    );
    assert.match(reasonsOf(s2)[0]!, /SWIMA_RESPONSE_TOO_LARGE \(at most 300 bytes\): a response of \d+ bytes/);
  } finally {
    f.cleanup();
  }
});

test('no SWIMA collector on the device → no access: "no software inventory received"', async () => {
  const f = fixture();
  try {
    const { server } = await exchange(
      createTestImc({ command: 'allow' }),
      createImv({ packages: f.write('P', PACKAGES) }),
    );
    assert.equal(server.outcome().decision?.recommendation, Recommendation.ACCESS_DENIED);
    assert.deepEqual(reasonsOf(server), ['SWIMA IMV: no software inventory received']);
  } finally {
    f.cleanup();
  }
});

test('malformed or unexpected answers → no access naming the problem (module level)', async () => {
  const policy: PackagePolicy = { isKnown: () => true, isBlacklisted: () => false, securityFix: () => undefined };
  const imv = createSwimaImv({ policy });
  const conn = imv.connect(ctx());
  const [req] = await conn.beginHandshake();
  assert.equal(req!.to, undefined, 'the request goes to any SWIMA collector');
  const sent = req!.attributes[0] as { kind: string; requestId: number; earliestEid: number; flags: number };
  assert.deepEqual([sent.kind, sent.earliestEid, sent.flags], ['ietf/swima-request', 0, 0]);
  const collector = new SwimaCollector({
    ...SWID,
    packages: [{ name: 'bash', version: '5', arch: 'amd64' }],
    eidEpoch: 1,
  });
  const deliver = (attributes: unknown[]) =>
    conn.receive({
      ...IETF_SWIMA,
      messageId: 1,
      attributes: attributes as never,
      exclusive: true,
      sourceId: 1,
      destinationId: 1,
    }) as Promise<ImvReply>;
  const answer = (o: { requestId?: number; flags?: number; earliestEid?: number }) =>
    collector.respond({
      flags: o.flags ?? 0,
      requestId: o.requestId ?? sent.requestId,
      earliestEid: o.earliestEid ?? 0,
      targets: [],
    });

  const wrongId = await deliver([answer({ requestId: sent.requestId + 1 })]);
  assert.equal(wrongId.verdict?.recommendation, ActionRecommendation.NO_ACCESS);
  assert.match(
    wrongId.verdict!.reasons[0]!,
    new RegExp(`answer to request ${sent.requestId + 1} received, request ${sent.requestId} was sent`),
  );
  const idsOnly = await deliver([answer({ flags: 0x20 })]);
  assert.deepEqual(idsOnly.verdict?.reasons, ['SWIMA IMV: sw-id-inventory received, sw-inventory requested']);
  const events = await deliver([answer({ earliestEid: 1 })]);
  assert.deepEqual(events.verdict?.reasons, ['SWIMA IMV: sw-events received, sw-inventory requested']);
  const unrelated = await deliver([{ kind: 'ietf/swima-subscription-status-request', noskip: false }]);
  assert.equal(unrelated.verdict, undefined, 'no verdict on attributes that answer nothing');
  // An error beside a clean inventory still refuses.
  const both = await deliver([answer({}), swimaError(PaErrorCode.SWIMA_ERROR, sent.requestId, 'disk on fire')]);
  assert.deepEqual(both.verdict?.reasons, ['SWIMA IMV: the collector answered with SWIMA_ERROR: disk on fire']);
  assert.equal((await conn.solicitRecommendation()).recommendation, ActionRecommendation.NO_ACCESS);
  // A clean answer alone allows; the next handshake asks with a new request id and forgets the verdict.
  const ok = await deliver([answer({})]);
  assert.deepEqual([ok.verdict?.recommendation, ok.verdict?.reasons], [ActionRecommendation.ALLOW, []]);
  const [again] = await conn.beginHandshake();
  assert.notEqual((again!.attributes[0] as unknown as { requestId: number }).requestId, sent.requestId);
  assert.deepEqual(await conn.solicitRecommendation(), {
    recommendation: ActionRecommendation.NO_ACCESS,
    evaluation: AssessmentResult.DONT_KNOW,
    reasons: ['SWIMA IMV: no software inventory received'],
  });
});

test('injected policy (async, as a database would answer) and maxRecords', async () => {
  const seen: string[] = [];
  const prefetched: string[][] = [];
  const policy: PackagePolicy = {
    prefetch: async (names) => void prefetched.push([...names]),
    isKnown: async (n) => (seen.push(n), n !== 'mystery'),
    isBlacklisted: async (n, v) => n === 'bash' && v.startsWith('4.'),
    securityFix: async () => undefined,
  };
  const config: SwimaImvConfig = { policy, maxRecords: 2 };
  const f = fixture([
    ['bash', '4.4-5'],
    ['mystery', '1'],
    ['libc6', '2.36'],
  ]);
  try {
    const { server } = await exchange(createImc({ dpkgStatus: f.status, ...SWID }), createSwimaImv(config));
    assert.deepEqual(reasonsOf(server), [
      'SWIMA IMV: more than 2 software records: inventory cut off',
      'SWIMA IMV: package bash 4.4-5: blacklisted',
      'SWIMA IMV: package mystery 1: unknown',
    ]);
    assert.deepEqual(seen, ['mystery'], 'only the first maxRecords records are judged');
    assert.deepEqual(prefetched, [['bash', 'mystery']], 'one batch lookup before the questions');
    assert.equal(server.outcome().decision?.recommendation, Recommendation.QUARANTINED);
  } finally {
    f.cleanup();
  }
});

test('PA-TNC errors in words', () => {
  const h = new Uint8Array(8);
  assert.equal(
    describePaTncError({
      kind: 'ietf/pa-tnc-error',
      errorVendor: Pen.IETF,
      errorCode: PaErrorCode.INVALID_PARAMETER,
      info: { format: 'invalid-parameter', messageHeader: h, offset: 33 },
    }),
    'INVALID_PARAMETER at offset 33',
  );
  assert.equal(
    describePaTncError(swimaError(PaErrorCode.SWIMA_SUBSCRIPTION_DENIED, 1, 'no\u0007bell')),
    'SWIMA_SUBSCRIPTION_DENIED: no?bell',
  );
  assert.equal(
    describePaTncError({
      kind: 'ietf/pa-tnc-error',
      errorVendor: 0x9999,
      errorCode: 4,
      info: { format: 'raw', data: h },
    }),
    'vendor 0x9999 error 4',
  );
});

test('Debian version ordering and the file policy', () => {
  const ordered = ['~~', '~~a', '~', '0', '1.0~rc1', '1.0', '1.0-1', '1.0-1+b1', '1.0a', '1.0+dfsg', '1.1', '1:0.1'];
  for (let i = 0; i < ordered.length; i++)
    for (let j = 0; j < ordered.length; j++)
      assert.equal(
        Math.sign(compareDebianVersions(ordered[i]!, ordered[j]!)),
        Math.sign(i - j),
        `${ordered[i]} vs ${ordered[j]}`,
      );
  assert.equal(compareDebianVersions('3.0.11-1~deb12u2', '3.0.13-1~deb12u1'), -1);
  assert.equal(compareDebianVersions('1.001', '1.1'), 0);
  assert.equal(compareDebianVersions('', '0'), 0, 'an empty part equals zero, as in dpkg');
  const known = parseDebPackageList(
    statusOf([['a', '1']]) +
      '\n' +
      paragraph('gone', '2', 'deinstall ok config-files') +
      '\n' +
      paragraph('purged', '5', 'purge ok not-installed') +
      '\n' +
      paragraph('broken', '6', 'install reinstreq half-installed') +
      '\nPackage: b\nVersion: 3\n\nPackage: b\nVersion: 4\n',
  );
  assert.deepEqual(
    [...known].map(([n, v]) => [n, [...v]]),
    [
      ['a', ['1']],
      ['b', ['3', '4']],
    ],
  );
  const p = filePackagePolicy({
    known,
    blacklist: new Set(['x']),
    security: new Map([['b', new Set(['3.1', '4.1', '4.0.1'])]]),
  });
  assert.deepEqual(
    [
      p.isKnown('a'),
      p.isKnown('gone'),
      p.isKnownVersion!('b', '4'),
      p.isKnownVersion!('b', '5'),
      p.isBlacklisted('x', '1'),
    ],
    [true, false, true, false, true],
  );
  assert.deepEqual(
    [p.securityFix('b', '4'), p.securityFix('b', '4.1'), p.securityFix('a', '0')],
    ['4.1', undefined, undefined],
  );
});

test('configuration errors are ConfigErrors with clear messages', () => {
  const f = fixture();
  try {
    const known = f.write('Packages', PACKAGES);
    const empty = f.write('empty', '\n');
    const bad: [Record<string, unknown>, RegExp][] = [
      [{}, /^imv swima: packages \(a dpkg status or Packages file\) is required$/],
      [{ packages: '' }, /packages .* is required/],
      [{ packages: `${f.dir}/nope` }, /^imv swima: cannot read packages .*nope: ENOENT/],
      [{ packages: empty }, /lists no packages/],
      [{ packages: known, security: 5 }, /^imv swima: security \(a dpkg status or Packages file\) is a path$/],
      [{ packages: known, security: `${f.dir}/nope` }, /cannot read security/],
      [{ packages: known, blacklist: [1] }, /^imv swima: blacklist must be a list of package names$/],
      [{ packages: known, maxRecords: 0 }, /^imv swima: maxRecords must be an integer 1\.\./],
      [{ packages: known, earliestEid: 'soon' }, /^imv swima: earliestEid must be an integer 0\.\./],
      [
        { packages: known, blacklisted: 'x' },
        /^imv swima: unknown option 'blacklisted' \(known: maxRecords, earliestEid, packages/,
      ],
    ];
    for (const [raw, msg] of bad)
      assert.throws(
        () => createImv(raw),
        (e: unknown) => e instanceof ConfigError && msg.test(e.message),
        JSON.stringify(raw),
      );
    assert.equal(createImv({ packages: known, maxRecords: '10', blacklist: 'a b,c' }).name, 'swima');
    // The shared options of a factory that injects its own policy (the reference database's).
    assert.deepEqual(swimaImvOptions({ product: 'Debian 12', maxRecords: 5 }, ['product']), { maxRecords: 5 });
    assert.throws(
      () => swimaImvOptions({ product: 'x' }),
      /unknown option 'product' \(known: maxRecords, earliestEid\)/,
    );
  } finally {
    f.cleanup();
  }
  void LOG;
});
