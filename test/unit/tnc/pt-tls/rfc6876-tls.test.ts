/**
 * PT-TLS over real TLS on 127.0.0.1 (ephemeral ports): TLS 1.2 and 1.3 sessions with SASL PLAIN and with client
 * certificates, error answers seen by a raw TLS client, and the server's limits (handshake and idle timeouts,
 * concurrent sessions, message size).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { fromHex, toHex } from '../../../../src/common/bytes.ts';
import { StateError, TimeoutError, VerifyError } from '../../../../src/common/errors.ts';
import {
  PtTlsError,
  PtTlsErrorCode,
  PtTlsFramer,
  decodePtTlsMessage,
  encodePtTlsMessage,
  ptTlsConnect,
  startPtTlsServer,
} from '../../../../src/tnc/pt-tls/index.ts';
import type {
  PtTlsClientConfig,
  PtTlsServer,
  PtTlsServerConfig,
  PtTlsSessionOutcome,
  TlsVersionName,
} from '../../../../src/tnc/pt-tls/index.ts';
import { loopbackServer, makeTestPki } from './certs.ts';
import { pingClient, pongServer } from './helpers.ts';

const pki = await makeTestPki();
const CAROL = { authcid: 'carol', password: 'Ar3etTnp' };

interface Harness {
  server: PtTlsServer;
  outcomes: PtTlsSessionOutcome[];
  nextOutcome(): Promise<PtTlsSessionOutcome>;
  client(over?: Partial<PtTlsClientConfig>): ReturnType<typeof ptTlsConnect>;
}

async function withServer(
  over: Partial<PtTlsServerConfig>,
  fn: (h: Harness) => Promise<void>,
  rounds = 3,
): Promise<void> {
  const outcomes: PtTlsSessionOutcome[] = [];
  const waiters: ((o: PtTlsSessionOutcome) => void)[] = [];
  let seen = 0;
  const server = await startPtTlsServer({
    ...loopbackServer(pki),
    authenticate: (z, c, p) => c === CAROL.authcid && p === CAROL.password,
    endpointFor: () => pongServer(rounds),
    limits: { handshakeTimeoutMs: 2000, idleTimeoutMs: 2000, lingerMs: 500 },
    onSessionEnd: (o) => {
      outcomes.push(o);
      waiters.shift()?.(o);
    },
    ...over,
  });
  const h: Harness = {
    server,
    outcomes,
    nextOutcome: () => {
      const i = seen++;
      if (outcomes[i]) return Promise.resolve(outcomes[i]);
      return new Promise((r) => waiters.push(r));
    },
    client: (c = {}) =>
      ptTlsConnect({
        host: '127.0.0.1',
        port: server.port,
        ca: pki.ca,
        servername: pki.serverName,
        endpoint: pingClient(rounds),
        ...c,
      }),
  };
  try {
    await fn(h);
  } finally {
    await server.close();
  }
}

/** A raw TLS client: sends `send` after the handshake and collects the PT-TLS messages until the server closes. */
async function rawClient(
  port: number,
  send: Uint8Array[],
  opts: { maxVersion?: TlsVersionName } = {},
): Promise<{ sock: TLSSocket; closed: Promise<{ messages: Uint8Array[]; ms: number }> }> {
  const sock = tlsConnect({
    host: '127.0.0.1',
    port,
    ca: pki.ca,
    servername: pki.serverName,
    maxVersion: opts.maxVersion,
  });
  sock.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    sock.once('secureConnect', resolve);
    sock.once('error', reject);
    sock.once('close', () => reject(new Error('closed during the handshake')));
  });
  const start = Date.now();
  const framer = new PtTlsFramer();
  const messages: Uint8Array[] = [];
  sock.on('data', (d: Buffer) => messages.push(...framer.push(d)));
  const closed = new Promise<{ messages: Uint8Array[]; ms: number }>((resolve) =>
    sock.once('close', () => resolve({ messages, ms: Date.now() - start })),
  );
  for (const m of send) sock.write(m);
  return { sock, closed };
}

for (const tls of ['TLSv1.2', 'TLSv1.3'] as const) {
  test(`${tls}: SASL PLAIN session exchanges 3 rounds of opaque batches and closes cleanly`, async () => {
    await withServer({ minVersion: tls, maxVersion: tls }, async (h) => {
      const r = await h.client({ identity: CAROL });
      assert.equal(r.tlsVersion, tls);
      assert.deepEqual(r.identity, { method: 'sasl-plain', authzid: '', authcid: 'carol' });
      assert.equal(r.batchesSent, 3);
      assert.equal(r.batchesReceived, 3);
      const o = await h.nextOutcome();
      assert.ok(o.ok, o.ok ? '' : o.error.message);
      assert.deepEqual(o.summary.identity, { method: 'sasl-plain', authzid: '', authcid: 'carol' });
      assert.equal(o.summary.batchesReceived, 3);
    });
  });

  test(`${tls}: a client certificate from the trusted CA authenticates without SASL`, async () => {
    let transport: Record<string, unknown> = {};
    await withServer(
      {
        minVersion: tls,
        maxVersion: tls,
        endpointFor: (s) => ((transport = s.transport), pongServer(2)),
      },
      async (h) => {
        const r = await h.client({ cert: pki.client.cert, key: pki.client.key, endpoint: pingClient(2) });
        assert.equal(r.identity.method, 'none');
        const o = await h.nextOutcome();
        assert.ok(o.ok && o.summary.identity.method === 'certificate');
        assert.match(o.summary.identity.subject, /CN=carol/);
        assert.equal(transport.tlsVersion, tls);
        assert.equal(transport.clientCertificateVerified, true);
      },
    );
  });

  test(`${tls}: wrong password fails on both sides`, async () => {
    await withServer({ minVersion: tls, maxVersion: tls }, async (h) => {
      await assert.rejects(h.client({ identity: { authcid: 'carol', password: 'guess' } }), VerifyError);
      const o = await h.nextOutcome();
      assert.ok(!o.ok && o.error instanceof VerifyError);
    });
  });
}

test('a certificate from an unknown CA is not authentication: SASL still runs, and without credentials fails', async () => {
  await withServer({}, async (h) => {
    const r = await h.client({ cert: pki.stranger.cert, key: pki.stranger.key, identity: CAROL });
    assert.equal(r.identity.method, 'sasl-plain');
    const o = await h.nextOutcome();
    assert.ok(o.ok && o.summary.identity.method === 'sasl-plain');
    await assert.rejects(
      h.client({ cert: pki.stranger.cert, key: pki.stranger.key }),
      (e: unknown) => e instanceof PtTlsError && e.wireCode === PtTlsErrorCode.SASL_MECHANISM_ERROR,
    );
  });
});

test('the client refuses a server whose certificate does not name the server', async () => {
  await withServer({}, async (h) => {
    await assert.rejects(h.client({ identity: CAROL, servername: 'other.attestd.test' }), StateError);
  });
});

test('version mismatch over TLS: client offering 2..2 gets Version Not Supported', async () => {
  await withServer({}, async (h) => {
    await assert.rejects(
      h.client({ identity: CAROL, versions: { min: 2, max: 2, preferred: 2 } }),
      (e: unknown) => e instanceof PtTlsError && e.remote && e.wireCode === PtTlsErrorCode.VERSION_NOT_SUPPORTED,
    );
    const o = await h.nextOutcome();
    assert.ok(!o.ok && o.error instanceof PtTlsError && o.error.wireCode === PtTlsErrorCode.VERSION_NOT_SUPPORTED);
  });
});

test('malformed message over TLS: PT-TLS Error Malformed Message with the copy, then the server closes', async () => {
  await withServer({}, async (h) => {
    const bad = fromHex('00000000000000010000001300000000000101');
    const { closed } = await rawClient(h.server.port, [bad]);
    const { messages } = await closed;
    assert.equal(messages.length, 1);
    assert.deepEqual(decodePtTlsMessage(messages[0]!).value, { kind: 'PtTlsError', vendor: 0, code: 1, original: bad });
    const o = await h.nextOutcome();
    assert.ok(!o.ok && o.error instanceof PtTlsError && o.error.wireCode === PtTlsErrorCode.MALFORMED_MESSAGE);
  });
});

test('oversize message over TLS: refused from its header with Invalid Parameter, then close', async () => {
  await withServer({ limits: { maxMessageSize: 4096, idleTimeoutMs: 2000 } }, async (h) => {
    const header = fromHex('00000000000000070010000000000000');
    const { closed } = await rawClient(h.server.port, [
      encodePtTlsMessage(0, { kind: 'VersionRequest', min: 1, max: 1, preferred: 1 }),
      header,
    ]);
    const { messages } = await closed;
    const kinds = messages.map((m) => decodePtTlsMessage(m).value);
    assert.deepEqual(
      kinds.map((v) => v.kind),
      ['VersionResponse', 'SaslMechanisms', 'PtTlsError'],
    );
    const err = kinds[2]!;
    assert.ok(err.kind === 'PtTlsError' && err.code === PtTlsErrorCode.INVALID_PARAMETER);
    assert.equal(toHex(err.original), toHex(header));
  });
});

test('a client that stalls is timed out: before the TLS handshake, and after it', async () => {
  await withServer({ limits: { handshakeTimeoutMs: 300, idleTimeoutMs: 300 } }, async (h) => {
    // TCP only, never a ClientHello.
    const tcp = netConnect(h.server.port, '127.0.0.1');
    tcp.on('error', () => undefined);
    const start = Date.now();
    await new Promise<void>((r) => tcp.once('close', () => r()));
    const ms = Date.now() - start;
    assert.ok(ms >= 250 && ms < 3000, `closed after ${ms} ms`);
    // TLS done, no PT-TLS message.
    const { closed } = await rawClient(h.server.port, []);
    const r = await closed;
    assert.equal(r.messages.length, 0);
    assert.ok(r.ms >= 250 && r.ms < 3000, `closed after ${r.ms} ms`);
    const o = await h.nextOutcome();
    assert.ok(!o.ok && o.error instanceof TimeoutError, o.ok ? '' : o.error.message);
  });
});

test('concurrent session limit: connections beyond it are dropped; capacity returns when sessions end', async () => {
  await withServer({ limits: { maxSessions: 2, idleTimeoutMs: 5000 } }, async (h) => {
    const a = await rawClient(h.server.port, []);
    const b = await rawClient(h.server.port, []);
    await assert.rejects(rawClient(h.server.port, []));
    assert.equal(h.server.connections, 2);
    a.sock.destroy();
    b.sock.destroy();
    await Promise.all([a.closed, b.closed, h.nextOutcome(), h.nextOutcome()]);
    const r = await h.client({ identity: CAROL });
    assert.equal(r.batchesReceived, 3);
  });
});

test('ptTlsConnect fails cleanly when nothing listens', async () => {
  let port = 0;
  await withServer({}, async (h) => {
    port = h.server.port;
  });
  await assert.rejects(
    ptTlsConnect({ host: '127.0.0.1', port, ca: pki.ca, servername: pki.serverName, endpoint: pingClient(1) }),
    StateError,
  );
});
