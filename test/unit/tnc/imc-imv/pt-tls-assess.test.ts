/**
 * PT-TLS assessments end to end over node:tls on 127.0.0.1 (ephemeral ports): one-way and mutual, TLS 1.2 and 1.3,
 * SASL PLAIN and client certificates; a client that stalls mid-assessment is timed out; concurrent sessions are
 * bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { Recommendation } from '../../../../src/tnc/pb/index.ts';
import { ptTlsAssess, startAssessmentServer } from '../../../../src/tnc/pt-tls-assess.ts';
import type { AssessmentServer } from '../../../../src/tnc/pt-tls-assess.ts';
import type { PeerIdentity, TncOutcome } from '../../../../src/tnc/imc-imv/index.ts';

type Ended = { outcome: TncOutcome | undefined; peer: PeerIdentity | undefined };
import { createTestImc } from '../../../../src/imc/test/index.ts';
import { createTestImv } from '../../../../src/imv/test/index.ts';
import { createOsImc, staticOsInfo } from '../../../../src/imc/os/index.ts';
import { configOsPolicy, createOsImv } from '../../../../src/imv/os/index.ts';
import { loopbackServer, makeTestPki } from '../pt-tls/certs.ts';
import type { TestPki } from '../pt-tls/certs.ts';
import { debianInfo } from './helpers.ts';

const pki: TestPki = await makeTestPki();
const imvs = () => [createTestImv({ rounds: 1 }), createOsImv(configOsPolicy({ allowedTcpPorts: [22] }))];
const imcs = (command: string) => [createTestImc({ command }), createOsImc({ source: staticOsInfo(debianInfo()) })];

async function withServer(
  opts: { mutual?: boolean; maxVersion?: 'TLSv1.2' | 'TLSv1.3'; limits?: Record<string, number> },
  fn: (s: AssessmentServer, ended: Promise<Ended>[]) => Promise<void>,
): Promise<void> {
  const ended: Promise<Ended>[] = [];
  let resolveNext: ((o: Ended) => void) | undefined;
  const nextEnd = () => {
    const p = new Promise<Ended>((r) => (resolveNext = r));
    ended.push(p);
  };
  nextEnd();
  const server = await startAssessmentServer({
    ...loopbackServer(pki),
    imvs: imvs(),
    ...(opts.mutual ? { imcs: imcs('allow') } : {}),
    authenticate: (_z, user, pass) => user === 'carol' && pass === 'secret',
    ...(opts.maxVersion ? { maxVersion: opts.maxVersion } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
    onAssessment: ({ outcome, peer }) => {
      const r = resolveNext!;
      nextEnd();
      r({ outcome, peer });
    },
  });
  try {
    await fn(server, ended);
  } finally {
    await server.close();
  }
}

for (const [mutual, tls, auth] of [
  [false, 'TLSv1.3', 'sasl'],
  [true, 'TLSv1.3', 'cert'],
  [false, 'TLSv1.2', 'cert'],
  [true, 'TLSv1.2', 'sasl'],
] as const) {
  test(`${mutual ? 'mutual' : 'one-way'} over ${tls} with ${auth}: isolate is reported on both sides`, async () => {
    await withServer({ mutual, maxVersion: tls }, async (server, ended) => {
      const r = await ptTlsAssess({
        host: '127.0.0.1',
        port: server.port,
        ca: pki.ca,
        servername: pki.serverName,
        ...(auth === 'cert'
          ? { cert: pki.client.cert, key: pki.client.key }
          : { identity: { authcid: 'carol', password: 'secret' } }),
        imcs: imcs('isolate'),
        ...(mutual ? { imvs: imvs() } : {}),
      });
      assert.equal(r.session.tlsVersion, tls);
      assert.equal(r.outcome.assessedBy?.recommendation, Recommendation.QUARANTINED);
      assert.ok(r.outcome.assessedBy!.reasons.some((x) => x.reason.includes('isolate')));
      assert.equal(r.outcome.mutual, mutual);
      if (mutual) assert.equal(r.outcome.decision?.recommendation, Recommendation.ACCESS_ALLOWED);
      const e = await ended[0]!;
      assert.equal(e.peer?.method, auth === 'cert' ? 'certificate' : 'sasl-plain');
      const s = e.outcome;
      assert.equal(s?.decision?.recommendation, Recommendation.QUARANTINED);
      if (mutual) assert.equal(s?.assessedBy?.recommendation, Recommendation.ACCESS_ALLOWED);
    });
  });
}

test('a client that stalls after the TLS handshake is timed out by the server', async () => {
  await withServer({ limits: { idleTimeoutMs: 150 } }, async (server, ended) => {
    const sock = connect({ host: '127.0.0.1', port: server.port, ca: pki.ca, servername: pki.serverName });
    sock.on('error', () => undefined);
    await new Promise<void>((r) => sock.once('secureConnect', () => r()));
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    const t0 = Date.now();
    await closed;
    assert.ok(Date.now() - t0 < 5000);
    assert.equal((await ended[0])!.outcome, undefined, 'no PB-TNC outcome for a session that never authenticated');
    assert.equal(server.active, 0);
  });
});

test('concurrent sessions beyond the limit are refused; the others complete', async () => {
  await withServer({ limits: { maxSessions: 2, idleTimeoutMs: 2000 } }, async (server) => {
    const stall = [0, 1].map(() => {
      const s = connect({ host: '127.0.0.1', port: server.port, ca: pki.ca, servername: pki.serverName });
      s.on('error', () => undefined);
      return new Promise<typeof s>((r) => s.once('secureConnect', () => r(s)));
    });
    const held = await Promise.all(stall);
    await assert.rejects(
      ptTlsAssess({
        host: '127.0.0.1',
        port: server.port,
        ca: pki.ca,
        servername: pki.serverName,
        identity: { authcid: 'carol', password: 'secret' },
        imcs: imcs('allow'),
        limits: { handshakeTimeoutMs: 2000 },
      }),
    );
    for (const s of held) s.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const ok = await ptTlsAssess({
      host: '127.0.0.1',
      port: server.port,
      ca: pki.ca,
      servername: pki.serverName,
      identity: { authcid: 'carol', password: 'secret' },
      imcs: imcs('allow'),
    });
    assert.equal(ok.outcome.assessedBy?.recommendation, Recommendation.ACCESS_ALLOWED);
  });
});
