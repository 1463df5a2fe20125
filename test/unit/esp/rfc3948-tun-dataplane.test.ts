/**
 * The daemon's tun data plane without a TUN device (routes and device I/O are exercised by the interop suite):
 * ESP-in-UDP only (RFC 3948), NAT keepalives every 20 s while an encapsulated SA exists (§2.3), SPI allocation,
 * lifetime events forwarded to IKE, counters, and ESP from the port-4500 socket handed to the engine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/common/clock.ts';
import { ConfigError } from '../../../src/common/errors.ts';
import { silentLogger } from '../../../src/common/log.ts';
import { seededRng } from '../../../src/common/rng.ts';
import { KEEPALIVE_MS, TunDataPlane } from '../../../src/daemon/dataplane.ts';
import type { EspEvent } from '../../../src/esp/types.ts';
import { pair, udp4 } from './pair.ts';

function plane() {
  const clock = new FakeClock();
  const sent = { esp: 0, keepalives: [] as string[] };
  const p = new TunDataPlane({
    log: silentLogger,
    clock,
    rng: seededRng('plane'),
    transport: {
      sendEsp: () => sent.esp++,
      sendKeepalive: (_l, r) => sent.keepalives.push(`${r.address}:${r.port}`),
    },
  });
  return { p, clock, sent };
}

test('keepalives every 20 s while an encapsulated SA exists, none after it is removed', async () => {
  const { p, clock, sent } = plane();
  const { cfgA } = pair();
  await p.installSa(cfgA);
  clock.advance(KEEPALIVE_MS - 1);
  assert.equal(sent.keepalives.length, 0);
  clock.advance(1);
  assert.deepEqual(sent.keepalives, ['10.99.0.2:4500']);
  clock.advance(KEEPALIVE_MS);
  assert.equal(sent.keepalives.length, 2);
  await p.removeSa(cfgA.spiIn);
  await p.removeSa(cfgA.spiIn);
  clock.advance(5 * KEEPALIVE_MS);
  assert.equal(sent.keepalives.length, 2);
  await p.close();
});

test('without UDP encapsulation the tun plane refuses the SA with a ConfigError', async () => {
  const { p } = plane();
  const { cfgA } = pair();
  await assert.rejects(p.installSa({ ...cfgA, encap: false }), ConfigError);
});

test('SPIs are fresh and above 255; events and counters pass through; ESP from the socket reaches the engine', async () => {
  const { p } = plane();
  const spis = new Set<number>();
  for (let i = 0; i < 50; i++) spis.add(await p.allocateSpi());
  assert.equal(spis.size, 50);
  assert.ok([...spis].every((s) => s > 255));
  const events: EspEvent[] = [];
  p.onEvent((e) => events.push(e));
  const { a, cfgA } = pair({ lifetimes: { softPackets: 1 } });
  const peerCfg = { ...cfgA, spiIn: cfgA.spiOut, spiOut: cfgA.spiIn };
  // Our side is the pair's `b`: its inbound keys are a's outbound keys.
  await p.installSa({
    ...peerCfg,
    encrIn: cfgA.encrOut.slice(),
    integIn: cfgA.integOut.slice(),
    encrOut: cfgA.encrIn.slice(),
    integOut: cfgA.integIn.slice(),
    localTs: cfgA.remoteTs,
    remoteTs: cfgA.localTs,
  });
  const r = a.outbound(udp4('10.1.0.1', '10.2.0.1', new Uint8Array(20)));
  assert.equal(r.kind, 'esp');
  if (r.kind !== 'esp') return;
  p.onEsp(r.packet);
  p.onEsp(r.packet);
  p.onEsp(new Uint8Array(3));
  const c = p.counters(cfgA.spiOut)!;
  assert.equal(c.packetsIn, 1);
  assert.equal(c.replayDrops, 1);
  assert.equal(p.stats.malformed, 1);
  assert.deepEqual(events, [{ type: 'soft-expire', spiIn: cfgA.spiOut }]);
  await p.close();
  assert.equal(p.counters(cfgA.spiOut), undefined);
});
