/**
 * The EAP peer and authenticator (RFC 3748 §2.1, §4.1, §5.3): Identity first, method selection with Nak,
 * identifier checks, retransmissions and the Success/Failure outcome.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../../../src/common/rng.ts';
import {
  EapCode,
  EapPeerSession,
  EapServerSession,
  EapType,
  Md5Peer,
  Md5Server,
  createEapProvider,
  decodeEap,
  encodeEap,
} from '../../../src/eap/index.ts';
import type { PeerMethodFactory, ServerMethod } from '../../../src/eap/index.ts';
import { converse } from './helpers.ts';

const secret = new TextEncoder().encode('carol-secret');
const md5Server = () => ({ type: EapType.MD5, create: () => new Md5Server({ secret, rng: seededRng(1) }) });
const md5Peer: PeerMethodFactory = () => new Md5Peer({ secret: () => secret, name: 'carol' });

/** A stand-in server method of another type that always succeeds after one round. */
function otherMethod(type: number): { type: number; create: () => ServerMethod } {
  return {
    type,
    create: () => ({
      type,
      start: () => Promise.resolve(Uint8Array.of(1)),
      process: () => Promise.resolve({ outcome: 'success' as const }),
      msk: () => undefined,
    }),
  };
}

const ctx = { connection: 'c', label: 't', identity: 'carol' };

test('EAP-MD5 through the provider: Identity, challenge, Success', async () => {
  const provider = createEapProvider({ md5Secret: (id) => (id === 'carol' ? secret : undefined) });
  const server = provider.server('eap-md5', ctx);
  const c = await converse(provider.peer('md5', ctx), server);
  assert.equal(c.outcome, 'success');
  assert.equal(server.identity, 'carol');
  assert.equal(c.rounds, 2);
  const first = decodeEap(c.packets[0]!.bytes);
  assert.equal(first.code === EapCode.REQUEST && first.type, EapType.IDENTITY);
  // Success carries the identifier of the response it answers (§4.2).
  assert.equal(decodeEap(c.packets.at(-1)!.bytes).identifier, decodeEap(c.packets.at(-2)!.bytes).identifier);
});

test('an unknown identity has no secret: Failure', async () => {
  const provider = createEapProvider({ md5Secret: () => undefined });
  const c = await converse(
    new EapPeerSession({ identity: 'mallory', methods: new Map([[EapType.MD5, md5Peer]]) }),
    provider.server('md5', ctx),
  );
  assert.equal(c.outcome, 'failure');
});

test('the peer answers an unsupported method with a Nak; the server moves to the next method it may use', async () => {
  const server = new EapServerSession({ methods: [otherMethod(EapType.TTLS), md5Server()], rng: seededRng(2) });
  const peer = new EapPeerSession({ identity: 'carol', methods: new Map([[EapType.MD5, md5Peer]]) });
  const c = await converse(peer, server);
  assert.equal(c.outcome, 'success');
  const nak = c.packets
    .map((p) => decodeEap(p.bytes))
    .find((p) => p.code === EapCode.RESPONSE && p.type === EapType.NAK);
  assert.ok(nak && 'data' in nak);
  assert.deepEqual(nak.data, Uint8Array.of(EapType.MD5));
  assert.equal(server.method?.type, EapType.MD5);
});

test('a Nak offering nothing the server does ends in Failure', async () => {
  const server = new EapServerSession({ methods: [otherMethod(EapType.TTLS)], rng: seededRng(3) });
  const peer = new EapPeerSession({ identity: 'carol', methods: new Map([[EapType.MD5, md5Peer]]) });
  const c = await converse(peer, server);
  assert.equal(c.outcome, 'failure');
  assert.match(server.reason ?? '', /none of our EAP methods/);
});

test('responses with a wrong identifier are discarded (pending request re-sent), then Failure', async () => {
  const server = new EapServerSession({ methods: [md5Server()], rng: seededRng(4), maxDiscards: 2 });
  const req = await server.start();
  const id = decodeEap(req).identifier;
  const wrong = encodeEap({
    code: EapCode.RESPONSE,
    identifier: (id + 1) & 0xff,
    type: EapType.IDENTITY,
    data: new Uint8Array(0),
  });
  for (let i = 0; i < 2; i++) {
    const r = await server.process(wrong);
    assert.equal(r.outcome, undefined);
    assert.deepEqual(r.packet, req, 'the pending request again');
  }
  const last = await server.process(wrong);
  assert.equal(last.outcome, 'failure');
  assert.equal(decodeEap(last.packet).code, EapCode.FAILURE);
});

test('malformed packets and Requests sent to the server are discarded', async () => {
  const server = new EapServerSession({ methods: [md5Server()], rng: seededRng(5) });
  const req = await server.start();
  assert.deepEqual((await server.process(Uint8Array.of(2, 0, 0, 99))).packet, req, 'bad length');
  assert.deepEqual((await server.process(req)).packet, req, 'a Request');
  const id = decodeEap(req).identifier;
  const ok = await server.process(
    encodeEap({ code: EapCode.RESPONSE, identifier: id, type: 1, data: new TextEncoder().encode('carol') }),
  );
  assert.equal(ok.outcome, undefined);
  assert.equal(server.identity, 'carol');
});

test('a response of another type than the pending request is a Failure', async () => {
  const server = new EapServerSession({ methods: [md5Server()], rng: seededRng(6) });
  const id1 = decodeEap(await server.start()).identifier;
  const r1 = await server.process(encodeEap({ code: 2, identifier: id1, type: 1, data: new Uint8Array(0) }));
  const id2 = decodeEap(r1.packet).identifier;
  assert.equal(id2, (id1 + 1) & 0xff, 'identifiers increase');
  const r2 = await server.process(encodeEap({ code: 2, identifier: id2, type: EapType.TTLS, data: Uint8Array.of(0) }));
  assert.equal(r2.outcome, 'failure');
  await assert.rejects(
    server.process(encodeEap({ code: 2, identifier: id2, type: 4, data: Uint8Array.of(0) })),
    /over/,
  );
});

test('the peer repeats its response to a retransmitted request, answers Notification, refuses non-Requests', async () => {
  const peer = new EapPeerSession({ identity: 'carol', methods: new Map([[EapType.MD5, md5Peer]]) });
  const req = encodeEap({ code: 1, identifier: 3, type: EapType.MD5, data: Uint8Array.of(4, 1, 2, 3, 4) });
  const a = await peer.process(req);
  const b = await peer.process(req);
  assert.deepEqual(a, b);
  const note = decodeEap(
    await peer.process(
      encodeEap({ code: 1, identifier: 4, type: EapType.NOTIFICATION, data: new TextEncoder().encode('hi') }),
    ),
  );
  assert.deepEqual(note, { code: 2, identifier: 4, type: EapType.NOTIFICATION, data: new Uint8Array(0) });
  await assert.rejects(
    peer.process(encodeEap({ code: 2, identifier: 5, type: 1, data: new Uint8Array(0) })),
    /Request/,
  );
  await assert.rejects(peer.process(Uint8Array.of(1, 5, 0, 2)), /length/);
});
