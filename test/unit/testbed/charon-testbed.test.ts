// The network-namespace test bed and strongSwan charon (Debian 5.9.8) driven over VICI: the ground every interop
// test and bench stands on. Needs root (namespaces), ip, tcpdump, tshark and /usr/lib/ipsec/charon.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { requires } from '../../support/env.ts';
import { createTestbed, listNamespaces, namespacePids, sendUdp, sweepStaleNamespaces } from '../../support/netns.ts';
import type { Testbed, TestbedHost } from '../../support/netns.ts';
import { CHARON, SWANCTL, pkiCertificates, startCharon } from '../../support/charon.ts';
import type { Charon, CharonOptions } from '../../support/charon.ts';
import { decodeIke, dissect, formatProblems, startCapture } from '../../support/capture.ts';
import { pidAlive, run } from '../../support/proc.ts';
import { pskSwanctlConf, swanctlConf } from '../../../bench/baseline-charon.ts';

function needs(t: TestContext, charon = false): boolean {
  // `command -v` accepts an absolute path: a missing charon skips (or fails in CI) like a missing tool.
  return requires(t, {
    root: true,
    commands: ['ip', 'tshark', 'tcpdump', 'ping', ...(charon ? [CHARON, SWANCTL] : [])],
  });
}

/** Destroys the test bed after the test and asserts it left nothing behind. */
function cleanup(t: TestContext, tb: Testbed): void {
  t.after(async () => {
    const problems = await tb.destroy();
    const left = listNamespaces().filter((n) => n.startsWith(tb.id + '-'));
    assert.deepEqual(left, [], `namespaces left behind: ${left.join(', ')}`);
    assert.deepEqual(problems, []);
  });
}

async function ping(tb: Testbed, from: TestbedHost, to: string, source?: string): Promise<void> {
  const args = ['-n', '-c', '1', '-W', '2', ...(source ? ['-I', source] : []), to];
  await tb.exec(from, 'ping', args);
}

test('two namespaces on one veth link reach each other; names are unique per test bed', async (t) => {
  if (!needs(t)) return;
  const [a, b] = await Promise.all([createTestbed(), createTestbed({ ipv6: true })]);
  cleanup(t, a);
  cleanup(t, b);
  assert.notEqual(a.id, b.id);
  assert.deepEqual(
    a.hosts.map((h) => [h.name, h.addr, h.inner]),
    [
      ['left', '10.99.0.1', '10.1.0.1'],
      ['right', '10.99.0.2', '10.2.0.1'],
    ],
  );
  for (const ns of [...a.namespaces(), ...b.namespaces()]) assert.ok(listNamespaces().includes(ns), ns);
  const [l, r] = b.hosts as [TestbedHost, TestbedHost];
  await ping(b, l, r.addr);
  await ping(b, r, l.addr);
  await ping(b, l, r.addr6 ?? '');
  // The same addresses in two test beds do not interfere: a's right answers a's left.
  await ping(a, a.host('left'), a.host('right').addr);
  // Inner addresses are not routed without a tunnel.
  await assert.rejects(b.exec(l, 'ip', ['route', 'get', r.inner, 'from', l.inner]), /unreachable/);
});

test('three hosts on a bridge in a switch namespace all reach each other', async (t) => {
  if (!needs(t)) return;
  const tb = await createTestbed({ hosts: 3 });
  cleanup(t, tb);
  assert.ok(tb.switchNs);
  assert.deepEqual(
    tb.hosts.map((h) => h.addr),
    ['10.99.0.1', '10.99.0.2', '10.99.0.3'],
  );
  const pairs = tb.hosts.flatMap((x) => tb.hosts.filter((y) => y !== x).map((y) => [x, y] as const));
  await Promise.all(pairs.map(([x, y]) => ping(tb, x, y.addr)));
  const lo = await tb.exec('c', 'ip', ['-4', '-o', 'addr', 'show', 'dev', 'lo']);
  assert.match(lo.stdout, /inet 10\.3\.0\.1\/32/);
});

test('destroy kills processes left in the namespaces', async (t) => {
  if (!needs(t)) return;
  const tb = await createTestbed();
  const p = tb.spawn('left', 'sleep', ['300']);
  const stray = await tb.exec('right', 'sh', ['-c', 'sleep 300 >/dev/null 2>&1 & echo $!']);
  const strayPid = Number(stray.stdout.trim());
  assert.ok(pidAlive(p.pid) && pidAlive(strayPid));
  await tb.destroy();
  await p.exited;
  assert.equal(pidAlive(strayPid), false, 'stray process in the namespace survived destroy');
  assert.deepEqual(
    listNamespaces().filter((n) => n.startsWith(tb.id + '-')),
    [],
  );
});

test('the sweeper removes namespaces of dead runs and keeps those of live ones', async (t) => {
  if (!needs(t)) return;
  // A pid that just exited stands for a crashed test run.
  const dead = await run('sh', ['-c', 'echo $$']);
  const deadPid = Number(dead.stdout.trim());
  const stale = `at-${deadPid}-1-left`;
  const mine = await createTestbed();
  cleanup(t, mine);
  await run('ip', ['netns', 'add', stale]);
  t.after(() => run('ip', ['netns', 'del', stale], { allowFail: true }).then(() => undefined));
  const sleeper = await run('ip', ['netns', 'exec', stale, 'sh', '-c', 'sleep 300 >/dev/null 2>&1 & echo $!']);
  const sleeperPid = Number(sleeper.stdout.trim());
  const removed = sweepStaleNamespaces();
  assert.ok(removed.includes(stale), `not swept: ${removed.join(', ')}`);
  assert.equal(listNamespaces().includes(stale), false);
  await new Promise((res) => setTimeout(res, 100));
  assert.equal(pidAlive(sleeperPid), false, 'process in the stale namespace survived');
  // Live test beds (this process's and any other running process's) stay.
  for (const ns of mine.namespaces()) assert.ok(listNamespaces().includes(ns), ns);
});

test('charon ↔ charon: PSK, encap, aes256gcm16-prfsha256-x25519, ping through the tunnel, clean capture', async (t) => {
  if (!needs(t, true)) return;
  const tb = await createTestbed();
  cleanup(t, tb);
  const [l, r] = tb.hosts as [TestbedHost, TestbedHost];
  const charons: Charon[] = [];
  t.after(() => {
    // Printed only when something failed, so the charon logs explain it.
    if (failed) for (const c of charons) t.diagnostic(c.describe(60));
  });
  let failed = true;
  const [cl, cr] = await Promise.all([
    startCharon(l, { swanctlConf: pskSwanctlConf({ me: l, peer: r }), testbed: tb }),
    startCharon(r, { swanctlConf: pskSwanctlConf({ me: r, peer: l }), testbed: tb }),
  ]);
  charons.push(cl, cr);
  const cap = await startCapture(l.ns, l.iface);
  t.after(() => cap.remove());

  const init = await cl.initiate('ch', 'c');
  assert.ok(init.success);
  assert.ok(
    init.log.some((line) => /CHILD_SA ch\{\d+\} established/.test(line)),
    init.log.join('\n'),
  );
  const [sl, sr] = await Promise.all([cl.waitForSa('c', { child: 'ch' }), cr.waitForSa('c', { child: 'ch' })]);
  assert.equal(sl.initiator, true);
  assert.equal(sr.initiator, false);
  assert.equal(sl.encrAlg, 'AES_GCM_16');
  assert.equal(sl.prfAlg, 'PRF_HMAC_SHA2_256');
  assert.equal(sl.dhGroup, 'CURVE_25519');
  // kernel-libipsec forces UDP encapsulation: both ends floated to 4500.
  assert.deepEqual([sl.localPort, sl.remotePort, sr.localPort, sr.remotePort], [4500, 4500, 4500, 4500]);
  const chl = sl.children.find((c) => c.name === 'ch');
  const chr = sr.children.find((c) => c.name === 'ch');
  assert.ok(chl && chr);
  assert.equal(chl.encap, true);
  assert.deepEqual(chl.localTs, ['10.1.0.1/32']);
  assert.deepEqual(chl.remoteTs, ['10.2.0.1/32']);
  assert.equal(chl.spiOut, chr.spiIn);

  // The TUN device and the route charon installed (table 220).
  const links = await tb.exec(l, 'ip', ['-o', 'link', 'show']);
  assert.match(links.stdout, /ipsec0/);
  const route = await tb.exec(l, 'ip', ['route', 'get', r.inner, 'from', l.inner]);
  assert.match(route.stdout, /dev ipsec0/);
  const pings = await tb.exec(l, 'ping', ['-n', '-c', '3', '-i', '0.1', '-W', '2', '-I', l.inner, r.inner]);
  assert.match(pings.stdout, /3 received/);
  const after = (await cl.listSas({ ike: 'c' }))[0]?.children.find((c) => c.name === 'ch');
  assert.ok(after && after.packetsOut >= 3 && after.packetsIn >= 3, JSON.stringify(after?.raw));

  await cap.stop();
  const d = await dissect(cap.file);
  assert.deepEqual(d.problems, [], formatProblems(d.problems));
  const k = await decodeIke(cap.file);
  assert.deepEqual(k.errors, []);
  const flow = k.ike.map(
    (p) => `${p.exchangeName} ${p.response ? 'resp' : 'req'} ${p.dstPort}${p.nonEspMarker ? '+marker' : ''}`,
  );
  assert.deepEqual(flow.slice(0, 4), [
    'IKE_SA_INIT req 500',
    'IKE_SA_INIT resp 500',
    'IKE_AUTH req 4500+marker',
    'IKE_AUTH resp 4500+marker',
  ]);
  const natd = k.ike[0]?.notifies.map((n) => n.name) ?? [];
  assert.ok(natd.includes('NAT_DETECTION_SOURCE_IP') && natd.includes('NAT_DETECTION_DESTINATION_IP'));
  // ESP-in-UDP on 4500 with the negotiated SPIs.
  const outSpi = Number.parseInt(chl.spiOut, 16);
  const inSpi = Number.parseInt(chl.spiIn, 16);
  assert.ok(k.esp.filter((e) => e.spi === outSpi && e.src === l.addr && e.dstPort === 4500).length >= 3);
  assert.ok(k.esp.filter((e) => e.spi === inSpi && e.src === r.addr && e.srcPort === 4500).length >= 3);

  // DELETE: terminating on one side removes the SA on both.
  await cl.terminate('c');
  assert.deepEqual(await cl.listSas(), []);
  const gone = await waitGone(cr);
  assert.ok(gone, 'responder kept the IKE_SA after DELETE');

  const pids = [cl.pid, cr.pid];
  const dirs = [cl.dir, cr.dir];
  assert.match(cl.log(), /IKE_SA c\[\d+\] established/);
  await tb.destroy();
  for (const pid of pids) assert.equal(pidAlive(pid), false, `charon ${pid} still running`);
  const pgrep = await run('pgrep', ['-f', 'ipsec/charon'], { allowFail: true });
  const running = pgrep.stdout.split('\n').map(Number);
  for (const pid of pids) assert.ok(!running.includes(pid));
  for (const dir of dirs) assert.equal(existsSync(join(dir, 'strongswan.conf')), false, `${dir} not removed`);
  assert.match(cl.log(), /IKE_SA c\[\d+\] established/, 'log kept in memory after stop');
  failed = false;
});

async function waitGone(c: Charon): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    if ((await c.listSas()).length === 0) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

test('charon fails to start with a clear error when swanctl.conf is invalid', async (t) => {
  if (!needs(t, true)) return;
  const tb = await createTestbed();
  cleanup(t, tb);
  await assert.rejects(
    startCharon(tb.host('left'), {
      swanctlConf: 'connections {\n  c {\n    proposals = nonsense-x\n  }\n}\n',
      testbed: tb,
    }),
    (e: Error) => /did not start/.test(e.message) && /swanctl --load-all/.test(e.message),
  );
  // The failed start stopped its charon: nothing runs in the namespace any more.
  assert.deepEqual(namespacePids(tb.host('left').ns), []);
});

/** Prints the charon logs through t.diagnostic when the test did not reach its end. */
function logsOnFailure(t: TestContext, charons: Charon[]): { ok(): void } {
  let ok = false;
  t.after(() => {
    if (!ok) for (const c of charons) t.diagnostic(c.describe(60));
  });
  return { ok: () => (ok = true) };
}

test('charon ↔ charon: ECDSA certificates from pki, chacha20poly1305-prfsha512-ecp384, IKE fragmentation', async (t) => {
  if (!needs(t, true) || !requires(t, { commands: ['pki'] })) return;
  const pki = await pkiCertificates(['left', 'right'], { type: 'ecdsa' });
  const tb = await createTestbed();
  cleanup(t, tb);
  const [l, r] = tb.hosts as [TestbedHost, TestbedHost];
  const opts = (me: TestbedHost, peer: TestbedHost): CharonOptions => ({
    testbed: tb,
    swanctlConf: swanctlConf({
      me,
      peer,
      auth: 'pubkey',
      proposals: 'chacha20poly1305-prfsha512-ecp384',
      espProposals: 'chacha20poly1305',
    }),
    // Small enough that IKE_AUTH with a certificate is split into SKF fragments (RFC 7383).
    strongswanConf: { fragmentSize: 400 },
    certs: {
      x509ca: { 'ca.pem': pki.ca.cert },
      x509: { [`${me.name}.pem`]: pki.hosts[me.name]?.cert ?? '' },
      private: { [`${me.name}.pem`]: pki.hosts[me.name]?.key ?? '' },
    },
  });
  const [cl, cr] = await Promise.all([startCharon(l, opts(l, r)), startCharon(r, opts(r, l))]);
  const guard = logsOnFailure(t, [cl, cr]);
  const cap = await startCapture(l.ns, l.iface);
  t.after(() => cap.remove());
  await cl.initiate('ch', 'c');
  const sa = await cr.waitForSa('c', { child: 'ch' });
  assert.deepEqual([sa.encrAlg, sa.prfAlg, sa.dhGroup], ['CHACHA20_POLY1305', 'PRF_HMAC_SHA2_512', 'ECP_384']);
  assert.equal(sa.remoteId, 'left');
  assert.equal(sa.children[0]?.encrAlg, 'CHACHA20_POLY1305');
  await ping(tb, l, r.inner, l.inner);
  await cap.stop();
  const d = await dissect(cap.file);
  assert.deepEqual(d.problems, [], formatProblems(d.problems));
  const k = await decodeIke(cap.file);
  const auth = k.ike.filter((p) => p.exchangeName === 'IKE_AUTH');
  for (const side of [false, true]) {
    const frags = auth.filter((p) => p.response === side);
    assert.ok(frags.length >= 2, `IKE_AUTH ${side ? 'response' : 'request'} not fragmented`);
    assert.ok(
      frags.every((p) => p.payloadNames.join() === 'SKF' && p.nonEspMarker && p.fragment?.total === frags.length),
    );
    assert.deepEqual(
      frags.map((p) => p.fragment?.number),
      frags.map((_, i) => i + 1),
    );
  }
  // Both announced support in IKE_SA_INIT; the responder asked for a certificate.
  const init = k.ike.filter((p) => p.exchangeName === 'IKE_SA_INIT');
  assert.ok(init.every((p) => p.notifies.some((n) => n.name === 'IKEV2_FRAGMENTATION_SUPPORTED')));
  assert.ok(init[1]?.payloadNames.includes('CERTREQ'));
  guard.ok();
});

test('COOKIE and INVALID_KE: cookie_threshold_ip = 1 plus one half-open SA from the initiator address', async (t) => {
  if (!needs(t, true)) return;
  const tb = await createTestbed();
  cleanup(t, tb);
  const [l, r] = tb.hosts as [TestbedHost, TestbedHost];
  const [cl, cr] = await Promise.all([
    // The initiator's first KE (x25519) is not acceptable to the responder: INVALID_KE_PAYLOAD, retry with ecp256.
    startCharon(l, {
      testbed: tb,
      swanctlConf: swanctlConf({ me: l, peer: r, proposals: 'aes256gcm16-prfsha256-x25519-ecp256' }),
    }),
    startCharon(r, {
      testbed: tb,
      swanctlConf: swanctlConf({ me: r, peer: l, proposals: 'aes256gcm16-prfsha256-ecp256' }),
      strongswanConf: { cookieThreshold: 1, cookieThresholdIp: 1 },
    }),
  ]);
  const guard = logsOnFailure(t, [cl, cr]);
  const first = await startCapture(l.ns, l.iface);
  t.after(() => first.remove());
  await cl.initiate('ch', 'c');
  await cl.terminate('c');
  await first.stop();
  const init1 = (await decodeIke(first.file)).ike.filter((p) => p.exchangeName === 'IKE_SA_INIT');
  const flow1 = init1.map((p) => p.notifies.map((n) => n.name));
  assert.deepEqual(flow1[1], ['INVALID_KE_PAYLOAD'], JSON.stringify(flow1));
  assert.equal(init1[1]?.notifies[0]?.data, '0013'); // accepted group 19 (ecp256)
  // (The KE retry itself may get a COOKIE: the SA that answered INVALID_KE can still count as half-open.)

  // Replay the last IKE_SA_INIT request with another SPI from an ephemeral port: the responder answers it and
  // keeps a half-open IKE_SA for that address (half_open_timeout, 30 s), so the next initiation needs a cookie.
  const req = init1.filter((p) => !p.response).at(-1);
  assert.ok(req);
  const replay = req.udpPayload.slice();
  replay[0] = (replay[0] ?? 0) ^ 0x55;
  const reply = await sendUdp(l.ns, r.addr, 500, replay.subarray(req.nonEspMarker ? 4 : 0), { replyMs: 2000 });
  assert.ok(reply, 'no answer to the replayed IKE_SA_INIT');
  // Either the responder keeps a half-open SA for the replay, or one from the first exchange still counts and the
  // replay itself is asked for a COOKIE (first payload N, notify type 16390): either way the address is over its
  // threshold for the next initiation.
  const cookied = reply.byteLength > 36 && reply[16] === 41 && ((reply[34]! << 8) | reply[35]!) === 16390;
  assert.ok(
    cookied || (await cr.listSas()).some((s) => s.state === 'CONNECTING'),
    'no half-open IKE_SA at the responder and no COOKIE for the replay',
  );

  const second = await startCapture(l.ns, l.iface, { dir: first.dir, name: 'second.pcap' });
  await cl.initiate('ch', 'c');
  await cr.waitForSa('c', { child: 'ch' });
  await second.stop();
  const d = await dissect(second.file);
  assert.deepEqual(d.problems, [], formatProblems(d.problems));
  const init2 = (await decodeIke(second.file)).ike.filter((p) => p.exchangeName === 'IKE_SA_INIT');
  const flow2 = init2.map((p) => `${p.response ? 'resp' : 'req'} ${p.notifies.map((n) => n.name).join('+')}`);
  assert.equal(
    init2[0]?.notifies.some((n) => n.name === 'COOKIE'),
    false,
    flow2.join('\n'),
  );
  const i = init2.findIndex((p) => p.response && p.notifies.length === 1 && p.notifies[0]?.name === 'COOKIE');
  assert.ok(i >= 1, `no COOKIE response:\n${flow2.join('\n')}`);
  // The cookie is echoed as the first payload of the retry (RFC 7296 §2.6).
  const retry = init2[i + 1];
  assert.equal(retry?.response, false);
  assert.equal(retry?.payloadNames[0], 'N');
  assert.equal(retry?.notifies[0]?.name, 'COOKIE');
  assert.equal(retry?.notifies[0]?.data, init2[i]?.notifies[0]?.data);
  guard.ok();
});

test('rekeying IKE and CHILD SAs over VICI, DPD liveness checks on the wire', async (t) => {
  if (!needs(t, true)) return;
  const tb = await createTestbed();
  cleanup(t, tb);
  const [l, r] = tb.hosts as [TestbedHost, TestbedHost];
  const [cl, cr] = await Promise.all([
    startCharon(l, { testbed: tb, swanctlConf: swanctlConf({ me: l, peer: r, extra: ['dpd_delay = 1s'] }) }),
    startCharon(r, { testbed: tb, swanctlConf: swanctlConf({ me: r, peer: l }) }),
  ]);
  const guard = logsOnFailure(t, [cl, cr]);
  await cl.initiate('ch', 'c');
  const before = await cr.waitForSa('c', { child: 'ch' });
  const cap = await startCapture(l.ns, l.iface);
  t.after(() => cap.remove());

  await cl.rekey({ child: 'ch' });
  const afterChild = await cr.waitForSa('c', { child: 'ch' }).then(async () => {
    for (let i = 0; i < 40; i++) {
      const sa = (await cr.listSas({ ike: 'c' }))[0];
      const ch = sa?.children.filter((c) => c.name === 'ch' && c.state === 'INSTALLED') ?? [];
      if (ch.length === 1 && ch[0]?.spiIn !== before.children[0]?.spiIn) return sa;
      await new Promise((res) => setTimeout(res, 50));
    }
    return undefined;
  });
  assert.ok(afterChild, 'CHILD_SA was not replaced');
  await cl.rekey({ ike: 'c' });
  const afterIke = await cr.waitForSa('c', { child: 'ch' }).then(async () => {
    for (let i = 0; i < 40; i++) {
      const sas = (await cr.listSas({ ike: 'c' })).filter((s) => s.state === 'ESTABLISHED');
      if (sas.length === 1 && sas[0]?.initiatorSpi !== before.initiatorSpi) return sas[0];
      await new Promise((res) => setTimeout(res, 50));
    }
    return undefined;
  });
  assert.ok(afterIke, 'IKE_SA was not replaced');
  await ping(tb, l, r.inner, l.inner);
  // dpd_delay = 1s on the left: an idle IKE_SA gets an empty INFORMATIONAL request about every second.
  await new Promise((res) => setTimeout(res, 2300));
  await cap.stop();
  const d = await dissect(cap.file);
  assert.deepEqual(d.problems, [], formatProblems(d.problems));
  const ike = (await decodeIke(cap.file)).ike;
  const kinds = ike.map((p) => `${p.exchangeName} ${p.response ? 'resp' : 'req'}`);
  assert.ok(kinds.filter((k) => k === 'CREATE_CHILD_SA req').length >= 2, kinds.join('\n'));
  // The IKE rekey deletes the old IKE_SA and the CHILD rekey the old CHILD_SA: INFORMATIONAL with D inside SK.
  // Empty SK = liveness check (RFC 7296 §1.4); charon also sends MOBIKE address updates (N inside SK) here.
  const dpd = ike.filter(
    (p) =>
      p.exchangeName === 'INFORMATIONAL' &&
      !p.response &&
      p.src === l.addr &&
      p.ispi === afterIke.initiatorSpi &&
      p.payloadNames.join() === 'SK' &&
      p.encryptedFirst === 0,
  );
  assert.ok(dpd.length >= 1, `no DPD request from the left: ${kinds.join(', ')}`);
  guard.ok();
});

test('IPv6: charon ↔ charon over fd99::/64 with inner fd00:N::1/128', async (t) => {
  if (!needs(t, true)) return;
  const tb = await createTestbed({ ipv6: true });
  cleanup(t, tb);
  const [l, r] = tb.hosts as [TestbedHost, TestbedHost];
  const [cl, cr] = await Promise.all([
    startCharon(l, { testbed: tb, swanctlConf: swanctlConf({ me: l, peer: r, family: 6 }) }),
    startCharon(r, { testbed: tb, swanctlConf: swanctlConf({ me: r, peer: l, family: 6 }) }),
  ]);
  const guard = logsOnFailure(t, [cl, cr]);
  await cl.initiate('ch', 'c');
  const sa = await cr.waitForSa('c', { child: 'ch' });
  assert.equal(sa.remoteHost, l.addr6);
  assert.equal(sa.remotePort, 4500);
  assert.deepEqual(sa.children[0]?.remoteTs, [`${l.inner6}/128`]);
  await ping(tb, l, r.inner6 ?? '', l.inner6);
  guard.ok();
});
