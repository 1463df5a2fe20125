/**
 * SWIMA on a device and at the verifier: dpkg status / apk database / dpkg.log parsing, ISO/IEC 19770-2:2015 SWID
 * tags, the collector answering SW Requests (inventory, events, identifiers only, targets), and the verifier naming
 * every unknown, blacklisted and security-outdated package (blacklisted: isolate, non-compliant major). Inputs are
 * small fixtures written here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { PaAttribute } from '../../../src/tnc/pa/index.ts';
import { ActionRecommendation } from '../../../src/tnc/pb/constants.ts';
import { EvaluationResult } from '../../../src/tnc/pa/constants.ts';
import {
  SwimaAction,
  SwimaCollector,
  SwimaRequestFlag,
  evaluateSwimaInventory,
  parseApkInstalled,
  parseDpkgLog,
  parseDpkgStatus,
  parseSwidIdentity,
  swidTag,
} from '../../../src/swima/index.ts';
import type { SwimaEventsBody, SwimaInventoryBody } from '../../../src/swima/index.ts';

const STATUS = `Package: bash
Status: install ok installed
Architecture: amd64
Version: 5.2.15-2+b2
Description: GNU Bourne Again SHell
 Bash is an sh-compatible command language interpreter.

Package: removed-thing
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: openssl
Status: install ok installed
Architecture: amd64
Version: 3.0.11-1~deb12u2
`;
const APK = `C:Q1abc=
P:musl
V:1.2.4-r2
A:x86_64

P:busybox
V:1.36.1-r5
A:x86_64
`;
const LOG = `2024-01-02 10:00:00 startup archives unpack
2024-01-02 10:00:01 install bash:amd64 <none> 5.2.15-2
2024-01-02 10:00:02 status installed bash:amd64 5.2.15-2
2024-03-04 11:00:00 upgrade bash:amd64 5.2.15-2 5.2.15-2+b2
2024-03-05 12:00:00 remove telnet:amd64 0.17-44 <none>
`;
const ctx = { os: 'Debian_12', regid: 'debian.org', entityName: 'Debian Project' };

test('dpkg status: installed packages only; apk database; dpkg.log changes', () => {
  assert.deepEqual(parseDpkgStatus(STATUS), [
    { name: 'bash', version: '5.2.15-2+b2', arch: 'amd64' },
    { name: 'openssl', version: '3.0.11-1~deb12u2', arch: 'amd64' },
  ]);
  // States that end in "installed" without being it.
  const notInstalled =
    'Package: x\nStatus: purge ok not-installed\nVersion: 1\n\n' +
    'Package: y\nStatus: install reinstreq half-installed\nVersion: 2\n';
  assert.deepEqual(parseDpkgStatus(notInstalled), []);
  assert.deepEqual(parseApkInstalled(APK), [
    { name: 'musl', version: '1.2.4-r2', arch: 'x86_64' },
    { name: 'busybox', version: '1.36.1-r5', arch: 'x86_64' },
  ]);
  assert.deepEqual(
    parseDpkgLog(LOG).map((e) => [e.action, e.name, e.oldVersion, e.newVersion]),
    [
      ['install', 'bash', undefined, '5.2.15-2'],
      ['upgrade', 'bash', '5.2.15-2', '5.2.15-2+b2'],
      ['remove', 'telnet', '0.17-44', undefined],
    ],
  );
  assert.throws(() => parseDpkgStatus(STATUS, 1), /more than 1 packages/);
});

test('SWID tags: tagId, software identifier regid__tagId, escaped XML that parses back — property', () => {
  const t = swidTag(ctx, { name: 'bash', version: '5.2.15-2+b2', arch: 'amd64' });
  assert.equal(t.tagId, 'Debian_12-amd64-bash-5.2.15-2+b2');
  assert.equal(t.swId, 'debian.org__Debian_12-amd64-bash-5.2.15-2+b2');
  assert.match(
    t.xml,
    /^<\?xml version="1.0" encoding="utf-8"\?><SoftwareIdentity xmlns="http:\/\/standards.iso.org\/iso\/19770\/-2\/2015\/schema.xsd"/,
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), (name, version) => {
      const x = swidTag(ctx, { name, version, arch: 'all' });
      assert.deepEqual(parseSwidIdentity(x.xml), { name, version, tagId: x.tagId });
    }),
  );
});

test('collector: inventory with tags, identifiers only, targets, and events from an EID', () => {
  const c = new SwimaCollector({
    ...ctx,
    packages: parseDpkgStatus(STATUS),
    history: parseDpkgLog(LOG),
    eidEpoch: 0x1234,
  });
  const inv = c.respond({ flags: 0, requestId: 1, earliestEid: 0, targets: [] }) as PaAttribute & SwimaInventoryBody;
  assert.equal(inv.kind, 'ietf/swima-sw-inventory');
  assert.equal(inv.records.length, 2);
  assert.ok(inv.records.every((r) => r.record && r.record.byteLength > 0));
  assert.equal(inv.lastEid, 4, 'install, upgrade (deletion + creation), remove');
  const ids = c.respond({
    flags: SwimaRequestFlag.R,
    requestId: 2,
    earliestEid: 0,
    targets: [inv.records[1]!.swId],
  }) as PaAttribute & SwimaInventoryBody;
  assert.equal(ids.kind, 'ietf/swima-sw-id-inventory');
  assert.deepEqual(
    ids.records.map((r) => [r.swId, r.record]),
    [[inv.records[1]!.swId, undefined]],
  );
  const ev = c.respond({ flags: 0, requestId: 3, earliestEid: 2, targets: [] }) as PaAttribute & SwimaEventsBody;
  assert.equal(ev.kind, 'ietf/swima-sw-events');
  assert.deepEqual(
    ev.events.map((e) => [e.eid, e.action, e.record.swId.split('-').slice(2).join('-')]),
    [
      [2, SwimaAction.DELETION, 'bash-5.2.15-2'],
      [3, SwimaAction.CREATION, 'bash-5.2.15-2+b2'],
      [4, SwimaAction.DELETION, 'telnet-0.17-44'],
    ],
  );
});

test('verifier names every unknown, blacklisted and security-outdated package', async () => {
  const packages = [
    { name: 'bash', version: '5.2.15-2+b2', arch: 'amd64' },
    { name: 'openssl', version: '3.0.11-1~deb12u2', arch: 'amd64' },
    { name: 'netcat-traditional', version: '1.10-47', arch: 'amd64' },
    { name: 'mystery', version: '0.1', arch: 'amd64' },
  ];
  const c = new SwimaCollector({ ...ctx, packages, eidEpoch: 1 });
  const inv = c.respond({ flags: 0, requestId: 1, earliestEid: 0, targets: [] }) as PaAttribute & SwimaInventoryBody;
  const policy = {
    isKnown: (n: string) => n !== 'mystery',
    isBlacklisted: (n: string) => n === 'netcat-traditional',
    securityFix: (n: string, v: string) => (n === 'openssl' && v < '3.0.13' ? '3.0.13-1~deb12u1' : undefined),
  };
  // A blacklisted package isolates the device (non-compliant major), it does not refuse it.
  const v = await evaluateSwimaInventory(inv.records, policy);
  assert.equal(v.recommendation, ActionRecommendation.ISOLATE);
  assert.equal(v.evaluation, EvaluationResult.NONCOMPLIANT_MAJOR);
  assert.deepEqual(v.reasons, [
    'package openssl 3.0.11-1~deb12u2: security update to 3.0.13-1~deb12u1 missing',
    'package netcat-traditional 1.10-47: blacklisted',
    'package mystery 0.1: unknown',
  ]);
  const clean = await evaluateSwimaInventory(inv.records.slice(0, 1), policy);
  assert.deepEqual([clean.recommendation, clean.evaluation], [ActionRecommendation.ALLOW, EvaluationResult.COMPLIANT]);
  const outdated = await evaluateSwimaInventory(inv.records.slice(1, 2), policy);
  assert.deepEqual(
    [outdated.recommendation, outdated.evaluation],
    [ActionRecommendation.ISOLATE, EvaluationResult.NONCOMPLIANT_MINOR],
  );
  const unknown = await evaluateSwimaInventory(inv.records.slice(3), policy);
  assert.deepEqual(
    [unknown.recommendation, unknown.evaluation],
    [ActionRecommendation.ISOLATE, EvaluationResult.NONCOMPLIANT_MINOR],
  );
});

test('verifier: the blacklist is consulted before the known list; optional version check after the security one', async () => {
  const c = new SwimaCollector({
    ...ctx,
    packages: [
      { name: 'telnet', version: '0.17-44', arch: 'amd64' },
      { name: 'bash', version: '5.1-2', arch: 'amd64' },
      { name: 'openssl', version: '3.0.0-1', arch: 'amd64' },
    ],
    eidEpoch: 1,
  });
  const inv = c.respond({ flags: 0, requestId: 1, earliestEid: 0, targets: [] }) as PaAttribute & SwimaInventoryBody;
  const policy = {
    isKnown: (n: string) => n !== 'telnet',
    isKnownVersion: (n: string, v: string) => !(n === 'bash' && v === '5.1-2') && n !== 'openssl',
    isBlacklisted: (n: string) => n === 'telnet',
    securityFix: (n: string) => (n === 'openssl' ? '3.0.13-1' : undefined),
  };
  const v = await evaluateSwimaInventory(inv.records, policy);
  assert.deepEqual(v.reasons, [
    'package telnet 0.17-44: blacklisted',
    'package bash 5.1-2: unknown version',
    'package openssl 3.0.0-1: security update to 3.0.13-1 missing',
  ]);
  assert.deepEqual(
    [v.recommendation, v.evaluation],
    [ActionRecommendation.ISOLATE, EvaluationResult.NONCOMPLIANT_MAJOR],
  );
  const noTag = await evaluateSwimaInventory([{ ...inv.records[1]!, record: undefined }], policy);
  assert.deepEqual(noTag.reasons, [`software ${inv.records[1]!.swId}: no SWID tag with name and version`]);
  assert.equal(noTag.evaluation, EvaluationResult.NONCOMPLIANT_MINOR);
});
