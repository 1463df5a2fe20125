/**
 * EAP inside IKE_AUTH (RFC 7296 §2.16, RFC 5998 EAP-only) with our provider on both sides: two IkeEngines over the
 * in-memory network of test/exchange/ike-harness.ts.
 *
 *   initiator (EAP peer)                                   responder (EAP server)
 *   IKE_AUTH {IDi, [N(EAP_ONLY)], SA, TS}           →
 *                                                   ←      {IDr, [AUTH psk], EAP Request/Identity}
 *   {EAP Response/Identity}                         →
 *                                                   ←      {EAP Request/TTLS Start}  … TLS, phase 2 …
 *                                                   ←      {EAP Success}
 *   {AUTH from the MSK (or SK_pi for EAP-MD5)}      →
 *                                                   ←      {AUTH, SA, TS}
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryNet, child, connection, memoryCreds, node } from '../../exchange/ike-harness.ts';
import { idFromString } from '../../../src/ike/message/index.ts';
import { createEapProvider, mutualPbTncEndpoint } from '../../../src/eap/index.ts';
import type { EapProviderOptions, EapServerSession, TtlsPhase2 } from '../../../src/eap/index.ts';
import { MutualPbTnc, Recommendation } from '../../../src/tnc/pb/index.ts';
import { TestImc, TestImv } from '../tnc/pb/test-handlers.ts';
import { eapPki } from './helpers.ts';

const settle = (ms = 50) => new Promise((r) => setTimeout(r, ms));
const secret = (id: string) => (id === 'carol' ? new TextEncoder().encode('carol-secret') : undefined);

async function pair(opts: {
  method: 'md5' | 'ttls';
  eapOnly: boolean;
  phase2?: TtlsPhase2;
  clientCert?: boolean;
  tlsMax?: 'TLSv1.2' | 'TLSv1.3';
  commands?: { peer: string; server: string };
}) {
  const pki = await eapPki();
  const net = new MemoryNet();
  const creds = memoryCreds([{ a: 'moon.example', b: 'sun.example', secret: 'ike-psk' }]);
  const tnc: MutualPbTnc[] = [];
  const servers: EapServerSession[] = [];
  const ptEap: EapProviderOptions['ptEap'] = opts.commands
    ? {
        endpointFactory: (role) => {
          const command = role === 'peer' ? opts.commands!.peer : opts.commands!.server;
          const m = new MutualPbTnc({
            transport: role === 'peer' ? 'client' : 'server',
            client: new TestImc({ command }),
            server: new TestImv(),
          });
          tnc.push(m);
          return mutualPbTncEndpoint(m);
        },
      }
    : undefined;
  const tlsVersions = { max: opts.tlsMax ?? 'TLSv1.2' } as const;
  const peerEap = createEapProvider({
    md5Secret: secret,
    tls: {
      ca: pki.ca,
      serverIdentity: pki.serverName,
      ...(opts.clientCert ? { cert: pki.client.cert, key: pki.client.key } : {}),
    },
    ttls: { tlsVersions },
    ...(ptEap ? { ptEap } : {}),
  });
  const serverEap = createEapProvider({
    md5Secret: secret,
    tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca },
    ttls: { inner: opts.phase2 ?? 'md5', tlsVersions, maxMessageCount: 0 },
    onSession: (s) => {
      if (s.role === 'server') servers.push(s.session);
    },
    ...(ptEap ? { ptEap } : {}),
  });
  const moon = idFromString('moon.example');
  const sun = idFromString('sun.example');
  const left = node(
    net,
    '10.99.0.1',
    [
      connection({
        name: 'eap',
        localAddrs: ['10.99.0.1'],
        remoteAddrs: ['10.99.0.2'],
        eapOnly: opts.eapOnly,
        local: [
          { method: 'eap', id: moon, eapType: opts.method, eapId: opts.clientCert ? 'carol.attestd.test' : 'carol' },
        ],
        remote: [opts.eapOnly ? { method: 'eap', id: sun } : { method: 'psk', id: sun }],
        children: [child('net', { localTs: ['10.1.0.1/32'], remoteTs: ['10.2.0.1/32'] })],
      }),
    ],
    creds,
    { eap: peerEap },
  );
  const right = node(
    net,
    '10.99.0.2',
    [
      connection({
        name: 'eap',
        localAddrs: ['10.99.0.2'],
        remoteAddrs: ['10.99.0.1'],
        local: [opts.eapOnly ? { method: 'eap', id: sun, eapType: opts.method } : { method: 'psk', id: sun }],
        remote: [{ method: 'eap', id: moon, eapType: opts.method }],
        children: [child('net', { localTs: ['10.2.0.1/32'], remoteTs: ['10.1.0.1/32'] })],
      }),
    ],
    creds,
    { eap: serverEap },
  );
  return { net, left, right, tnc, servers };
}

test('EAP-MD5 after a PSK-authenticated responder: both IKE SAs come up', async () => {
  const { left, right } = await pair({ method: 'md5', eapOnly: false });
  await left.engine.initiate('eap');
  await settle();
  assert.equal(right.engine.list()[0]?.state, 'ESTABLISHED');
  assert.equal(right.engine.sas[0]!.peerAuth[0]!.method, 'eap');
  assert.equal(right.engine.sas[0]!.peerAuth[0]!.eapType, 'md5');
});

for (const tlsMax of ['TLSv1.2', 'TLSv1.3'] as const) {
  test(`EAP-TTLS (${tlsMax}) with inner EAP-MD5: AUTH from the MSK verifies on both sides`, async () => {
    const { left, right } = await pair({ method: 'ttls', eapOnly: false, tlsMax });
    await left.engine.initiate('eap');
    await settle();
    assert.equal(left.engine.list()[0]?.state, 'ESTABLISHED');
    assert.equal(right.engine.list()[0]?.state, 'ESTABLISHED');
    assert.equal(right.engine.sas[0]!.peerAuth[0]!.eapType, 'ttls');
  });

  test(`EAP-only mutual TTLS (${tlsMax}) with PT-EAP: allow on both sides establishes`, async () => {
    const { left, right, tnc } = await pair({
      method: 'ttls',
      eapOnly: true,
      phase2: 'pt-eap',
      clientCert: true,
      tlsMax,
      commands: { peer: 'allow', server: 'allow' },
    });
    await left.engine.initiate('eap');
    await settle();
    assert.equal(left.engine.list()[0]?.state, 'ESTABLISHED');
    assert.equal(right.engine.list()[0]?.state, 'ESTABLISHED');
    assert.equal(tnc.length, 2);
    for (const m of tnc) {
      assert.equal(m.done, true);
      assert.equal(m.serverDecision?.recommendation, Recommendation.ACCESS_ALLOWED);
    }
  });
}

test('EAP-only mutual TTLS with PT-EAP: a blocked peer gets EAP-Failure and no IKE SA', async () => {
  const { left, right, tnc } = await pair({
    method: 'ttls',
    eapOnly: true,
    phase2: 'pt-eap',
    clientCert: true,
    commands: { peer: 'block', server: 'allow' },
  });
  await assert.rejects(left.engine.initiate('eap'), /AUTHENTICATION_FAILED|24|EAP/);
  await settle();
  assert.equal(right.engine.list().filter((s) => s.state === 'ESTABLISHED').length, 0);
  const server = tnc.find((m) => m.transport === 'server');
  assert.equal(server?.serverDecision?.recommendation, Recommendation.ACCESS_DENIED);
});

test('EAP-only TTLS shell without a client certificate is refused', async () => {
  const { left, right, servers } = await pair({ method: 'ttls', eapOnly: true, phase2: 'none', clientCert: false });
  await assert.rejects(left.engine.initiate('eap'));
  await settle();
  assert.equal(right.engine.list().filter((s) => s.state === 'ESTABLISHED').length, 0);
  assert.match(servers[0]?.reason ?? '', /client certificate is required/);
});

test('EAP-MD5 with a wrong secret fails', async () => {
  const { left, right, servers } = await pair({ method: 'md5', eapOnly: false });
  const wrong = createEapProvider({ md5Secret: () => new TextEncoder().encode('guess') });
  left.engine.svc.eap = wrong;
  await assert.rejects(left.engine.initiate('eap'));
  await settle();
  assert.equal(right.engine.list().filter((s) => s.state === 'ESTABLISHED').length, 0);
  assert.match(servers[0]?.reason ?? '', /does not verify/);
});

test('EAP-only mutual TTLS with PT-EAP: the initiator refuses a responder its own verifiers block', async () => {
  const { left, right, tnc } = await pair({
    method: 'ttls',
    eapOnly: true,
    phase2: 'pt-eap',
    clientCert: true,
    commands: { peer: 'allow', server: 'block' },
  });
  await assert.rejects(left.engine.initiate('eap'), /refused the responder/);
  await settle();
  // The responder learns it from INFORMATIONAL(AUTHENTICATION_FAILED) and keeps nothing either.
  assert.equal(left.engine.sas.length, 0);
  assert.equal(right.engine.list().filter((s) => s.state === 'ESTABLISHED').length, 0);
  const client = tnc.find((m) => m.transport === 'client');
  assert.equal(client?.serverDecision?.recommendation, Recommendation.ACCESS_DENIED);
});
