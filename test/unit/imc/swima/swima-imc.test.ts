/**
 * The `swima` collector (RFC 8412 SWIMA-PC) as an IMC module: SW Requests answered exclusively to the requesting
 * IMV from a dpkg status fixture — inventory with SWID tags, identifiers only (R flag), events since an EID from
 * dpkg.log, targets — subscriptions, limits, PA-TNC errors for requests it cannot serve and for malformed messages,
 * the package cache, and configuration errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../../../../src/common/index.ts';
import {
  PaErrorCode,
  Pen,
  decodePaMessage,
  encodePaMessage,
  ietfPaTncError,
  isAttr,
} from '../../../../src/tnc/pa/index.ts';
import type { IetfPaTncError, PaAttribute } from '../../../../src/tnc/pa/index.ts';
import { PB_PA_ID_ANY } from '../../../../src/tnc/pb/index.ts';
import type { PbPaMessage } from '../../../../src/tnc/pb/index.ts';
import { createTncClient } from '../../../../src/tnc/imc-imv/index.ts';
import type { ImcConnection, IncomingPa, OutgoingPa } from '../../../../src/tnc/imc-imv/index.ts';
import {
  SWIMA_FLAG_SUBSCRIPTION_FULFILLMENT,
  SwimaAction,
  SwimaRequestFlag,
  parseSwidIdentity,
  swimaPaRegistry,
} from '../../../../src/swima/index.ts';
import type {
  IetfSwimaRequest,
  IetfSwimaSubscriptionStatusResponse,
  SwimaEventsBody,
  SwimaInventoryBody,
} from '../../../../src/swima/index.ts';
import { IETF_SWIMA, createImc, swidContextFromOsRelease, swimaImcConfig } from '../../../../src/imc/swima/index.ts';
import { CLEAN, LOG, SWID, ctx, fixture, statusOf } from './fixtures.ts';

type Inventory = PaAttribute & SwimaInventoryBody;
type Events = PaAttribute & SwimaEventsBody;

const IMV_ID = 7;

const request = (o: Partial<IetfSwimaRequest> = {}): IetfSwimaRequest => ({
  kind: 'ietf/swima-request',
  noskip: false,
  flags: 0,
  requestId: 42,
  earliestEid: 0,
  targets: [],
  ...o,
});

const incoming = (attributes: PaAttribute[], sourceId = IMV_ID): IncomingPa => ({
  ...IETF_SWIMA,
  messageId: 1,
  attributes,
  exclusive: false,
  sourceId,
  destinationId: PB_PA_ID_ANY,
});

/** One reply message, exclusive to the asking IMV; its attributes. */
function only(out: OutgoingPa[], to = IMV_ID): PaAttribute[] {
  assert.equal(out.length, 1);
  assert.equal(out[0]!.to, to, 'answered exclusively to the requesting IMV');
  assert.deepEqual([out[0]!.vendor, out[0]!.subtype], [IETF_SWIMA.vendor, IETF_SWIMA.subtype]);
  return out[0]!.attributes;
}

const ask = async (c: ImcConnection, ...reqs: Partial<IetfSwimaRequest>[]) =>
  only(await c.receive(incoming(reqs.map(request))));

const swimaErrorText = (e: IetfPaTncError, skip = 4) => {
  assert.equal(e.info.format, 'raw');
  const data = (e.info as { data: Uint8Array }).data;
  return {
    requestId: new DataView(data.buffer, data.byteOffset).getUint32(0),
    text: new TextDecoder().decode(data.subarray(skip)),
  };
};

test('inventory with SWID tags, exclusively to the requesting IMV; one record per installed package', async () => {
  const f = fixture([...CLEAN, ['removed-thing', '1.0']]);
  writeFileSync(
    f.status,
    statusOf(CLEAN) + '\n' + 'Package: removed-thing\nStatus: deinstall ok config-files\nVersion: 1.0\n',
  );
  try {
    const c = createImc({ dpkgStatus: f.status, ...SWID }).connect(ctx());
    assert.deepEqual(await c.beginHandshake(), [], 'nothing unprompted');
    const [inv] = (await ask(c, {})) as Inventory[];
    assert.equal(inv!.kind, 'ietf/swima-sw-inventory');
    assert.equal(inv!.requestId, 42);
    assert.deepEqual(
      inv!.records.map((r) => parseSwidIdentity(new TextDecoder().decode(r.record))),
      CLEAN.map(([name, version]) => ({ name, version, tagId: `Debian_12-amd64-${name}-${version}` })),
    );
    assert.ok(inv!.records.every((r) => r.swId.startsWith('debian.org__Debian_12-amd64-')));
    // The answer survives the wire.
    const bytes = encodePaMessage({ messageId: 1, attributes: [inv!] }, swimaPaRegistry);
    assert.deepEqual((decodePaMessage(bytes, swimaPaRegistry).attributes[0] as Inventory).records, inv!.records);
  } finally {
    f.cleanup();
  }
});

test('R flag: identifiers only; targets restrict the answer', async () => {
  const f = fixture();
  try {
    const c = createImc({ dpkgStatus: f.status, ...SWID }).connect(ctx());
    const target = 'debian.org__Debian_12-amd64-openssl-3.0.15-1~deb12u1';
    const [ids] = (await ask(c, {
      flags: SwimaRequestFlag.R,
      targets: [target, 'debian.org__nothing'],
    })) as Inventory[];
    assert.equal(ids!.kind, 'ietf/swima-sw-id-inventory');
    assert.deepEqual(
      ids!.records.map((r) => [r.swId, r.record]),
      [[target, undefined]],
    );
  } finally {
    f.cleanup();
  }
});

test('events since Earliest EID from dpkg.log, with tags and identifiers only; stable EID epoch', async () => {
  const f = fixture();
  try {
    const imc = createImc({ dpkgStatus: f.status, dpkgLog: f.log, ...SWID });
    const c = imc.connect(ctx());
    const [ev] = (await ask(c, { earliestEid: 2 })) as Events[];
    assert.equal(ev!.kind, 'ietf/swima-sw-events');
    assert.equal(ev!.lastEid, 5, 'install, upgrade (deletion + creation), install, remove');
    assert.deepEqual(
      ev!.events.map((e) => [e.eid, e.action, parseSwidIdentity(new TextDecoder().decode(e.record.record))?.name]),
      [
        [2, SwimaAction.DELETION, 'bash'],
        [3, SwimaAction.CREATION, 'bash'],
        [4, SwimaAction.CREATION, 'netcat-traditional'],
        [5, SwimaAction.DELETION, 'telnet'],
      ],
    );
    const [idEv] = (await ask(c, { earliestEid: 5, flags: SwimaRequestFlag.R })) as Events[];
    assert.equal(idEv!.kind, 'ietf/swima-sw-id-events');
    assert.deepEqual(
      idEv!.events.map((e) => [e.eid, e.record.swId, e.record.record]),
      [[5, 'debian.org__Debian_12-amd64-telnet-0.17-44', undefined]],
    );
    assert.equal(idEv!.eidEpoch, ev!.eidEpoch);
    assert.notEqual(ev!.eidEpoch, 0);
    // Another log (restarted numbering) → another epoch; a configured epoch wins.
    const g = fixture(CLEAN, '2025-01-01 00:00:00 install vim:amd64 <none> 9.0\n');
    try {
      const other = (await ask(createImc({ dpkgStatus: g.status, dpkgLog: g.log, ...SWID }).connect(ctx()), {
        earliestEid: 1,
      })) as Events[];
      assert.notEqual(other[0]!.eidEpoch, ev!.eidEpoch);
      const fixed = (await ask(
        createImc({ dpkgStatus: g.status, dpkgLog: g.log, eidEpoch: 77, ...SWID }).connect(ctx()),
        {
          earliestEid: 1,
        },
      )) as Events[];
      assert.equal(fixed[0]!.eidEpoch, 77);
    } finally {
      g.cleanup();
    }
    // Without a history file: no events, not an error.
    const [none] = (await ask(
      createImc({ dpkgStatus: f.status, dpkgLog: `${f.dir}/absent.log`, ...SWID }).connect(ctx()),
      {
        earliestEid: 1,
      },
    )) as Events[];
    assert.deepEqual([none!.kind, none!.events.length, none!.lastEid], ['ietf/swima-sw-events', 0, 0]);
  } finally {
    f.cleanup();
  }
});

test('apk database instead of dpkg status', async () => {
  const f = fixture();
  try {
    const apk = f.write('installed', 'C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\n\nP:busybox\nV:1.36.1-r5\nA:x86_64\n');
    const [inv] = (await ask(
      createImc({ apkInstalled: apk, os: 'alpine_3.19', regid: 'alpinelinux.org', entityName: 'Alpine' }).connect(
        ctx(),
      ),
      {},
    )) as Inventory[];
    assert.deepEqual(
      inv!.records.map((r) => r.swId),
      ['alpinelinux.org__alpine_3.19-x86_64-musl-1.2.4-r2', 'alpinelinux.org__alpine_3.19-x86_64-busybox-1.36.1-r5'],
    );
  } finally {
    f.cleanup();
  }
});

test('an unreadable package database → SWIMA_ERROR naming the file, with the request id; never a throw', async () => {
  const c = createImc({ dpkgStatus: '/nonexistent/attestd/status', ...SWID }).connect(ctx());
  const [e] = await ask(c, { requestId: 9 });
  assert.ok(isAttr(ietfPaTncError, e!));
  assert.deepEqual([e.errorVendor, e.errorCode], [Pen.IETF, PaErrorCode.SWIMA_ERROR]);
  const { requestId, text } = swimaErrorText(e);
  assert.equal(requestId, 9);
  assert.match(text, /cannot read \/nonexistent\/attestd\/status/);
});

test('limits: more records than maxRecords, or a larger answer than maxResponseSize → SWIMA_RESPONSE_TOO_LARGE', async () => {
  const f = fixture();
  try {
    const [e] = await ask(createImc({ dpkgStatus: f.status, maxRecords: 2, ...SWID }).connect(ctx()), { requestId: 3 });
    assert.ok(isAttr(ietfPaTncError, e!));
    assert.equal(e.errorCode, PaErrorCode.SWIMA_RESPONSE_TOO_LARGE);
    assert.match(swimaErrorText(e, 8).text, /3 records exceed the limit of 2/);
    // Identifiers only fit where tags do not.
    const small = createImc({ dpkgStatus: f.status, maxResponseSize: 400, ...SWID }).connect(ctx());
    const [big] = await ask(small, {});
    assert.ok(isAttr(ietfPaTncError, big!));
    assert.equal(big.errorCode, PaErrorCode.SWIMA_RESPONSE_TOO_LARGE);
    const data = (big.info as { data: Uint8Array }).data;
    assert.equal(new DataView(data.buffer, data.byteOffset).getUint32(4), 400, 'maximum allowed size');
    const [ok] = await ask(small, { flags: SwimaRequestFlag.R });
    assert.equal(ok!.kind, 'ietf/swima-sw-id-inventory');
  } finally {
    f.cleanup();
  }
});

test('the package database is read again only when it changed (size or mtime)', async () => {
  const f = fixture();
  try {
    const imc = createImc({ dpkgStatus: f.status, ...SWID });
    const first = (await ask(imc.connect(ctx('a')), {})) as Inventory[];
    assert.equal(first[0]!.records.length, 3);
    const t = new Date('2024-01-01T00:00:00Z');
    utimesSync(f.status, t, t);
    const again = (await ask(imc.connect(ctx('b')), {})) as Inventory[];
    assert.equal(again[0]!.records.length, 3);
    // Same size and mtime: the cached parse is used even though the bytes differ.
    const before = statusOf(CLEAN);
    writeFileSync(f.status, before.replace('bash', 'dash'));
    utimesSync(f.status, t, t);
    const cached = (await ask(imc.connect(ctx('c')), {})) as Inventory[];
    assert.ok(
      cached[0]!.records.some((r) => r.swId.includes('-bash-')),
      'served from the cache',
    );
    // Changed: read again.
    writeFileSync(f.status, statusOf([...CLEAN, ['vim', '2:9.0.1378-2']]));
    const fresh = (await ask(imc.connect(ctx('d')), {})) as Inventory[];
    assert.equal(fresh[0]!.records.length, 4);
  } finally {
    f.cleanup();
  }
});

test('subscriptions: S flag establishes one, fulfilled at a later handshake when the software changed; C clears', async () => {
  const f = fixture();
  try {
    const c = createImc({ dpkgStatus: f.status, dpkgLog: f.log, maxSubscriptions: 2, ...SWID }).connect(ctx());
    const [first] = (await ask(c, { flags: SwimaRequestFlag.S, requestId: 100 })) as Inventory[];
    assert.equal(first!.kind, 'ietf/swima-sw-inventory');
    assert.equal(first!.flags & SWIMA_FLAG_SUBSCRIPTION_FULFILLMENT, 0, 'the direct answer is no fulfilment');
    const [reuse] = await ask(c, { flags: SwimaRequestFlag.S, requestId: 100 });
    assert.ok(isAttr(ietfPaTncError, reuse!));
    assert.equal(reuse.errorCode, PaErrorCode.SWIMA_SUBSCRIPTION_ID_REUSE);
    await ask(c, { flags: SwimaRequestFlag.S | SwimaRequestFlag.R, requestId: 101, earliestEid: 6 });
    const [denied] = await ask(c, { flags: SwimaRequestFlag.S, requestId: 102 });
    assert.ok(isAttr(ietfPaTncError, denied!));
    assert.equal(denied.errorCode, PaErrorCode.SWIMA_SUBSCRIPTION_DENIED);

    const [st] = only(await c.receive(incoming([{ kind: 'ietf/swima-subscription-status-request', noskip: false }])));
    assert.deepEqual(
      (st as IetfSwimaSubscriptionStatusResponse).subscriptions.map((s) => [s.requestId, s.earliestEid]),
      [
        [100, 0],
        [101, 6],
      ],
    );
    assert.deepEqual(await c.beginHandshake(), [], 'nothing changed: nothing to fulfil');

    writeFileSync(f.status, statusOf([...CLEAN, ['vim', '2:9.0.1378-2']]));
    writeFileSync(f.log, `${LOG}2024-04-01 08:00:00 install vim:amd64 <none> 2:9.0.1378-2\n`);
    const out = only(await c.beginHandshake());
    const inv = out[0] as Inventory;
    const ev = out[1] as Events;
    assert.equal(inv.kind, 'ietf/swima-sw-inventory');
    assert.equal(inv.requestId, 100, 'the subscription id');
    assert.equal(inv.flags & SWIMA_FLAG_SUBSCRIPTION_FULFILLMENT, SWIMA_FLAG_SUBSCRIPTION_FULFILLMENT);
    assert.equal(inv.records.length, 4);
    assert.equal(ev.kind, 'ietf/swima-sw-id-events');
    assert.deepEqual(
      ev.events.map((e) => [e.eid, e.record.swId]),
      [[6, 'debian.org__Debian_12-amd64-vim-2:9.0.1378-2']],
    );
    assert.deepEqual(await c.beginHandshake(), [], 'fulfilled once per change');

    const [cleared] = await ask(c, { flags: SwimaRequestFlag.C });
    assert.deepEqual((cleared as IetfSwimaSubscriptionStatusResponse).subscriptions, []);
    writeFileSync(f.status, statusOf(CLEAN));
    assert.deepEqual(await c.beginHandshake(), [], 'no subscriptions left');
  } finally {
    f.cleanup();
  }
});

test('a subscription that cannot be fulfilled → SWIMA_SUBSCRIPTION_FULFILLMENT_ERROR naming it; it stays', async () => {
  const f = fixture();
  try {
    const c = createImc({ dpkgStatus: f.status, maxRecords: 3, ...SWID }).connect(ctx());
    await ask(c, { flags: SwimaRequestFlag.S, requestId: 300 });
    writeFileSync(f.status, statusOf([...CLEAN, ['vim', '2:9.0.1378-2']])); // 4 records > maxRecords
    const [tooMany] = only(await c.beginHandshake());
    assert.ok(isAttr(ietfPaTncError, tooMany!));
    assert.equal(tooMany.errorCode, PaErrorCode.SWIMA_SUBSCRIPTION_FULFILLMENT_ERROR);
    assert.deepEqual(swimaErrorText(tooMany), { requestId: 300, text: '4 records exceed the limit of 3' });
    rmSync(f.status);
    const [gone] = only(await c.beginHandshake());
    assert.ok(isAttr(ietfPaTncError, gone!));
    assert.equal(gone.errorCode, PaErrorCode.SWIMA_SUBSCRIPTION_FULFILLMENT_ERROR);
    assert.match(swimaErrorText(gone).text, /cannot read .*status/);
    writeFileSync(f.status, statusOf(CLEAN));
    const [back] = only(await c.beginHandshake()) as Inventory[];
    assert.deepEqual([back!.requestId, back!.records.length], [300, 3], 'the subscription survived');
  } finally {
    f.cleanup();
  }
});

test('a malformed SW Request is answered by the host with a PA-TNC Invalid Parameter error to the IMV', async () => {
  const f = fixture();
  try {
    const client = createTncClient({ imcs: [createImc({ dpkgStatus: f.status, ...SWID })], context: ctx() });
    await client.beginHandshake();
    const good = encodePaMessage({ messageId: 5, attributes: [request()] }, swimaPaRegistry);
    const bad = good.slice();
    bad[8 + 12 + 3] = 0xff; // Software Identifier Count: 255 identifiers in 0 bytes
    const pb = (body: Uint8Array): PbPaMessage => ({
      kind: 'pa',
      exclusive: false,
      paVendor: IETF_SWIMA.vendor,
      paSubtype: IETF_SWIMA.subtype,
      collectorId: PB_PA_ID_ANY,
      validatorId: IMV_ID,
      body,
    });
    const [reply] = await client.receive([pb(bad)]);
    assert.equal(reply!.validatorId, IMV_ID);
    assert.ok(reply!.exclusive);
    const [err] = decodePaMessage(reply!.body, swimaPaRegistry).attributes;
    assert.ok(isAttr(ietfPaTncError, err!));
    assert.equal(err.errorCode, PaErrorCode.INVALID_PARAMETER);
    assert.equal(err.info.format, 'invalid-parameter');
    const off = err.info.format === 'invalid-parameter' ? err.info.offset : -1;
    assert.ok(off >= 8 + 12 && off <= bad.byteLength, `offset ${off} inside the SW Request value`);
    // Truncated in the middle of an identifier, too.
    const t = encodePaMessage({ messageId: 6, attributes: [request({ targets: ['x'.repeat(40)] })] }, swimaPaRegistry);
    t[8 + 11]! -= 10; // the attribute length (low byte) shortened with the message
    const [r2] = await client.receive([pb(t.subarray(0, t.byteLength - 10))]);
    assert.equal(
      (decodePaMessage(r2!.body, swimaPaRegistry).attributes[0] as IetfPaTncError).errorCode,
      PaErrorCode.INVALID_PARAMETER,
    );
    // The well-formed one is answered with the inventory.
    const [r3] = await client.receive([pb(good)]);
    assert.equal(decodePaMessage(r3!.body, swimaPaRegistry).attributes[0]!.kind, 'ietf/swima-sw-inventory');
  } finally {
    f.cleanup();
  }
});

test('configuration: defaults, SWID context from os-release, and clear ConfigErrors', () => {
  const f = fixture();
  try {
    const osr = f.write('os-release', 'NAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="12"\n');
    const c = swimaImcConfig({ osRelease: osr });
    assert.deepEqual(c.packages, { format: 'dpkg', path: '/var/lib/dpkg/status' });
    assert.deepEqual([c.os, c.regid, c.entityName], ['debian_12', 'debian.org', 'Debian GNU/Linux']);
    assert.deepEqual([c.maxRecords, c.maxSubscriptions], [100_000, 8]);
    assert.deepEqual(swidContextFromOsRelease(undefined), {
      os: 'unknown',
      regid: 'unknown.invalid',
      entityName: 'unknown',
    });
    assert.equal(swimaImcConfig({ regid: 'example.com', osRelease: osr }).regid, 'example.com');
    assert.equal(swimaImcConfig({ maxRecords: '0x10', ...SWID }).maxRecords, 16);
  } finally {
    f.cleanup();
  }
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ dpkgStatus: '/a', apkInstalled: '/b' }, /give dpkgStatus or apkInstalled, not both/],
    [{ dpkgStatus: 3 }, /dpkgStatus must be a non-empty string/],
    [{ dpkgLog: '' }, /dpkgLog must be a non-empty string/],
    [{ maxRecords: 0 }, /maxRecords must be an integer 1\.\./],
    [{ maxResponseSize: 'lots' }, /maxResponseSize must be an integer/],
    [{ eidEpoch: -1 }, /eidEpoch must be an integer/],
    [{ regid: ['x'] }, /regid must be a non-empty string/],
    [{ dpkg_status: '/x' }, /unknown option 'dpkg_status' \(known: dpkgStatus, /],
  ];
  for (const [raw, msg] of bad) {
    assert.throws(
      () => createImc({ ...SWID, ...raw }),
      (e: unknown) => e instanceof ConfigError && msg.test(e.message) && e.message.startsWith('imc swima: '),
      JSON.stringify(raw),
    );
  }
});
