/**
 * PT-TLS protocol logic (RFC 6876 §3.2 phases) in process, over the in-memory channel pair and scripted channels:
 * negotiation, SASL PLAIN and certificate authentication, opaque batch exchange, and every error path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex, utf8 } from '../../../../src/common/bytes.ts';
import { LimitError, StateError, VerifyError } from '../../../../src/common/errors.ts';
import {
  PtTlsError,
  PtTlsErrorCode,
  SaslResult,
  decodePtTlsMessage,
  encodePtTlsMessage,
  memoryChannelPair,
  runPtTlsClient,
  runPtTlsServer,
} from '../../../../src/tnc/pt-tls/index.ts';
import type { PtTlsChannel, PtTlsServerOptions, PtTlsValue } from '../../../../src/tnc/pt-tls/index.ts';
import { pingClient, pongServer, scriptedChannel } from './helpers.ts';

const CAROL = { authcid: 'carol', password: 'Ar3etTnp' };
const authenticate = (z: string, c: string, p: string) => z === '' && c === CAROL.authcid && p === CAROL.password;

/** Records every message written through a channel, decoded. */
function tap(ch: PtTlsChannel): { ch: PtTlsChannel; sent: ReturnType<typeof decodePtTlsMessage>[] } {
  const sent: ReturnType<typeof decodePtTlsMessage>[] = [];
  return {
    sent,
    ch: {
      read: () => ch.read(),
      write: (m) => {
        sent.push(decodePtTlsMessage(m));
        return ch.write(m);
      },
      close: () => ch.close(),
    },
  };
}

function serverOpts(over: Partial<PtTlsServerOptions> = {}, rounds = 3): PtTlsServerOptions {
  return { tlsClient: { verified: false }, authenticate, endpointFor: () => pongServer(rounds), ...over };
}

const kinds = (l: { value: PtTlsValue }[]) => l.map((m) => m.value.kind);
const msg = (id: number, v: PtTlsValue) => encodePtTlsMessage(id, v);
const VERSION_REQUEST = msg(0, { kind: 'VersionRequest', min: 1, max: 1, preferred: 1 });

test('SASL PLAIN session: negotiation, authentication, 5 rounds of opaque batches, clean close', async () => {
  const [c, s] = memoryChannelPair();
  const client = tap(c);
  const server = tap(s);
  let session: unknown;
  const pong = pongServer(5);
  const [cs, ss] = await Promise.all([
    runPtTlsClient(client.ch, { endpoint: pingClient(5), credentials: CAROL }),
    runPtTlsServer(server.ch, serverOpts({ endpointFor: (info) => ((session = info), pong) })),
  ]);
  assert.deepEqual(cs, {
    identity: { method: 'sasl-plain', authzid: '', authcid: 'carol' },
    batchesSent: 5,
    batchesReceived: 5,
  });
  assert.deepEqual(ss, {
    identity: { method: 'sasl-plain', authzid: '', authcid: 'carol' },
    batchesSent: 5,
    batchesReceived: 5,
  });
  assert.deepEqual(session, { identity: ss.identity, version: 1, transport: {} });
  assert.deepEqual(pong.received, ['ping 0', 'ping 1', 'ping 2', 'ping 3', 'ping 4']);
  // Wire flow, with identifiers increasing by one per sender from 0.
  assert.deepEqual(kinds(client.sent), ['VersionRequest', 'SaslMechanismSelection', ...Array(5).fill('PbTncBatch')]);
  assert.deepEqual(kinds(server.sent), [
    'VersionResponse',
    'SaslMechanisms',
    'SaslResult',
    'SaslMechanisms',
    ...Array(5).fill('PbTncBatch'),
  ]);
  for (const l of [client.sent, server.sent])
    assert.deepEqual(
      l.map((m) => m.header.identifier),
      [...l.keys()],
    );
  // Default SASL Result form: strongSwan's one octet.
  assert.equal(toHex(encodePtTlsMessage(2, server.sent[2]!.value)), '0000000000000006000000110000000200');
});

test('a verified client certificate skips SASL (empty mechanism list), even with credentials at hand', async () => {
  const [c, s] = memoryChannelPair();
  const server = tap(s);
  const [cs, ss] = await Promise.all([
    runPtTlsClient(c, { endpoint: pingClient(2), credentials: CAROL }),
    runPtTlsServer(server.ch, serverOpts({ tlsClient: { verified: true, subject: 'CN=carol' } }, 2)),
  ]);
  assert.deepEqual(ss.identity, { method: 'certificate', subject: 'CN=carol' });
  assert.deepEqual(cs.identity, { method: 'none' });
  assert.deepEqual(kinds(server.sent), ['VersionResponse', 'SaslMechanisms', 'PbTncBatch', 'PbTncBatch']);
  assert.deepEqual(server.sent[1]!.value, { kind: 'SaslMechanisms', mechanisms: [] });
});

test('clientAuth sasl asks for PLAIN despite a certificate; clientAuth tls refuses a client without one', async () => {
  {
    const [c, s] = memoryChannelPair();
    const [, ss] = await Promise.all([
      runPtTlsClient(c, { endpoint: pingClient(1), credentials: CAROL }),
      runPtTlsServer(s, serverOpts({ tlsClient: { verified: true, subject: 'CN=x' }, clientAuth: 'sasl' }, 1)),
    ]);
    assert.equal(ss.identity.method, 'sasl-plain');
  }
  {
    const [c, s] = memoryChannelPair();
    const [cr, sr] = await Promise.allSettled([
      runPtTlsClient(c, { endpoint: pingClient(1), credentials: CAROL }),
      runPtTlsServer(s, serverOpts({ clientAuth: 'tls' })),
    ]);
    assert.ok(
      sr.status === 'rejected' &&
        sr.reason instanceof PtTlsError &&
        sr.reason.wireCode === PtTlsErrorCode.SASL_MECHANISM_ERROR,
    );
    assert.ok(cr.status === 'rejected' && cr.reason instanceof PtTlsError && cr.reason.remote);
  }
});

test('wrong password: server answers SASL Result Abort and both sides fail with VerifyError', async () => {
  const [c, s] = memoryChannelPair();
  const server = tap(s);
  let endpointAsked = false;
  const [cr, sr] = await Promise.allSettled([
    runPtTlsClient(c, { endpoint: pingClient(1), credentials: { authcid: 'carol', password: 'wrong' } }),
    runPtTlsServer(server.ch, serverOpts({ endpointFor: () => ((endpointAsked = true), pongServer(1)) })),
  ]);
  assert.ok(
    cr.status === 'rejected' && cr.reason instanceof VerifyError,
    String(cr.status === 'rejected' && cr.reason),
  );
  assert.ok(sr.status === 'rejected' && sr.reason instanceof VerifyError);
  assert.equal(endpointAsked, false);
  assert.deepEqual(server.sent.at(-1)!.value, {
    kind: 'SaslResult',
    result: SaslResult.ABORT,
    data: new Uint8Array(0),
    form: 'octet',
  });
});

test('an authenticate callback that throws fails the session with a declared error, no batch exchanged', async () => {
  const [c, s] = memoryChannelPair();
  const [cr, sr] = await Promise.allSettled([
    runPtTlsClient(c, { endpoint: pingClient(1), credentials: CAROL }),
    runPtTlsServer(
      s,
      serverOpts({
        authenticate: () => {
          throw new TypeError('database down');
        },
      }),
    ),
  ]);
  assert.ok(sr.status === 'rejected' && sr.reason instanceof StateError && sr.reason.cause instanceof TypeError);
  assert.ok(cr.status === 'rejected' && cr.reason instanceof StateError);
});

test('version mismatch: a client offering 2..2 gets PT-TLS Error Version Not Supported', async () => {
  const [c, s] = memoryChannelPair();
  const server = tap(s);
  const [cr, sr] = await Promise.allSettled([
    runPtTlsClient(c, { endpoint: pingClient(1), versions: { min: 2, max: 2, preferred: 2 } }),
    runPtTlsServer(server.ch, serverOpts()),
  ]);
  assert.ok(sr.status === 'rejected' && sr.reason instanceof PtTlsError && !sr.reason.remote);
  assert.ok(cr.status === 'rejected' && cr.reason instanceof PtTlsError && cr.reason.remote);
  assert.equal(cr.reason.wireCode, PtTlsErrorCode.VERSION_NOT_SUPPORTED);
  const err = server.sent[0]!.value;
  assert.ok(err.kind === 'PtTlsError');
  assert.equal(err.code, PtTlsErrorCode.VERSION_NOT_SUPPORTED);
  assert.equal(toHex(err.original), '0000000000000001000000140000000000020202');
});

test('malformed message: PT-TLS Error Malformed Message with the copy, then close', async () => {
  const bad = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x13, 0, 0, 0, 0, 0, 1, 1]);
  const { ch, written, closed } = scriptedChannel([bad]);
  await assert.rejects(runPtTlsServer(ch, serverOpts()), (e: unknown) => e instanceof PtTlsError && e.wireCode === 1);
  assert.equal(written.length, 1);
  assert.deepEqual(decodePtTlsMessage(written[0]!).value, { kind: 'PtTlsError', vendor: 0, code: 1, original: bad });
  assert.ok(closed());
});

test('out-of-order types are Invalid Message: a batch before negotiation, a Version Request in data transport', async () => {
  const batch = msg(0, { kind: 'PbTncBatch', batch: utf8('ping 0') });
  {
    const { ch, written } = scriptedChannel([batch]);
    await assert.rejects(runPtTlsServer(ch, serverOpts()), (e: unknown) => e instanceof PtTlsError && e.wireCode === 4);
    assert.deepEqual(decodePtTlsMessage(written[0]!).value, {
      kind: 'PtTlsError',
      vendor: 0,
      code: 4,
      original: batch,
    });
  }
  {
    const { ch, written, closed } = scriptedChannel([VERSION_REQUEST, batch, VERSION_REQUEST]);
    await assert.rejects(
      runPtTlsServer(ch, serverOpts({ clientAuth: 'none' })),
      (e: unknown) => e instanceof PtTlsError && e.wireCode === PtTlsErrorCode.INVALID_MESSAGE,
    );
    assert.deepEqual(kinds(written.map(decodePtTlsMessage)), [
      'VersionResponse',
      'SaslMechanisms',
      'PbTncBatch',
      'PtTlsError',
    ]);
    assert.ok(closed());
  }
});

test('unknown message types are answered with Type Not Supported and skipped; that error is not fatal', async () => {
  const unknown = msg(1, { kind: 'Unknown', vendor: 0x902a, type: 1, value: utf8('hi') });
  const { ch, written } = scriptedChannel([
    VERSION_REQUEST,
    unknown,
    msg(2, { kind: 'PtTlsError', vendor: 0, code: PtTlsErrorCode.TYPE_NOT_SUPPORTED, original: new Uint8Array(0) }),
    msg(3, { kind: 'PbTncBatch', batch: utf8('ping 0') }),
  ]);
  const summary = await runPtTlsServer(ch, serverOpts({ clientAuth: 'none' }, 1));
  assert.equal(summary.batchesReceived, 1);
  const out = written.map(decodePtTlsMessage);
  assert.deepEqual(kinds(out), ['VersionResponse', 'SaslMechanisms', 'PtTlsError', 'PbTncBatch']);
  assert.deepEqual(out[2]!.value, {
    kind: 'PtTlsError',
    vendor: 0,
    code: PtTlsErrorCode.TYPE_NOT_SUPPORTED,
    original: unknown,
  });
});

test('SASL PLAIN without initial data: the server sends an empty challenge and takes the answer', async () => {
  const { ch, written } = scriptedChannel([
    VERSION_REQUEST,
    msg(1, { kind: 'SaslMechanismSelection', mechanism: 'PLAIN', initialData: new Uint8Array(0) }),
    msg(2, { kind: 'SaslAuthenticationData', data: utf8('\0carol\0Ar3etTnp') }),
    msg(3, { kind: 'PbTncBatch', batch: utf8('ping 0') }),
  ]);
  const summary = await runPtTlsServer(ch, serverOpts({}, 1));
  assert.equal(summary.identity.method, 'sasl-plain');
  assert.deepEqual(kinds(written.map(decodePtTlsMessage)), [
    'VersionResponse',
    'SaslMechanisms',
    'SaslAuthenticationData',
    'SaslResult',
    'SaslMechanisms',
    'PbTncBatch',
  ]);
});

test('a mechanism that was not offered, or a malformed PLAIN message, fails authentication', async () => {
  {
    const { ch, written } = scriptedChannel([
      VERSION_REQUEST,
      msg(1, { kind: 'SaslMechanismSelection', mechanism: 'SCRAM-SHA-256', initialData: new Uint8Array(0) }),
    ]);
    await assert.rejects(runPtTlsServer(ch, serverOpts()), (e: unknown) => e instanceof PtTlsError && e.wireCode === 5);
    assert.equal(decodePtTlsMessage(written.at(-1)!).value.kind, 'PtTlsError');
  }
  for (const plain of ['carol\0Ar3etTnp', '\0carol\0', '\0\0Ar3etTnp', 'a\0carol\0Ar3etTnp\0x']) {
    const { ch, written } = scriptedChannel([
      VERSION_REQUEST,
      msg(1, { kind: 'SaslMechanismSelection', mechanism: 'PLAIN', initialData: utf8(plain) }),
    ]);
    await assert.rejects(runPtTlsServer(ch, serverOpts({ authenticate: () => true })), VerifyError);
    const last = decodePtTlsMessage(written.at(-1)!).value;
    assert.ok(last.kind === 'SaslResult' && last.result === SaslResult.ABORT, JSON.stringify(plain));
  }
});

test('a client without credentials answers a PLAIN offer with SASL Mechanism Error', async () => {
  const [c, s] = memoryChannelPair();
  const client = tap(c);
  const [cr, sr] = await Promise.allSettled([
    runPtTlsClient(client.ch, { endpoint: pingClient(1) }),
    runPtTlsServer(s, serverOpts()),
  ]);
  assert.ok(
    cr.status === 'rejected' && cr.reason instanceof PtTlsError && cr.reason.wireCode === 5 && !cr.reason.remote,
  );
  assert.ok(sr.status === 'rejected' && sr.reason instanceof PtTlsError && sr.reason.remote);
  assert.deepEqual(kinds(client.sent), ['VersionRequest', 'PtTlsError']);
});

test('max batches per session is enforced', async () => {
  const [c, s] = memoryChannelPair();
  const [cr, sr] = await Promise.allSettled([
    runPtTlsClient(c, { endpoint: pingClient(10), credentials: CAROL }),
    runPtTlsServer(s, serverOpts({ maxBatches: 5 }, 10)),
  ]);
  assert.ok(sr.status === 'rejected' && sr.reason instanceof LimitError, String(sr.status === 'rejected' && sr.reason));
  assert.ok(cr.status === 'rejected' && cr.reason instanceof StateError);
});

test('a peer that closes before the PB-TNC exchange is done is an error, not a success', async () => {
  const { ch } = scriptedChannel([VERSION_REQUEST, msg(1, { kind: 'PbTncBatch', batch: utf8('ping 0') })]);
  await assert.rejects(runPtTlsServer(ch, serverOpts({ clientAuth: 'none' }, 3)), StateError);
  const early = scriptedChannel([]);
  await assert.rejects(runPtTlsServer(early.ch, serverOpts()), StateError);
  assert.equal(early.written.length, 0);
});

test('oversize messages over the in-memory pair: Invalid Parameter error, then close', async () => {
  const [c, s] = memoryChannelPair({ maxMessageSize: 64 });
  const server = tap(s);
  const big = {
    first: () => new Uint8Array(100),
    receive: () => [],
    done: () => false,
  };
  const [cr, sr] = await Promise.allSettled([
    runPtTlsClient(c, { endpoint: big, credentials: CAROL }),
    runPtTlsServer(server.ch, serverOpts()),
  ]);
  assert.ok(sr.status === 'rejected' && sr.reason instanceof LimitError);
  assert.ok(
    cr.status === 'rejected' &&
      cr.reason instanceof PtTlsError &&
      cr.reason.wireCode === PtTlsErrorCode.INVALID_PARAMETER,
  );
  const err = server.sent.at(-1)!.value;
  assert.ok(err.kind === 'PtTlsError' && err.original.byteLength === 16);
});

test('a flood of unknown message types hits a limit instead of keeping the session busy', async () => {
  const unknown = (i: number) => msg(i, { kind: 'Unknown', vendor: 0x902a, type: 1, value: new Uint8Array(0) });
  const { ch, written, closed } = scriptedChannel([
    VERSION_REQUEST,
    ...Array.from({ length: 17 }, (_, i) => unknown(i + 1)),
  ]);
  await assert.rejects(runPtTlsServer(ch, serverOpts({ clientAuth: 'none' })), LimitError);
  assert.equal(written.length, 2 + 16);
  assert.ok(closed());
});
