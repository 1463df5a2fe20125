/**
 * What an operator watches, through two daemons on 127.0.80.1 and 127.0.80.2 (PSK, real UDP on port 500): the
 * Prometheus endpoint configured by `attestd { metrics { listen } }` shows the SA gauges and counters moving when
 * an SA comes up and is rekeyed, survives a reload (rebinding only when `listen` changed, SAs kept), and closes
 * on stop; `--metrics` overrides the file; `attestd { log { format = json } }` turns the daemon's log into JSON
 * lines with subsystem tags, and `--log-format text` overrides that.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { Daemon, type DaemonOptions } from '../../../src/daemon/daemon.ts';
import { controlRequest } from '../../../src/daemon/control.ts';
import type { SaInfo } from '../../../src/ike/engine.ts';
import { pskConf } from './psk-conf.ts';
import { requires } from '../../support/env.ts';

const A = '127.0.80.1';
const B = '127.0.80.2';

function conf(me: string, peer: string, myId: string, peerId: string, attestd: string[]): string {
  return pskConf(me, peer, myId, peerId, { attestd });
}

interface Setup {
  dir: string;
  file: (n: 'a' | 'b') => string;
  sock: (n: 'a' | 'b') => string;
  write: (n: 'a' | 'b', attestd: string[]) => void;
}

function setup(t: TestContext): Setup {
  const dir = mkdtempSync(join(tmpdir(), 'attestd-ops-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (n: 'a' | 'b') => join(dir, `${n}.conf`);
  return {
    dir,
    file,
    sock: (n) => join(dir, `${n}.sock`),
    write: (n, attestd) =>
      writeFileSync(
        file(n),
        n === 'a' ? conf(A, B, 'a.example', 'b.example', attestd) : conf(B, A, 'b.example', 'a.example', attestd),
      ),
  };
}

async function start(t: TestContext, s: Setup, n: 'a' | 'b', opts: Partial<DaemonOptions> = {}): Promise<Daemon> {
  const d = new Daemon({ config: s.file(n), control: s.sock(n), dataPlane: 'none', logLevel: 'silent', ...opts });
  await d.start();
  t.after(() => d.stop().catch(() => {}));
  return d;
}

/** Parses the text exposition format into `name{labels}` → value, checking every line's syntax on the way. */
function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const typed = new Set<string>();
  for (const line of text.trim().split('\n')) {
    const comment = /^# (HELP|TYPE) (attestd_[a-z_]+) (.+)$/.exec(line);
    if (comment) {
      if (comment[1] === 'TYPE') {
        assert.match(comment[3]!, /^(counter|gauge)$/);
        typed.add(comment[2]!);
      }
      continue;
    }
    const m = /^(attestd_[a-z_]+)(\{[a-z]+="[^"]*"(?:,[a-z]+="[^"]*")*\})? (-?\d+(?:\.\d+)?)$/.exec(line);
    assert.ok(m, `exposition line: ${line}`);
    assert.ok(typed.has(m[1]!), `${m[1]} has a TYPE line before its samples`);
    out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}

async function scrape(at: string): Promise<Map<string, number>> {
  const res = await fetch(`http://${at}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

const get = (m: Map<string, number>, key: string) => m.get(key) ?? 0;

/** Scrapes until `ready` holds (the peer's side of an exchange may lag by a datagram), at most 5 s. */
async function scrapeWhen(at: string, ready: (m: Map<string, number>) => boolean): Promise<Map<string, number>> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const m = await scrape(at);
    if (ready(m) || Date.now() > deadline) return m;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Is nothing listening at host:port? (a fresh TCP connection: fetch would reuse a pooled keep-alive socket) */
function refused(at: string): Promise<boolean> {
  const [host, port] = [at.slice(0, at.lastIndexOf(':')), Number(at.slice(at.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const sock = createConnection({ host, port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(false);
    });
    sock.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

test('metrics endpoint from the config file: SA gauges and counters follow an SA up, rekey, reload and stop', async (t) => {
  if (!requires(t, { root: true })) return;
  const s = setup(t);
  s.write('a', ['metrics {', `  listen = ${A}:9464`, '}']);
  s.write('b', ['metrics {', `  listen = ${B}:9464`, '}']);
  const b = await start(t, s, 'b');
  const a = await start(t, s, 'a');
  assert.deepEqual(a.metricsAddress, { host: A, port: 9464 });

  const before = await scrape(`${A}:9464`);
  assert.equal(get(before, 'attestd_ike_sas{state="ESTABLISHED"}'), 0);
  assert.equal(get(before, 'attestd_child_sas{state="INSTALLED"}'), 0);
  assert.equal(get(before, 'attestd_ike_sa_established_total'), 0);
  assert.ok(before.has('attestd_ike_sas{state="ESTABLISHED"}'), 'gauges by state exist before any SA');
  assert.ok(before.has('attestd_ike_sa_established_total'), 'counters exist before their first event');
  assert.ok(before.has('attestd_attestation_verdicts_total{decision="no access"}'));
  const health = await fetch(`http://${A}:9464/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual({ ...((await health.json()) as object), uptime: 0 }, { ok: true, uptime: 0, ikeSas: 0 });

  const up = (await controlRequest(s.sock('a'), { cmd: 'initiate', ike: 'gw' })) as SaInfo;
  assert.equal(up.state, 'ESTABLISHED');
  for (const [name, at] of [
    ['a', `${A}:9464`],
    ['b', `${B}:9464`],
  ] as const) {
    const m = await scrapeWhen(at, (x) => get(x, 'attestd_child_sas{state="INSTALLED"}') > 0);
    // Each daemon counts its own SA only, although both publish on the same process-wide channels.
    assert.equal(get(m, 'attestd_ike_sas{state="ESTABLISHED"}'), 1, `${name} ESTABLISHED gauge`);
    assert.equal(get(m, 'attestd_child_sas{state="INSTALLED"}'), 1, `${name} INSTALLED gauge`);
    assert.equal(get(m, 'attestd_ike_sa_established_total'), 1, `${name} established counter`);
    assert.equal(get(m, 'attestd_child_sa_established_total'), 1, `${name} CHILD_SA counter`);
    assert.ok(get(m, 'attestd_ike_messages_received_total') >= 2, `${name} IKE messages received`);
    assert.equal(get(m, 'attestd_child_sa_bytes{direction="in"}'), 0, `${name}: the none data plane moves no bytes`);
  }

  // IKE rekey: each side counts one rekey, and still one ESTABLISHED IKE SA once the old one is deleted.
  await controlRequest(s.sock('a'), { cmd: 'rekey', ike: 'gw' });
  for (const at of [`${A}:9464`, `${B}:9464`]) {
    const m = await scrapeWhen(at, (x) => get(x, 'attestd_ike_sa_deleted_total') > 0);
    assert.equal(get(m, 'attestd_ike_sa_rekeyed_total'), 1, `${at} rekeys`);
    assert.equal(get(m, 'attestd_ike_sas{state="ESTABLISHED"}'), 1, `${at} ESTABLISHED after rekey`);
    assert.equal(get(m, 'attestd_ike_sa_deleted_total'), 1, `${at} the rekeyed SA's deletion`);
  }

  // Reload, file unchanged: same endpoint, SA kept, counters go on.
  assert.deepEqual(await controlRequest(s.sock('a'), { cmd: 'reload' }), { kept: 1, deleted: 0 });
  let m = await scrape(`${A}:9464`);
  assert.equal(get(m, 'attestd_ike_sas{state="ESTABLISHED"}'), 1);
  assert.equal(get(m, 'attestd_ike_sa_rekeyed_total'), 1);

  // Reload with another listen address: rebound there, the old port closed, connections and SAs untouched.
  s.write('a', ['metrics {', `  listen = ${A}:9465`, '}']);
  assert.deepEqual(await a.reload(), { kept: 1, deleted: 0 });
  assert.deepEqual(a.metricsAddress, { host: A, port: 9465 });
  assert.ok(await refused(`${A}:9464`), 'the old port is closed');
  m = await scrape(`${A}:9465`);
  assert.equal(get(m, 'attestd_ike_sas{state="ESTABLISHED"}'), 1);
  assert.equal(get(m, 'attestd_ike_sa_established_total'), 1, 'the counters survive the rebinding');
  assert.equal(((await controlRequest(s.sock('a'), { cmd: 'stats' })) as { metrics: string }).metrics, `${A}:9465`);

  // A reload whose address cannot be bound keeps the endpoint where it was.
  s.write('a', ['metrics {', '  listen = 192.0.2.1:9464', '}']);
  await a.reload();
  assert.deepEqual(a.metricsAddress, { host: A, port: 9465 });
  await scrape(`${A}:9465`);

  // Stop A: its port closes; B sees the SA go.
  await a.stop();
  assert.ok(await refused(`${A}:9465`), 'stop closes the metrics port');
  m = await scrapeWhen(`${B}:9464`, (x) => get(x, 'attestd_ike_sas{state="ESTABLISHED"}') === 0);
  assert.equal(get(m, 'attestd_ike_sas{state="ESTABLISHED"}'), 0);
  assert.equal(get(m, 'attestd_child_sas{state="INSTALLED"}'), 0);
  assert.equal(get(m, 'attestd_ike_sa_deleted_total'), 2);
  assert.equal(get(m, 'attestd_child_sa_deleted_total'), 1);
  void b;
});

test('--metrics overrides the file, off disables it; a bad listen value is a configuration error', async (t) => {
  if (!requires(t, { root: true })) return;
  const s = setup(t);
  s.write('a', ['metrics {', `  listen = ${A}:9466`, '}']);
  const a = await start(t, s, 'a', { metrics: `${A}:0` });
  const at = a.metricsAddress;
  assert.ok(at && at.host === A && at.port !== 9466 && at.port > 0, JSON.stringify(at));
  assert.ok(await refused(`${A}:9466`), 'the file address is not bound');
  await scrape(`${A}:${at.port}`);
  // A reload does not move an endpoint the command line placed.
  await a.reload();
  assert.equal(a.metricsAddress?.port, at.port);
  await a.stop();
  assert.ok(await refused(`${A}:${at.port}`));

  const off = await start(t, s, 'a', { metrics: 'off' });
  assert.equal(off.metricsAddress, undefined);
  assert.ok(await refused(`${A}:9466`));
  await off.stop();

  assert.throws(() => new Daemon({ config: s.file('a'), metrics: '9464' }), /--metrics: '9464' is not HOST:PORT/);
  s.write('a', ['metrics {', '  listen = localhost', '}']);
  const bad = new Daemon({ config: s.file('a'), control: s.sock('a'), dataPlane: 'none', logLevel: 'silent' });
  await assert.rejects(bad.start(), /attestd\.metrics\.listen: 'localhost' is not HOST:PORT/);
});

test('attestd { log { format = json } } makes the daemon log JSON lines with subsystem tags; --log-format wins', async (t) => {
  if (!requires(t, { root: true })) return;
  const s = setup(t);
  s.write('a', ['log {', '  format = json', '  colour = yes', '}']);
  const lines: string[] = [];
  const a = await start(t, s, 'a', { logLevel: 'info', logSink: (_r, text) => lines.push(text) });
  await a.reload();
  await a.stop();
  assert.ok(lines.length >= 4, lines.join('\n'));
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const r of records) {
    assert.equal(typeof r.time, 'string');
    assert.match(String(r.level), /^(error|info)$/);
    assert.match(String(r.subsystem), /^[A-Z]{2,3}$/);
    assert.equal(typeof r.message, 'string');
  }
  const cfg = records.filter((r) => r.subsystem === 'CFG').map((r) => r.message);
  assert.ok(cfg.includes('warning: attestd.log.colour: unknown setting, ignored'), cfg.join('\n'));
  assert.ok(
    records.some(
      (r) => r.subsystem === 'CFG' && /^loaded 1 connection/.test(String(r.message)) && r.attestation === 'off',
    ),
    'fields are JSON members',
  );
  assert.ok(records.some((r) => r.subsystem === 'DMN' && r.message === 'stopping: deleting SAs'));

  const text: string[] = [];
  const b = await start(t, s, 'a', { logLevel: 'info', logFormat: 'text', logSink: (_r, l) => text.push(l) });
  await b.stop();
  assert.ok(text.length >= 2);
  for (const l of text) assert.match(l, /^\d{2}:\d{2}:\d{2}\.\d{3} \[[A-Z]{2,3}\] /);

  s.write('a', ['log {', '  format = xml', '}']);
  const bad = new Daemon({ config: s.file('a'), control: s.sock('a'), dataPlane: 'none', logLevel: 'silent' });
  await assert.rejects(bad.start(), /attestd\.log\.format: 'xml' is not one of text, json/);
});
