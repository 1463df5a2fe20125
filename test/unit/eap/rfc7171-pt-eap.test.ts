/**
 * PT-EAP (RFC 7171) carrying mutual PB-TNC inside EAP-TTLS: the codec with strongSwan's empty-packet quirk, the
 * batch cap, and the Nak from a peer without TNC (charon's answer) ending our server's attempt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LimitError, ProtocolError } from '../../../src/common/errors.ts';
import {
  EapType,
  PT_EAP_MAX_BATCH,
  PtEapServer,
  createEapProvider,
  decodePtEap,
  encodePtEap,
  mutualPbTncEndpoint,
} from '../../../src/eap/index.ts';
import type { EapServerSession, PtEapEndpoint } from '../../../src/eap/index.ts';
import { MutualPbTnc, Recommendation } from '../../../src/tnc/pb/index.ts';
import { TestImc, TestImv } from '../tnc/pb/test-handlers.ts';
import { converse, eapPki } from './helpers.ts';

test('PT-EAP codec: start 0x81 without data, data packets 0x01 + one batch (property)', () => {
  assert.deepEqual(encodePtEap({ start: true }), Uint8Array.of(0x81));
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 500 }), (batch) => {
      const bytes = encodePtEap({ batch });
      const p = decodePtEap(bytes);
      assert.deepEqual(p, { flags: 1, version: 1, start: false, batch });
      assert.deepEqual(encodePtEap(p), bytes);
    }),
  );
  // strongSwan's empty packet with flags 0x00: read as empty.
  assert.deepEqual(decodePtEap(Uint8Array.of(0x00)), { flags: 0, version: 0, start: false });
  assert.throws(() => encodePtEap({ batch: new Uint8Array(PT_EAP_MAX_BATCH + 1) }), LimitError);
  assert.equal(encodePtEap({ batch: new Uint8Array(PT_EAP_MAX_BATCH) }).byteLength + 5, 0xffff);
});

test('PT-EAP server: wrong version refused, more than one batch refused, stalls bounded', async () => {
  const stalled: PtEapEndpoint = { start: () => null, receive: () => [], done: () => false };
  const s = new PtEapServer(stalled, { maxEmpty: 3 });
  assert.deepEqual(await s.start(), Uint8Array.of(0x81));
  await assert.rejects(s.process(Uint8Array.of(0x02, 1)), ProtocolError);
  assert.deepEqual(await s.process(Uint8Array.of(0x00)), { request: Uint8Array.of(0x01) }, 'flags-only = empty');
  assert.deepEqual(await s.process(Uint8Array.of(0x01)), { request: Uint8Array.of(0x01) });
  assert.deepEqual(await s.process(Uint8Array.of(0x01)), { request: Uint8Array.of(0x01) });
  assert.equal(((await s.process(Uint8Array.of(0x01))) as { outcome: string }).outcome, 'failure');
  const two = new PtEapServer({
    start: () => null,
    receive: () => [Uint8Array.of(1), Uint8Array.of(2)],
    done: () => false,
  });
  await assert.rejects(two.process(Uint8Array.of(0x01, 9)), ProtocolError);
});

async function mutual(opts: {
  peerPtEap: boolean;
  onNak?: 'fail' | 'succeed';
  commands?: [string, string];
  identity?: string;
}) {
  const pki = await eapPki();
  const tnc: MutualPbTnc[] = [];
  const factory = (role: 'peer' | 'server') => {
    const [peerCmd, serverCmd] = opts.commands ?? ['allow', 'allow'];
    const m = new MutualPbTnc({
      transport: role === 'peer' ? 'client' : 'server',
      client: new TestImc({ command: role === 'peer' ? peerCmd : serverCmd }),
      server: new TestImv(),
    });
    tnc.push(m);
    return mutualPbTncEndpoint(m);
  };
  const sessions: EapServerSession[] = [];
  const ctx = { connection: 'c', label: 't', identity: opts.identity ?? 'carol.attestd.test' };
  const peer = createEapProvider({
    tls: { ca: pki.ca, cert: pki.client.cert, key: pki.client.key, serverIdentity: pki.serverName },
    ...(opts.peerPtEap ? { ptEap: { endpointFactory: factory } } : {}),
  }).peer('ttls', ctx);
  const server = createEapProvider({
    tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca },
    ttls: { inner: 'pt-eap', maxMessageCount: 0, ...(opts.onNak ? { onPtEapNak: opts.onNak } : {}) },
    ptEap: { endpointFactory: factory },
    onSession: (s) => {
      if (s.role === 'server') sessions.push(s.session);
    },
  }).server('ttls', ctx);
  return { peer, server, tnc, sessions };
}

for (const [peerCmd, serverCmd, outcome] of [
  ['allow', 'allow', 'success'],
  ['isolate', 'allow', 'success'],
  ['block', 'allow', 'failure'],
  ['allow', 'block', 'success'],
] as const) {
  test(`mutual PB-TNC over PT-EAP: peer says ${peerCmd}, server says ${serverCmd} → EAP ${outcome}`, async () => {
    const { peer, server, tnc } = await mutual({ peerPtEap: true, commands: [peerCmd, serverCmd] });
    const c = await converse(peer, server);
    assert.equal(c.outcome, outcome);
    const ours = tnc.find((m) => m.transport === 'server')!;
    const theirs = tnc.find((m) => m.transport === 'client')!;
    assert.equal(ours.done && theirs.done, true);
    // Each side enforces its own IMV: the peer's verdict on the server is in its own session.
    const verdict = (cmd: string) =>
      cmd === 'allow'
        ? Recommendation.ACCESS_ALLOWED
        : cmd === 'isolate'
          ? Recommendation.QUARANTINED
          : Recommendation.ACCESS_DENIED;
    assert.equal(ours.serverDecision?.recommendation, verdict(peerCmd));
    assert.equal(theirs.serverDecision?.recommendation, verdict(serverCmd));
    // The peer's own verdict on the server, for IKE to enforce after EAP-Success.
    if (outcome === 'success') assert.equal(peer.verdict?.(), serverCmd === 'block' ? 'failure' : 'success');
  });
}

test('a peer without PT-EAP answers with a Nak: Failure by default, and the reason says so', async () => {
  const { peer, server, sessions } = await mutual({ peerPtEap: false });
  const c = await converse(peer, server);
  assert.equal(c.outcome, 'failure');
  assert.match(sessions[0]?.reason ?? '', /none of our EAP methods/);
});

test('with onPtEapNak = succeed the Nak ends in Success without attestation (MSK still derived)', async () => {
  const { peer, server, tnc } = await mutual({ peerPtEap: false, onNak: 'succeed' });
  const c = await converse(peer, server);
  assert.equal(c.outcome, 'success');
  assert.equal(c.serverMsk?.byteLength, 64);
  assert.deepEqual(c.peerMsk, c.serverMsk);
  assert.equal(tnc.find((m) => m.transport === 'server')?.serverDecision, undefined, 'no assessment happened');
  assert.equal(EapType.PT_EAP, 54);
});

test('the client certificate must carry the EAP identity: another name ends in Failure before PT-EAP', async () => {
  const { peer, server, sessions, tnc } = await mutual({ peerPtEap: true, identity: 'dave.attestd.test' });
  const c = await converse(peer, server);
  assert.equal(c.outcome, 'failure');
  assert.match(sessions[0]?.reason ?? '', /does not carry the EAP identity 'dave.attestd.test'/);
  assert.equal(tnc.length, 0, 'no PB-TNC session was started');
});
