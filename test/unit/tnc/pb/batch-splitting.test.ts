/**
 * PB-TNC batch splitting (RFC 5793 §3, as strongSwan's TNCCS 2.0 does it): messages that do not fit in one batch
 * (a small maxBatchSize here) go out over several, in order, and the half-duplex exchange carries on until both
 * sides have said everything; the server decides (or solicits a recommendation) only after the client's last
 * message arrived.
 *
 *   client                                               server
 *   CDATA [c0 c1]        (c2..c5 left)           ->
 *                                                <-      SDATA []          (server has nothing yet)
 *   CDATA [c2 c3] ...                            ->
 *                                                <-      SDATA [s0 s1]     (s2.. left)
 *   CDATA []                                     ->
 *                                                <-      SDATA [s2 s3] ... RESULT [s.., verdict]
 *   CLOSE                                        ->
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AssessmentResult,
  MutualPbTnc,
  PbBatchType,
  PbErrorCode,
  PbTncSession,
  Recommendation,
  decodeBatch,
  encodedMessageSize,
  maxPaMessageBody,
} from '../../../../src/tnc/pb/index.ts';
import type {
  PbPaMessage,
  TncClientHandler,
  TncDecision,
  TncResult,
  TncServerHandler,
  TncServerReply,
} from '../../../../src/tnc/pb/index.ts';

/** A PB-PA message of `size` body bytes whose body starts with its tag (the PB layer does not parse bodies). */
function tagged(tag: string, size: number): PbPaMessage {
  const body = new Uint8Array(size).fill(0x2e);
  body.set(new TextEncoder().encode(tag));
  return { kind: 'pa', exclusive: false, paVendor: 0x902a, paSubtype: 1, collectorId: 1, validatorId: 0xffff, body };
}
const tagOf = (m: PbPaMessage) => new TextDecoder().decode(m.body).replace(/\.+$/, '');
const tags = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** Client: sends `n` messages at the start; records everything it receives. */
class BulkClient implements TncClientHandler {
  readonly received: string[] = [];
  readonly results: TncResult[] = [];
  readonly n: number;
  readonly size: number;
  readonly prefix: string;
  constructor(n: number, size: number, prefix = 'c') {
    this.n = n;
    this.size = size;
    this.prefix = prefix;
  }
  beginHandshake(): PbPaMessage[] {
    return tags(this.prefix, this.n).map((t) => tagged(t, this.size));
  }
  receive(messages: PbPaMessage[]): PbPaMessage[] {
    this.received.push(...messages.map(tagOf));
    return [];
  }
  result(r: TncResult): void {
    this.results.push(r);
  }
}

/**
 * Server: answers the first client message with `m` messages of its own; decides in `receive` once all `expect`
 * client messages are in (mode 'decide'), or never (mode 'solicit': the decision comes when the client falls
 * silent). Records when it decided.
 */
class BulkServer implements TncServerHandler {
  readonly received: string[] = [];
  decidedAfter: number | undefined;
  #answered = false;
  readonly expect: number;
  readonly m: number;
  readonly size: number;
  readonly mode: 'decide' | 'solicit';
  readonly prefix: string;
  constructor(expect: number, m: number, size: number, mode: 'decide' | 'solicit', prefix = 's') {
    this.expect = expect;
    this.m = m;
    this.size = size;
    this.mode = mode;
    this.prefix = prefix;
  }
  beginHandshake(): PbPaMessage[] {
    return [];
  }
  receive(messages: PbPaMessage[]): TncServerReply {
    this.received.push(...messages.map(tagOf));
    const reply =
      !this.#answered && messages.length > 0 ? tags(this.prefix, this.m).map((t) => tagged(t, this.size)) : [];
    if (messages.length > 0) this.#answered = true;
    if (this.mode === 'decide' && this.received.length >= this.expect && this.decidedAfter === undefined) {
      this.decidedAfter = this.received.length;
      return { reply, decided: this.#decision() };
    }
    return { reply };
  }
  solicitRecommendation(): TncDecision {
    this.decidedAfter = this.received.length;
    return this.#decision();
  }
  #decision(): TncDecision {
    return {
      recommendation: Recommendation.QUARANTINED,
      assessment: AssessmentResult.NONCOMPLIANT_MINOR,
      reasons: [{ reason: `saw ${this.received.length}`, language: 'en' }],
    };
  }
}

interface Logged {
  type: number;
  fromServer: boolean;
  messages: number;
  bytes: number;
}

/** Drives a transport client against a transport server until neither has anything to send. */
/** Runs a client and a server session against each other from the client's first batch. */
async function driveSessions(client: PbTncSession, server: PbTncSession) {
  return drive(
    await client.start(),
    (b) => server.receive(b),
    (b) => client.receive(b),
  );
}

async function drive(
  first: Uint8Array | null,
  toServer: (b: Uint8Array) => Promise<Uint8Array[]>,
  toClient: (b: Uint8Array) => Promise<Uint8Array[]>,
  max = 400,
): Promise<Logged[]> {
  const log: Logged[] = [];
  let inFlight = first;
  let server = true;
  while (inFlight) {
    assert.ok(log.length < max, 'exchange did not finish');
    const d = decodeBatch(inFlight);
    log.push({ type: d.type, fromServer: d.fromServer, messages: d.messages.length, bytes: inFlight.byteLength });
    inFlight = (await (server ? toServer : toClient)(inFlight))[0] ?? null;
    server = !server;
  }
  return log;
}

const MAX = 1024;
const SIZE = 300; // three PB-PA messages (12 + 12 + 300 bytes each) per batch of 1024

for (const mode of ['decide', 'solicit'] as const) {
  test(`plain session, server ${mode}s: both sides' messages are split over batches and all arrive in order`, async () => {
    const imc = new BulkClient(10, SIZE);
    const imv = new BulkServer(10, 7, SIZE, mode);
    const client = new PbTncSession({ role: 'client', client: imc, maxBatchSize: MAX, languagePreference: 'en' });
    const server = new PbTncSession({ role: 'server', server: imv, maxBatchSize: MAX });
    const log = await driveSessions(client, server);
    assert.ok(client.done && server.done);
    assert.equal(client.sentError, undefined);
    assert.equal(server.sentError, undefined);
    assert.ok(log.every((l) => l.bytes <= MAX));
    assert.deepEqual(imv.received, tags('c', 10));
    assert.deepEqual(imc.received, tags('s', 7));
    // the verdict came only once the client had said everything
    assert.equal(imv.decidedAfter, 10);
    assert.equal(imc.results.length, 1);
    assert.equal(imc.results[0]!.recommendation, Recommendation.QUARANTINED);
    assert.deepEqual(imc.results[0]!.reasons, [{ reason: 'saw 10', language: 'en' }]);
    assert.ok(log.filter((l) => l.type === PbBatchType.CDATA && l.messages > 0).length >= 4);
    assert.ok(log.filter((l) => l.type === PbBatchType.SDATA && l.messages > 0).length >= 2);
    assert.deepEqual(
      log.slice(-2).map((l) => l.type),
      [PbBatchType.RESULT, PbBatchType.CLOSE],
    );
  });
}

test('the RESULT carries the last PA messages only when they fit beside the verdict; else SDATA goes first', async () => {
  // 3 server messages fill a batch: with the verdict they do not fit, so SDATA [s0 s1 s2], CDATA [], RESULT.
  const imc = new BulkClient(1, 10);
  const imv = new BulkServer(1, 3, SIZE, 'decide');
  const client = new PbTncSession({ role: 'client', client: imc, maxBatchSize: MAX });
  const server = new PbTncSession({ role: 'server', server: imv, maxBatchSize: MAX });
  const log = await driveSessions(client, server);
  assert.deepEqual(
    log.map((l) => [l.type, l.messages]),
    [
      [PbBatchType.CDATA, 1],
      [PbBatchType.SDATA, 3],
      [PbBatchType.CDATA, 0],
      [PbBatchType.RESULT, 3],
      [PbBatchType.CLOSE, 0],
    ],
  );
  assert.deepEqual(imc.received, tags('s', 3));
});

test('when everything fits, the exchange is unchanged: one batch per turn', async () => {
  const imc = new BulkClient(10, SIZE);
  const imv = new BulkServer(10, 7, SIZE, 'decide');
  const client = new PbTncSession({ role: 'client', client: imc });
  const server = new PbTncSession({ role: 'server', server: imv });
  const log = await driveSessions(client, server);
  assert.deepEqual(
    log.map((l) => [l.type, l.messages]),
    [
      [PbBatchType.CDATA, 10],
      [PbBatchType.RESULT, 7 + 3],
      [PbBatchType.CLOSE, 0],
    ],
  );
});

test('a single message larger than a batch closes the session with a local error', async () => {
  const imc = new BulkClient(2, 100);
  const client = new PbTncSession({ role: 'client', client: imc, maxBatchSize: MAX });
  const server = new PbTncSession({
    role: 'server',
    server: new BulkServer(2, 1, MAX, 'decide'), // its reply (MAX body bytes) cannot fit in any batch
    maxBatchSize: MAX,
  });
  const log = await driveSessions(client, server);
  assert.equal(log[1]!.type, PbBatchType.CLOSE);
  assert.equal(server.sentError?.code, PbErrorCode.LOCAL_ERROR);
  assert.ok(client.done && server.done);
  assert.deepEqual(
    client.peerErrors.map((e) => e.code),
    [PbErrorCode.LOCAL_ERROR],
  );
});

test('a message that fills a batch exactly (maxPaMessageBody) is sent, alone', async () => {
  const body = maxPaMessageBody(MAX);
  assert.equal(encodedMessageSize(tagged('x', body)) + 8, MAX);
  const imc = new BulkClient(3, body);
  const imv = new BulkServer(3, 0, 0, 'solicit');
  const client = new PbTncSession({ role: 'client', client: imc, maxBatchSize: MAX, offerMutual: false });
  const server = new PbTncSession({ role: 'server', server: imv, maxBatchSize: MAX });
  const log = await driveSessions(client, server);
  assert.deepEqual(imv.received, tags('c', 3));
  assert.deepEqual(
    log.filter((l) => l.type === PbBatchType.CDATA).map((l) => [l.messages, l.bytes]),
    [
      [1, MAX],
      [1, MAX],
      [1, MAX],
      [0, 8],
    ],
  );
});

test('a CRETRY whose new handshake does not fit sends the rest in CDATA', async () => {
  let handshakes = 0;
  const received: string[][] = [];
  const imc: TncClientHandler = {
    beginHandshake: () => tags(`h${++handshakes}-`, 5).map((t) => tagged(t, SIZE)),
    receive: () => [],
    result: () => (handshakes < 2 ? 'retry' : undefined),
  };
  const imv: TncServerHandler = {
    beginHandshake: () => {
      received.push([]);
      return [];
    },
    receive: (ms) => {
      received.at(-1)!.push(...ms.map(tagOf));
      return { reply: [] };
    },
    solicitRecommendation: () => ({ recommendation: Recommendation.ACCESS_ALLOWED, assessment: 0 }),
  };
  const client = new PbTncSession({ role: 'client', client: imc, maxBatchSize: MAX });
  const server = new PbTncSession({ role: 'server', server: imv, maxBatchSize: MAX });
  const log = await driveSessions(client, server);
  assert.ok(client.done && server.done);
  assert.deepEqual(received, [tags('h1-', 5), tags('h2-', 5)]);
  assert.ok(log.some((l) => l.type === PbBatchType.CRETRY && l.messages === 3));
});

for (const aMode of ['decide', 'solicit'] as const) {
  test(`mutual mode (A's verifier ${aMode}s): both TNC clients and both TNC servers split and finish`, async () => {
    // A (transport client) is assessed by B and assesses B; each side's collector sends 8 messages, each side's
    // verifier answers with 5.
    const aImc = new BulkClient(8, SIZE, 'ac');
    const aImv = new BulkServer(8, 5, SIZE, aMode, 'as');
    const bImc = new BulkClient(8, SIZE, 'bc');
    const bImv = new BulkServer(8, 5, SIZE, 'decide', 'bs');
    const a = new MutualPbTnc({ transport: 'client', client: aImc, server: aImv, maxBatchSize: MAX });
    const b = new MutualPbTnc({ transport: 'server', client: bImc, server: bImv, maxBatchSize: MAX });
    const log = await drive(
      await a.start(),
      (x) => b.receive(x),
      (x) => a.receive(x),
    );
    assert.ok(a.mutual && b.mutual);
    assert.ok(a.done && b.done, 'both sides finished');
    assert.ok(log.every((l) => l.bytes <= MAX));
    // B's verifier got all of A's collector's messages in order, and the other way round
    assert.deepEqual(bImv.received, tags('ac', 8));
    assert.deepEqual(aImv.received, tags('bc', 8));
    assert.deepEqual(aImc.received, tags('bs', 5));
    assert.deepEqual(bImc.received, tags('as', 5));
    assert.equal(bImv.decidedAfter, 8);
    assert.equal(aImv.decidedAfter, 8);
    assert.equal(a.clientResult?.recommendation, Recommendation.QUARANTINED);
    assert.equal(b.clientResult?.recommendation, Recommendation.QUARANTINED);
    assert.equal(a.clientSession?.sentError ?? a.serverSession?.sentError, undefined);
    assert.equal(b.clientSession?.sentError ?? b.serverSession?.sentError, undefined);
    assert.ok(log.filter((l) => !l.fromServer && l.type === PbBatchType.CDATA && l.messages > 0).length >= 6);
  });
}

test('property-like sweep: any message count and size within a batch arrives complete and in order', async () => {
  for (const n of [1, 2, 5, 13]) {
    for (const size of [8, 200, 480, maxPaMessageBody(MAX)]) {
      for (const m of [0, 1, 4]) {
        const imc = new BulkClient(n, size);
        const imv = new BulkServer(n, m, size, n % 2 ? 'solicit' : 'decide');
        const client = new PbTncSession({ role: 'client', client: imc, maxBatchSize: MAX, offerMutual: true });
        const server = new PbTncSession({ role: 'server', server: imv, maxBatchSize: MAX, acceptMutual: true });
        await driveSessions(client, server);
        const what = `n=${n} size=${size} m=${m}`;
        assert.ok(client.done && server.done, what);
        assert.deepEqual(imv.received, tags('c', n), what);
        assert.deepEqual(imc.received, tags('s', m), what);
        assert.equal(imv.decidedAfter, n, what);
      }
    }
  }
});
