/**
 * The Prometheus endpoint: counters follow the diagnostics channels, gauges are read at scrape time, and the text
 * format parses line by line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics, formatListenAddress, parseListenAddress, startMetricsServer } from '../../../src/daemon/metrics.ts';
import { publish } from '../../../src/common/diag.ts';

function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

test('counters follow diagnostics events and gauges are collected at scrape time', async (t) => {
  const m = new Metrics().listen();
  t.after(() => m.close());
  let sas = 2;
  m.collect(() => [
    { name: 'attestd_ike_sas', help: 'IKE SAs by state', labels: { state: 'ESTABLISHED' }, value: sas },
    { name: 'attestd_ike_sas', help: 'IKE SAs by state', labels: { state: 'CONNECTING' }, value: 1 },
  ]);
  publish('ike:sa:established', { spi: '01', peer: '10.0.0.1', name: 'gw' });
  publish('ike:sa:established', { spi: '02', peer: '10.0.0.2', name: 'gw' });
  publish('ike:sa:rekeyed', { oldSpi: '01', newSpi: '03' });
  const verdict = { connection: 'gw', ike: 'gw[1]', peerId: 'b.example', remote: '10.0.0.2:500' };
  publish('attest:verdict', { ...verdict, decision: 'isolate', reasons: ['x'] });
  publish('attest:verdict', { ...verdict, decision: 'no access', reasons: ['y'] });
  // PB-TNC sessions and the policy engine publish recommendations too: they are not the daemon's verdicts.
  publish('tnc:recommendation', { connection: 'gw', recommendation: 'isolate', reasons: ['x'] });
  publish('esp:replay', { spi: 1, seq: 5n });
  const text = m.render();
  assert.equal(sample(text, 'attestd_ike_sa_established_total'), 2);
  assert.equal(sample(text, 'attestd_ike_sa_rekeyed_total'), 1);
  assert.equal(sample(text, 'attestd_attestation_verdicts_total', '{decision="isolate"}'), 1);
  assert.equal(sample(text, 'attestd_attestation_verdicts_total', '{decision="no access"}'), 1);
  assert.equal(sample(text, 'attestd_attestation_verdicts_total', '{decision="allow"}'), 0, 'exported before any');
  assert.equal(sample(text, 'attestd_ike_sa_deleted_total'), 0, 'exported before any');
  assert.equal(sample(text, 'attestd_esp_replay_drops_total'), 1);
  assert.equal(sample(text, 'attestd_ike_sas', '{state="ESTABLISHED"}'), 2);
  sas = 0;
  assert.equal(sample(m.render(), 'attestd_ike_sas', '{state="ESTABLISHED"}'), 0);
  // Every non-comment line is `name{labels} value`; every family has HELP and TYPE.
  for (const l of text.trim().split('\n')) {
    if (l.startsWith('#')) assert.match(l, /^# (HELP|TYPE) attestd_[a-z_]+ .+/);
    else assert.match(l, /^attestd_[a-z_]+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? -?\d+(\.\d+)?$/);
  }
  // Unsubscribed after close: no more counting.
  m.close();
  publish('ike:sa:established', { spi: '04', peer: '10.0.0.4', name: 'gw' });
  assert.equal(sample(m.render(), 'attestd_ike_sa_established_total'), 2);
});

test('GET /metrics over HTTP', async (t) => {
  const m = new Metrics();
  m.counter('attestd_ike_errors_total', 'failed IKE exchanges');
  const app = await startMetricsServer(m, { port: 0 });
  t.after(() => app.close());
  const addr = app.server.address();
  assert.ok(addr && typeof addr === 'object');
  const res = await fetch(`http://127.0.0.1:${addr.port}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain; version=0.0.4/);
  assert.equal(sample(await res.text(), 'attestd_ike_errors_total'), 1);
  assert.equal((await fetch(`http://127.0.0.1:${addr.port}/healthz`)).status, 200);
});

test('listen(accept) counts only the events the filter lets through; collected counters keep their type', () => {
  const m = new Metrics().listen(
    (name, msg) => name !== 'ike:sa:established' || (msg as { name?: string }).name === 'mine',
  );
  try {
    m.collect(() => [{ name: 'attestd_esp_packets_total', help: 'ESP packets', type: 'counter', value: 7 }]);
    m.collect(() => {
      throw new Error('a broken collector is left out, not the whole scrape');
    });
    publish('ike:sa:established', { spi: '01', peer: '10.0.0.1', name: 'mine' });
    publish('ike:sa:established', { spi: '02', peer: '10.0.0.2', name: 'theirs' });
    const text = m.render();
    assert.equal(sample(text, 'attestd_ike_sa_established_total'), 1);
    assert.equal(sample(text, 'attestd_esp_packets_total'), 7);
    assert.match(text, /^# TYPE attestd_esp_packets_total counter$/m);
  } finally {
    m.close();
  }
});

test('parseListenAddress takes HOST:PORT and [IPv6]:PORT and rejects the rest', () => {
  assert.deepEqual(parseListenAddress('127.0.0.1:9464'), { host: '127.0.0.1', port: 9464 });
  assert.deepEqual(parseListenAddress('[::1]:9464'), { host: '::1', port: 9464 });
  assert.deepEqual(parseListenAddress('localhost:0'), { host: 'localhost', port: 0 });
  assert.equal(formatListenAddress({ host: '::1', port: 9464 }), '[::1]:9464');
  for (const bad of [
    '127.0.0.1',
    ':9464',
    '127.0.0.1:65536',
    '::1:9464',
    '127.0.0.1:http',
    'a b:1',
    '[localhost]:9464',
    '',
  ])
    assert.throws(() => parseListenAddress(bad), { code: 'ERR_CONFIG' }, bad);
});
