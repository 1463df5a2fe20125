/**
 * RFC 7296 §2.1 (retransmissions), §2.6 (COOKIEs under load) and §2.21.1 (errors in IKE_SA_INIT) over real UDP:
 * engines behind IkeSockets on 127.0.0.1 (ephemeral ports, no root), attacked from hundreds of source ports.
 *
 *   flood sockets ×300 ──IKE_SA_INIT──▶ responder (cookie threshold 10, half-open timeout 1.5 s)
 *   legitimate engine ──IKE_SA_INIT──▶      ◀── N(COOKIE) ── retry with cookie ──▶ IKE_AUTH ──▶ established
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { Logger } from '../../../../src/common/log.ts';
import { systemClock } from '../../../../src/common/clock.ts';
import { systemRng } from '../../../../src/common/rng.ts';
import { NoneDataPlane } from '../../../../src/ike/dataplane.ts';
import { IkeEngine, type EngineOptions } from '../../../../src/ike/engine.ts';
import { IkeSockets } from '../../../../src/ike/net/udp.ts';
import type { IkeConnection } from '../../../../src/ike/config.ts';
import { decodeHeader, idFromString } from '../../../../src/ike/message/index.ts';
import { ExchangeType } from '../../../../src/ike/payloads/types.ts';
import { child, connection, memoryCreds } from '../../../exchange/ike-harness.ts';
import { classifyInitResponse, initRequest, malformedRequests, randomSpi } from '../../../interop/lib/ike-craft.ts';

const creds = memoryCreds([{ a: 'moon.example', b: 'sun.example', secret: 'a-long-shared-secret-for-udp-tests' }]);

interface Peer {
  engine: IkeEngine;
  sockets: IkeSockets;
  port: number;
  conns: IkeConnection[];
}

async function peer(engineOpts: Partial<EngineOptions> = {}): Promise<Peer> {
  const conns: IkeConnection[] = [];
  const ref: { e?: IkeEngine } = {};
  const log = new Logger({ level: 'silent' });
  const sockets = new IkeSockets({
    addresses: ['127.0.0.1'],
    port: 0,
    natPort: 0,
    log,
    onIke: (d, l, r) => void ref.e?.receive(d, l, r),
  });
  await sockets.open();
  const engine = new IkeEngine({
    services: {
      rng: systemRng,
      clock: systemClock,
      log,
      dataplane: new NoneDataPlane(),
      creds,
      connections: () => conns,
    },
    transport: sockets,
    retransmit: { timeout: 300, base: 1.5, tries: 4 },
    ...engineOpts,
  });
  ref.e = engine;
  return { engine, sockets, port: sockets.ports.ike, conns };
}

/** A responder (sun) and an initiator (moon) configured for each other. */
async function pair(responderOpts: Partial<EngineOptions> = {}) {
  const r = await peer(responderOpts);
  const i = await peer();
  r.conns.push(
    connection({
      name: 'c',
      localAddrs: ['127.0.0.1'],
      remoteAddrs: ['127.0.0.1'],
      local: [{ method: 'psk', id: idFromString('sun.example') }],
      remote: [{ method: 'psk', id: idFromString('moon.example') }],
      children: [child('ch', { localTs: ['10.2.0.0/24'], remoteTs: ['10.1.0.0/24'] })],
    }),
  );
  i.conns.push(
    connection({
      name: 'c',
      localAddrs: ['127.0.0.1'],
      remoteAddrs: ['127.0.0.1'],
      localPort: i.port,
      remotePort: r.port,
      local: [{ method: 'psk', id: idFromString('moon.example') }],
      remote: [{ method: 'psk', id: idFromString('sun.example') }],
      children: [child('ch', { localTs: ['10.1.0.0/24'], remoteTs: ['10.2.0.0/24'] })],
    }),
  );
  const close = async () => {
    for (const p of [i, r]) {
      await p.engine.close(false);
      await p.sockets.close();
    }
  };
  return { r, i, close };
}

/** Sends each datagram from its own socket (own source port); returns the first reply of each (or null). */
async function sendFromPorts(port: number, datagrams: Uint8Array[], waitMs = 200): Promise<(Uint8Array | null)[]> {
  const replies: (Uint8Array | null)[] = datagrams.map(() => null);
  const socks = await Promise.all(
    datagrams.map(
      (_d, j) =>
        new Promise<dgram.Socket>((res) => {
          const s = dgram.createSocket('udp4');
          s.on('message', (m) => (replies[j] ??= new Uint8Array(m)));
          s.bind(0, '127.0.0.1', () => res(s));
        }),
    ),
  );
  // In bursts of 50: 300 datagrams at once would overflow the responder's socket receive buffer (the kernel drops
  // them, which is not what this test is about).
  for (let j = 0; j < socks.length; j++) {
    socks[j]!.send(datagrams[j]!, port, '127.0.0.1');
    if (j % 50 === 49) await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, waitMs));
  await Promise.all(socks.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return replies;
}

test('a flood of IKE_SA_INIT from 300 source ports triggers COOKIEs, bounds half-open state, and a legitimate peer gets through', async () => {
  const { r, i, close } = await pair({ cookieThreshold: 10, blockThreshold: 1000, halfOpenTimeout: 1500 });
  try {
    const replies = await sendFromPorts(
      r.port,
      Array.from({ length: 300 }, () => initRequest()),
      400,
    );
    const kinds = replies.map((x) => (x ? classifyInitResponse(x).kind : 'none'));
    const answered = kinds.filter((k) => k === 'answer').length;
    const cookies = kinds.filter((k) => k === 'cookie').length;
    assert.equal(answered, 10, 'state only up to the cookie threshold');
    assert.equal(cookies, 290, 'every other request gets a COOKIE, statelessly');
    assert.equal(r.engine.halfOpenCount, 10);
    assert.equal(r.engine.sas.length, 10);
    assert.equal(r.engine.stats.cookiesSent, 290);
    // The legitimate initiator is asked for a cookie too and comes through with it.
    const sa = await i.engine.initiate('c');
    assert.equal(sa.state, 'ESTABLISHED');
    assert.equal(r.engine.stats.cookiesSent, 291);
    // Half-open SAs expire: memory stays bounded, the established SA stays.
    await new Promise((res) => setTimeout(res, 1500));
    assert.equal(r.engine.halfOpenCount, 0);
    assert.equal(r.engine.sas.length, 1);
    assert.equal(r.engine.sas[0]!.state, 'ESTABLISHED');
  } finally {
    await close();
  }
});

test('a retransmitted IKE_SA_INIT is answered from the cache byte for byte', async () => {
  const { r, close } = await pair();
  try {
    const spi = randomSpi();
    const req = initRequest(spi);
    const s = dgram.createSocket('udp4');
    await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
    const got: Uint8Array[] = [];
    s.on('message', (m) => got.push(new Uint8Array(m)));
    for (let k = 0; k < 2; k++) {
      s.send(req, r.port, '127.0.0.1');
      await new Promise((res) => setTimeout(res, 100));
    }
    await new Promise<void>((res) => s.close(() => res()));
    assert.equal(got.length, 2);
    assert.deepEqual(got[1], got[0], 'the retransmission gets the cached response');
    assert.equal(r.engine.stats.retransmitsAnswered, 1);
    assert.equal(r.engine.sas.length, 1);
  } finally {
    await close();
  }
});

test('malformed IKE_SA_INIT requests are dropped without an answer and without state (RFC 7296 §2.21.1)', async () => {
  const { r, i, close } = await pair();
  try {
    const bad = malformedRequests();
    const replies = await sendFromPorts(
      r.port,
      bad.map((b) => b.data),
    );
    for (const [k, reply] of replies.entries()) {
      const kind = reply ? classifyInitResponse(reply) : undefined;
      assert.ok(!kind || kind.kind === 'notify', `${bad[k]!.name}: answered with ${kind?.kind}`);
    }
    assert.equal(r.engine.sas.length, 0);
    assert.equal(r.engine.halfOpenCount, 0);
    assert.ok(r.engine.stats.parseErrors >= 3, `parse errors ${r.engine.stats.parseErrors}`);
    // …and the responder still serves a legitimate peer.
    assert.equal((await i.engine.initiate('c')).state, 'ESTABLISHED');
  } finally {
    await close();
  }
});

test('idle(sa, timeout) waits for an exchange whose answer takes real time (rekey over UDP)', async () => {
  const { r, i, close } = await pair();
  try {
    const sa = await i.engine.initiate('c');
    // Slow the responder down: its answers leave 80 ms late, far beyond 1000 event-loop turns.
    const send = r.sockets.send.bind(r.sockets);
    r.sockets.send = (d, l, rem) => void setTimeout(() => send(d, l, rem), 80);
    i.engine.rekeyIke(sa);
    await i.engine.idle(sa, 5000);
    const fresh = i.engine.sas.filter((s) => s.state === 'ESTABLISHED');
    assert.equal(fresh.length, 1);
    assert.notEqual(fresh[0], sa, 'the rekey completed before idle() returned');
  } finally {
    await close();
  }
});

test('a replayed IKE_AUTH request from another port is answered from the cache or ignored, and does not move the SA (RFC 7296 §2.1, §2.23)', async () => {
  const { r, i, close } = await pair();
  try {
    const sent: Uint8Array[] = [];
    const send = i.sockets.send.bind(i.sockets);
    i.sockets.send = (d, l, rem) => {
      sent.push(d.slice());
      send(d, l, rem);
    };
    const sa = await i.engine.initiate('c');
    const authRequest = sent[1]!;
    assert.equal(decodeHeader(authRequest).exchange, ExchangeType.IKE_AUTH);
    const [resp] = r.engine.sas;
    assert.ok(resp);
    assert.equal(resp.remote.port, i.port);
    // Replay 1: still the latest request, so the cached response is sent again — to the SA's peer, which drops it
    // as a duplicate; the replayer learns nothing and the SA does not move.
    const sent1 = r.engine.stats.sent;
    const [reply] = await sendFromPorts(r.port, [authRequest], 150);
    assert.equal(reply, null);
    assert.equal(r.engine.stats.sent, sent1 + 1, 'answered from the cache');
    assert.equal(resp.remote.port, i.port, 'the SA still talks to the real peer');
    // The real peer still gets answers: a liveness check.
    const before = r.engine.stats.received;
    i.engine.dpd(sa);
    await i.engine.idle(sa, 3000);
    assert.ok(r.engine.stats.received > before);
    assert.equal(i.engine.stats.icvFailures + r.engine.stats.icvFailures, 0);
    // Replay 2: now an old message id: ignored, no answer, endpoint unchanged.
    const sentBefore = r.engine.stats.sent;
    const [late] = await sendFromPorts(r.port, [authRequest], 150);
    assert.equal(late, null);
    assert.equal(r.engine.stats.sent, sentBefore);
    assert.equal(resp.remote.port, i.port);
  } finally {
    await close();
  }
});
