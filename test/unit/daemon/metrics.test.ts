/**
 * The Prometheus endpoint: counters follow the diagnostics channels, gauges are read at scrape time, and the text
 * format parses line by line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics, startMetricsServer } from '../../../src/daemon/metrics.ts';
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
  publish('tnc:recommendation', { connection: 'gw', recommendation: 'isolate', reasons: ['x'] });
  publish('tnc:recommendation', { connection: 'gw', recommendation: 'no access', reasons: ['y'] });
  publish('esp:replay', { spi: 1, seq: 5n });
  const text = m.render();
  assert.equal(sample(text, 'attestd_ike_sa_established_total'), 2);
  assert.equal(sample(text, 'attestd_ike_sa_rekeyed_total'), 1);
  assert.equal(sample(text, 'attestd_attestation_verdicts_total', '{recommendation="isolate"}'), 1);
  assert.equal(sample(text, 'attestd_attestation_verdicts_total', '{recommendation="no access"}'), 1);
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
