// bench/baseline-charon.ts: the charon ↔ charon baseline the benches compare against (and bench/lib/stats.ts's
// percentile, its RTT summary).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { requires } from '../../support/env.ts';
import { CHARON } from '../../support/charon.ts';
import { iperf3Between, parsePing, pingStats, setupCharonPair, swanctlConf } from '../../../bench/baseline-charon.ts';
import { percentile } from '../../../bench/lib/stats.ts';
import type { TestbedHost } from '../../support/netns.ts';

test('percentile is nearest-rank and monotone in p', () => {
  assert.equal(percentile([1, 2, 3, 4], 50), 2);
  assert.equal(percentile([1, 2, 3, 4], 99), 4);
  assert.equal(percentile([5], 1), 5);
  assert.ok(Number.isNaN(percentile([], 50)));
  fc.assert(
    fc.property(
      fc.array(fc.double({ noNaN: true, min: 0, max: 1e6 }), { minLength: 1, maxLength: 50 }),
      fc.integer({ min: 0, max: 99 }),
      (xs, p) => {
        const s = [...xs].sort((a, b) => a - b);
        const a = percentile(s, p);
        const b = percentile(s, p + 1);
        assert.ok(a <= b);
        assert.ok(s.includes(a));
      },
    ),
  );
});

test('parsePing reads RTTs and counts (iputils output)', () => {
  const out = [
    'PING 10.2.0.1 (10.2.0.1) from 10.1.0.1 : 56(84) bytes of data.',
    '64 bytes from 10.2.0.1: icmp_seq=1 ttl=64 time=0.919 ms',
    '64 bytes from 10.2.0.1: icmp_seq=3 ttl=64 time=1.5 ms',
    '',
    '--- 10.2.0.1 ping statistics ---',
    '3 packets transmitted, 2 received, 33.3333% packet loss, time 200ms',
  ].join('\n');
  assert.deepEqual(parsePing(out), { sent: 3, received: 2, rtts: [0.919, 1.5] });
});

test('swanctlConf writes one key = value per line, PSK secrets only for psk', () => {
  const me = { name: 'left', ns: 'x', index: 0, iface: 'eth0', addr: '10.99.0.1', inner: '10.1.0.1' } as TestbedHost;
  const peer = { ...me, name: 'right', addr: '10.99.0.2', inner: '10.2.0.1' };
  const psk = swanctlConf({ me, peer, extra: ['dpd_delay = 1s'] });
  for (const line of psk.split('\n')) assert.ok((line.match(/=/g) ?? []).length <= 1, line);
  assert.match(psk, /^ {4}encap = yes$/m);
  assert.match(psk, /^ {8}local_ts = 10\.1\.0\.1\/32$/m);
  assert.match(psk, /^ {4}dpd_delay = 1s$/m);
  assert.match(psk, /^secrets \{$/m);
  const cert = swanctlConf({ me, peer, auth: 'pubkey' });
  assert.match(cert, /^ {6}certs = left\.pem$/m);
  assert.doesNotMatch(cert, /secrets/);
});

test('setupCharonPair: ping RTT percentiles and iperf3 through the charon tunnel', async (t) => {
  if (!requires(t, { root: true, commands: ['ip', 'iperf3', 'ping', 'ss', CHARON] })) return;
  const pair = await setupCharonPair();
  t.after(() => pair.destroy());
  const p = await pingStats(pair.testbed, pair.left, pair.right.inner, 20);
  assert.equal(p.received, 20);
  assert.ok(p.min > 0 && p.min <= p.p50 && p.p50 <= p.p99 && p.p99 <= p.max);
  const before = (await pair.leftCharon.listSas())[0]?.children[0]?.bytesOut ?? 0;
  const r = await iperf3Between(pair.testbed, 'left', 'right', 1);
  assert.ok(r.mbps > 1, `${r.mbps} Mbit/s`);
  // The traffic went through the CHILD_SA, not around it.
  const after = (await pair.leftCharon.listSas())[0]?.children[0]?.bytesOut ?? 0;
  assert.ok(after - before > (r.mbps * 1e6 * 0.5) / 8, `CHILD_SA counted ${after - before} bytes`);
  t.diagnostic(`charon↔charon: ping p50 ${p.p50} ms p99 ${p.p99} ms, iperf3 ${r.mbps.toFixed(0)} Mbit/s`);
});
