/**
 * The ESP engine end to end between two instances (RFC 4303, RFC 4301 §5): tunnel and transport mode for each
 * suite, ESN, replay and ICV drops with their counters, dummy packets, sequence-number exhaustion, soft and hard
 * lifetimes, path-MTU handling with ICMP toward the inner sender, and garbage input that is dropped, never thrown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Reader, Writer, equal } from '../../../src/common/bytes.ts';
import { subscribe } from '../../../src/common/diag.ts';
import { createEspCipher } from '../../../src/crypto/esp.ts';
import { seededRng } from '../../../src/common/rng.ts';
import { parseIp, inetChecksum, IpProto } from '../../../src/esp/ip.ts';
import { EspDrop } from '../../../src/esp/types.ts';
import { pair, udp4, SUITES } from './pair.ts';

function mustEsp(r: ReturnType<ReturnType<typeof pair>['a']['outbound']>): Uint8Array {
  assert.equal(r.kind, 'esp', JSON.stringify(r));
  return (r as { packet: Uint8Array }).packet;
}

for (const suite of Object.keys(SUITES)) {
  for (const esn of [false, true]) {
    test(`tunnel mode ${suite}${esn ? ' with ESN' : ''}: packets cross both ways and are counted`, () => {
      const { a, b, cfgA } = pair({ suite, esn });
      for (let i = 0; i < 20; i++) {
        const inner = udp4('10.1.0.1', '10.2.0.9', new Uint8Array(i * 37).fill(i));
        const r = a.outbound(inner);
        assert.equal(r.kind, 'esp');
        if (r.kind !== 'esp') return;
        assert.equal(r.route.remote.address, '10.99.0.2');
        assert.equal(new Reader(r.packet, 'esp').u32('spi'), cfgA.spiOut);
        const back = b.inbound(r.packet);
        assert.equal(back.kind, 'ip');
        if (back.kind === 'ip') assert.ok(equal(back.packet, inner));
        const reply = b.outbound(udp4('10.2.0.9', '10.1.0.1', new Uint8Array(5)));
        assert.equal(a.inbound(mustEsp(reply)).kind, 'ip');
      }
      const ca = a.counters(cfgA.spiIn)!;
      assert.equal(ca.packetsOut, 20);
      assert.equal(ca.packetsIn, 20);
      assert.ok(ca.bytesOut > ca.bytesIn);
      assert.equal(ca.replayDrops + ca.icvFailures, 0);
    });
  }
}

test('transport mode: the IP payload is protected and the header rebuilt from the SA endpoints', () => {
  const { a, b } = pair({ mode: 'transport' });
  const inner = udp4('10.99.0.1', '10.99.0.2', new Uint8Array(100).fill(7));
  const esp = mustEsp(a.outbound(inner));
  const r = b.inbound(esp);
  assert.equal(r.kind, 'ip');
  if (r.kind !== 'ip') return;
  const ip = parseIp(r.packet);
  assert.equal(ip.protocol, IpProto.UDP);
  assert.deepEqual([...ip.src], [10, 99, 0, 1]);
  assert.ok(equal(r.packet.subarray(20), inner.subarray(20)));
  assert.equal(inetChecksum(r.packet.subarray(0, 20)), 0, 'valid header checksum');
});

test('replay: the same packet twice is dropped and counted, and published on esp:replay', () => {
  const { a, b, cfgA } = pair();
  const seen: number[] = [];
  const off = subscribe('esp:replay', (m) => seen.push(m.spi));
  try {
    const esp = mustEsp(a.outbound(udp4('10.1.0.1', '10.2.0.1', new Uint8Array(10))));
    assert.equal(b.inbound(esp).kind, 'ip');
    assert.deepEqual(b.inbound(esp), { kind: 'drop', reason: EspDrop.REPLAY });
    assert.equal(b.counters(cfgA.spiOut)!.replayDrops, 1);
    assert.equal(b.stats.replay, 1);
    assert.deepEqual(seen, [cfgA.spiOut]);
  } finally {
    off();
  }
});

test('ICV failure: a flipped bit is dropped and counted, and the window does not move', () => {
  for (const suite of Object.keys(SUITES)) {
    const { a, b, cfgA } = pair({ suite });
    const esp = mustEsp(a.outbound(udp4('10.1.0.1', '10.2.0.1', new Uint8Array(64))));
    const forged = esp.slice();
    forged[30] = (forged[30] ?? 0) ^ 0x80;
    assert.deepEqual(b.inbound(forged), { kind: 'drop', reason: EspDrop.ICV });
    assert.equal(b.counters(cfgA.spiOut)!.icvFailures, 1);
    assert.equal(b.inbound(esp).kind, 'ip', `${suite}: the genuine packet still passes`);
  }
});

test('dummy packets (next header 59, RFC 4303 §2.6) are dropped silently', () => {
  const { b, cfgA } = pair();
  const sender = createEspCipher(SUITES.aes256gcm16!.suite, cfgA.encrOut, cfgA.integOut, seededRng('x'));
  const dummy = sender.seal({ spi: cfgA.spiOut, seq: 1, payload: new Uint8Array(32), nextHeader: IpProto.NO_NEXT });
  assert.deepEqual(b.inbound(dummy), { kind: 'drop', reason: EspDrop.DUMMY });
  assert.equal(b.stats.dummy, 1);
});

test('an inner packet outside the SA selectors is dropped (RFC 4301 §5.2)', () => {
  const { b, cfgA } = pair();
  const sender = createEspCipher(SUITES.aes256gcm16!.suite, cfgA.encrOut, cfgA.integOut, seededRng('x'));
  const spoofed = udp4('192.0.2.1', '10.2.0.1', new Uint8Array(8));
  const esp = sender.seal({ spi: cfgA.spiOut, seq: 1, payload: spoofed, nextHeader: IpProto.IPV4 });
  assert.deepEqual(b.inbound(esp), { kind: 'drop', reason: EspDrop.POLICY_MISMATCH });
});

test('no policy, no SA: dropped and counted', () => {
  const { a } = pair();
  assert.deepEqual(a.outbound(udp4('10.5.0.1', '10.2.0.1', new Uint8Array(8))), {
    kind: 'drop',
    reason: EspDrop.NO_POLICY,
  });
  assert.deepEqual(a.inbound(new Writer(40).u32(0x1234).u32(1).zeros(32).finish()), {
    kind: 'drop',
    reason: EspDrop.NO_SA,
  });
});

test('sequence numbers: seq-exhausted before the limit, then the SA refuses to send (never wraps)', () => {
  const { a, events, cfgA } = pair({ engine: { seqLimit: 100, seqMargin: 5 } });
  const p = udp4('10.1.0.1', '10.2.0.1', new Uint8Array(8));
  for (let i = 1; i <= 100; i++) assert.equal(a.outbound(p).kind, 'esp');
  assert.deepEqual(events.a, [{ type: 'seq-exhausted', spiIn: cfgA.spiIn }]);
  assert.deepEqual(a.outbound(p), { kind: 'drop', reason: EspDrop.EXPIRED });
});

test('lifetimes: soft then hard expiry by packets and by bytes, once each; hard-expired SAs carry nothing', () => {
  const byPackets = pair({ lifetimes: { softPackets: 3, hardPackets: 5 } });
  const p = udp4('10.1.0.1', '10.2.0.1', new Uint8Array(100));
  for (let i = 0; i < 5; i++) byPackets.a.outbound(p);
  const spi = byPackets.cfgA.spiIn;
  assert.deepEqual(byPackets.events.a, [
    { type: 'soft-expire', spiIn: spi },
    { type: 'hard-expire', spiIn: spi },
  ]);
  assert.deepEqual(byPackets.a.outbound(p), { kind: 'drop', reason: EspDrop.EXPIRED });

  const byBytes = pair({ lifetimes: { softBytes: 1000, hardBytes: 0 } });
  for (let i = 0; i < 20; i++) byBytes.b.inbound(mustEsp(byBytes.a.outbound(p)));
  assert.deepEqual(
    byBytes.events.a.map((e) => e.type),
    ['soft-expire'],
  );
  assert.deepEqual(
    byBytes.events.b.map((e) => e.type),
    ['soft-expire'],
  );
});

test('path MTU: a DF packet that would not fit gets ICMP fragmentation-needed toward the sender', () => {
  const { a } = pair({ engine: { pathMtu: 1500 } });
  const big = udp4('10.1.0.1', '10.2.0.1', new Uint8Array(1472));
  const r = a.outbound(big);
  assert.equal(r.kind, 'icmp');
  if (r.kind !== 'icmp') return;
  const ip = parseIp(r.packet);
  assert.equal(ip.protocol, IpProto.ICMP);
  assert.deepEqual([...ip.dst], [10, 1, 0, 1], 'to the inner sender');
  const icmp = new Reader(r.packet.subarray(20), 'icmp');
  assert.equal(icmp.u8('type'), 3);
  assert.equal(icmp.u8('code'), 4);
  icmp.skip(4, 'checksum+unused');
  const mtu = icmp.u16('mtu');
  assert.equal(inetChecksum(r.packet.subarray(20)), 0);
  // A packet of exactly that size fits; one byte more does not.
  assert.equal(a.outbound(udp4('10.1.0.1', '10.2.0.1', new Uint8Array(mtu - 28))).kind, 'esp');
  assert.equal(a.outbound(udp4('10.1.0.1', '10.2.0.1', new Uint8Array(mtu - 27))).kind, 'icmp');
  // Without DF the packet goes out (the outer datagram is fragmented).
  assert.equal(a.outbound(udp4('10.1.0.1', '10.2.0.1', new Uint8Array(1472), { df: false })).kind, 'esp');
});

test('property: arbitrary datagrams on either side are dropped and counted, never thrown', () => {
  const { a, b, cfgA } = pair();
  const spiPrefixed = fc
    .uint8Array({ maxLength: 300 })
    .map((rest) => new Writer(4 + rest.byteLength).u32(cfgA.spiIn).bytes(rest).finish());
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), spiPrefixed), (data) => {
      const r = a.inbound(data);
      assert.equal(r.kind, 'drop');
      const o = b.outbound(data);
      assert.ok(o.kind === 'drop' || o.kind === 'esp' || o.kind === 'icmp');
    }),
  );
  assert.ok(a.stats.malformed + a.stats['no-sa'] + a.stats.replay + a.stats.icv > 0);
});

test('remove wipes the keys and is idempotent', () => {
  const { a, cfgA } = pair();
  assert.equal(a.remove(cfgA.spiIn), true);
  assert.equal(a.remove(cfgA.spiIn), false);
  assert.ok(cfgA.encrOut.every((x) => x === 0));
  assert.equal(a.counters(cfgA.spiIn), undefined);
});
