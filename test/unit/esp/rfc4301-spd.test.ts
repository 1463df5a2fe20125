/**
 * Security Policy Database (RFC 4301 §4.4.1): the most specific policy wins, the newest among equals (rekey), and
 * selectors become routes as CIDR prefixes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Spd, selectorPrefixes, inboundAllowed } from '../../../src/esp/spd.ts';
import { parseIp } from '../../../src/esp/ip.ts';
import { ts, udp4 } from './pair.ts';

const pkt = (src: string, dst: string, dport = 5678) => parseIp(udp4(src, dst, new Uint8Array(4), { dport }));

test('longest match: a /32 beats a /24 beats 0.0.0.0/0, whatever the installation order', () => {
  const spd = new Spd<string>();
  spd.add([ts('0.0.0.0', '255.255.255.255')], [ts('0.0.0.0', '255.255.255.255')], 'any');
  spd.add([ts('10.1.0.1')], [ts('10.2.0.1')], 'host');
  spd.add([ts('10.1.0.0', '10.1.0.255')], [ts('10.2.0.0', '10.2.0.255')], 'net');
  assert.equal(spd.lookup(pkt('10.1.0.1', '10.2.0.1')), 'host');
  assert.equal(spd.lookup(pkt('10.1.0.7', '10.2.0.1')), 'net');
  assert.equal(spd.lookup(pkt('192.0.2.1', '10.2.0.1')), 'any');
});

test('protocol and port selectors: a specific port is more specific than any port', () => {
  const spd = new Spd<string>();
  spd.add([ts('10.1.0.1')], [ts('10.2.0.1')], 'all');
  spd.add([ts('10.1.0.1')], [ts('10.2.0.1', '10.2.0.1', 17, 53, 53)], 'dns');
  assert.equal(spd.lookup(pkt('10.1.0.1', '10.2.0.1', 53)), 'dns');
  assert.equal(spd.lookup(pkt('10.1.0.1', '10.2.0.1', 54)), 'all');
});

test('equal selectors: the newest policy wins (traffic moves to the rekeyed SA), removal falls back', () => {
  const spd = new Spd<string>();
  spd.add([ts('10.1.0.1')], [ts('10.2.0.1')], 'old');
  spd.add([ts('10.1.0.1')], [ts('10.2.0.1')], 'new');
  assert.equal(spd.lookup(pkt('10.1.0.1', '10.2.0.1')), 'new');
  spd.remove('new');
  assert.equal(spd.lookup(pkt('10.1.0.1', '10.2.0.1')), 'old');
  spd.remove('old');
  assert.equal(spd.lookup(pkt('10.1.0.1', '10.2.0.1')), undefined);
});

test('inbound check (RFC 4301 §5.2): source within remote, destination within local selectors', () => {
  const local = [ts('10.1.0.0', '10.1.0.255')];
  const remote = [ts('10.2.0.1')];
  assert.equal(inboundAllowed(pkt('10.2.0.1', '10.1.0.9'), local, remote), true);
  assert.equal(inboundAllowed(pkt('10.2.0.2', '10.1.0.9'), local, remote), false);
  assert.equal(inboundAllowed(pkt('10.2.0.1', '10.3.0.9'), local, remote), false);
});

test('selector ranges as CIDR prefixes', () => {
  assert.deepEqual(selectorPrefixes(ts('10.2.0.1')), ['10.2.0.1/32']);
  assert.deepEqual(selectorPrefixes(ts('10.2.0.0', '10.2.0.255')), ['10.2.0.0/24']);
  assert.deepEqual(selectorPrefixes(ts('0.0.0.0', '255.255.255.255')), ['0.0.0.0/0']);
  assert.deepEqual(selectorPrefixes(ts('10.0.0.1', '10.0.0.6')), [
    '10.0.0.1/32',
    '10.0.0.2/31',
    '10.0.0.4/31',
    '10.0.0.6/32',
  ]);
  assert.deepEqual(selectorPrefixes(ts('fd00:1::', 'fd00:1::ffff')), ['fd00:1::/112']);
});

test('property: the prefixes of a range cover exactly the range', () => {
  const n2a = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  const a2n = (a: string) => a.split('.').reduce((x, y) => x * 256 + Number(y), 0);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 5000 }), (start, len) => {
      const end = Math.min(2 ** 32 - 1, start + len);
      let next = start;
      for (const p of selectorPrefixes(ts(n2a(start), n2a(end)))) {
        const [addr, bits] = p.split('/') as [string, string];
        assert.equal(a2n(addr), next);
        next += 2 ** (32 - Number(bits));
      }
      assert.equal(next, end + 1);
    }),
  );
});
