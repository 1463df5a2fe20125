/**
 * The IMC/IMV hosts split a module's message whose attributes do not fit in one PB-TNC batch into several PA-TNC
 * messages of the same vendor, subtype and addressing, each fitting, the attributes in order; PB-TNC then carries
 * them over successive batches and the receiving module gets them one message at a time.
 *
 *   IMC: one OutgoingPa [d0 … d199]       → PB-PA [d0 … d16] (id 1), PB-PA [d17 … d33] (id 2), …
 *   IMV: receives each, decides when d199 has arrived
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../../src/common/index.ts';
import { createTncClient, createTncServer, noRecommendation } from '../../../../src/tnc/imc-imv/index.ts';
import type {
  ConnectionContext,
  ImcModule,
  ImvModule,
  IncomingPa,
  OutgoingPa,
} from '../../../../src/tnc/imc-imv/index.ts';
import { ItaPaSubtype, Pen, receivePaMessage } from '../../../../src/tnc/pa/index.ts';
import type { ItaDummy, PaAttribute } from '../../../../src/tnc/pa/index.ts';
import {
  ActionRecommendation,
  AssessmentResult,
  MaxBatchSize,
  MutualPbTnc,
  PB_PA_ID_ANY,
  Recommendation,
  maxPaMessageBody,
} from '../../../../src/tnc/pb/index.ts';
import type { PbPaMessage } from '../../../../src/tnc/pb/index.ts';

const ctx = (id: string): ConnectionContext => ({
  id,
  peer: { method: 'none' },
  transport: 'in-process',
  log: silentLogger,
});
const TYPE = { vendor: Pen.ITA, subtype: ItaPaSubtype.TEST };

/** Dummy attribute `i` of `size` bytes: its first two bytes carry i. */
function dummy(i: number, size: number): ItaDummy {
  const data = new Uint8Array(size).fill(0xdd);
  data[0] = i >> 8;
  data[1] = i & 0xff;
  return { kind: 'ita/dummy', noskip: false, data };
}
const indexOf = (a: PaAttribute) => ((a as ItaDummy).data[0]! << 8) | (a as ItaDummy).data[1]!;

function counter(): () => number {
  let n = 0;
  return () => ++n;
}

/** A collector that sends `n` dummies of `size` bytes in one message at the start of a handshake. */
function bulkImc(n: number, size: number): ImcModule {
  return {
    name: 'bulk',
    subscriptions: [TYPE],
    connect: () => ({
      beginHandshake: (): OutgoingPa[] => [
        { ...TYPE, attributes: Array.from({ length: n }, (_, i) => dummy(i, size)) },
      ],
      receive: (): OutgoingPa[] => [],
    }),
  };
}

/** A verifier that collects dummies over messages and allows once all `n` are in, in order. */
function collectingImv(n: number, seen: number[][]): ImvModule {
  return {
    name: 'collect',
    subscriptions: [TYPE],
    connect: () => {
      const got: number[] = [];
      seen.push(got);
      return {
        beginHandshake: () => [],
        receive: (msg: IncomingPa) => {
          got.push(...msg.attributes.map(indexOf));
          if (got.length < n) return { reply: [] };
          const inOrder = got.every((x, i) => x === i);
          return {
            reply: [],
            verdict: {
              recommendation: inOrder ? ActionRecommendation.ALLOW : ActionRecommendation.NO_ACCESS,
              evaluation: inOrder ? AssessmentResult.COMPLIANT : AssessmentResult.ERROR,
              reasons: inOrder ? [] : ['out of order'],
            },
          };
        },
        solicitRecommendation: () => noRecommendation('incomplete'),
      };
    },
  };
}

function decodeAll(messages: PbPaMessage[]): { id: number; attrs: PaAttribute[] }[] {
  return messages.map((m) => {
    const r = receivePaMessage(m.body);
    assert.ok(r.ok);
    return { id: r.message.messageId, attrs: r.message.attributes };
  });
}

test('a message larger than a batch is split into fitting messages with the same type and ids, attributes in order', async () => {
  const maxBatchSize = 2048;
  const ids = counter();
  const client = createTncClient({ imcs: [bulkImc(200, 100)], context: ctx('a'), maxBatchSize, messageIds: ids });
  const out = await client.beginHandshake();
  assert.ok(out.length > 1);
  const max = maxPaMessageBody(maxBatchSize);
  for (const m of out) {
    assert.ok(m.body.byteLength <= max, `${m.body.byteLength} <= ${max}`);
    assert.deepEqual(
      [m.paVendor, m.paSubtype, m.collectorId, m.validatorId, m.exclusive],
      [TYPE.vendor, TYPE.subtype, 1, PB_PA_ID_ANY, false],
    );
  }
  const decoded = decodeAll(out);
  assert.deepEqual(
    decoded.flatMap((d) => d.attrs.map(indexOf)),
    Array.from({ length: 200 }, (_, i) => i),
  );
  // each message is as full as it goes: the next one's first attribute would not have fit
  for (let i = 0; i + 1 < out.length; i++) assert.ok(out[i]!.body.byteLength + 12 + 100 > max);
  // one id per message sent, all distinct
  assert.deepEqual(
    decoded.map((d) => d.id),
    Array.from({ length: out.length }, (_, i) => i + 1),
  );
});

test('a message that fits is one PA message and draws one message id (unchanged behaviour)', async () => {
  const ids = counter();
  const client = createTncClient({ imcs: [bulkImc(200, 100)], context: ctx('a'), messageIds: ids });
  const out = await client.beginHandshake(); // default limit: PT-EAP batches; 200 × 112 bytes fit
  assert.equal(out.length, 1);
  assert.equal(ids(), 2);
  assert.equal(maxPaMessageBody(MaxBatchSize.PT_EAP), MaxBatchSize.PT_EAP - 32);
});

test('addressing is kept on every part of an exclusive reply; an attribute alone over the limit gets its own message', async () => {
  const maxBatchSize = 1024;
  const server = createTncServer({
    imvs: [
      {
        name: 'v',
        subscriptions: [TYPE],
        connect: () => ({
          beginHandshake: () => [],
          receive: (msg: IncomingPa) => ({
            reply: [{ ...TYPE, to: msg.sourceId, attributes: [dummy(0, 300), dummy(1, 2000), dummy(2, 300)] }],
          }),
          solicitRecommendation: () => noRecommendation(),
        }),
      },
    ],
    context: ctx('b'),
    maxBatchSize,
  });
  const client = createTncClient({ imcs: [bulkImc(1, 10)], context: ctx('a'), maxBatchSize });
  const r = await server.receive(await client.beginHandshake());
  assert.equal(r.reply.length, 3);
  for (const m of r.reply) {
    assert.deepEqual([m.exclusive, m.collectorId, m.validatorId], [true, 1, 1]);
  }
  assert.deepEqual(
    decodeAll(r.reply).map((d) => d.attrs.map(indexOf)),
    [[0], [1], [2]],
  );
});

for (const mutual of [false, true]) {
  test(`in process over PB-TNC with small batches (${mutual ? 'mutual' : 'one-way'}): the verifier gets every attribute and allows`, async () => {
    const maxBatchSize = 4096;
    const seen: number[][] = [];
    const host = (transport: 'client' | 'server', id: string) => {
      const both = mutual || transport === 'client';
      const client = both ? createTncClient({ imcs: [bulkImc(300, 150)], context: ctx(id), maxBatchSize }) : undefined;
      const hasServer = mutual || transport === 'server';
      const server = hasServer
        ? createTncServer({ imvs: [collectingImv(300, seen)], context: ctx(id), maxBatchSize })
        : undefined;
      return new MutualPbTnc({
        transport,
        mutual,
        ...(client ? { client } : {}),
        ...(server ? { server } : {}),
        maxBatchSize,
      });
    };
    const a = host('client', 'a');
    const b = host('server', 'b');
    let inFlight = await a.start();
    let toB = true;
    let batches = 0;
    while (inFlight) {
      assert.ok(++batches < 200, 'exchange finishes');
      assert.ok(inFlight.byteLength <= maxBatchSize);
      inFlight = (await (toB ? b : a).receive(inFlight))[0] ?? null;
      toB = !toB;
    }
    assert.ok(a.done && b.done);
    assert.ok(batches > 20, `split over many batches (${batches})`);
    assert.equal(a.clientResult?.recommendation, Recommendation.ACCESS_ALLOWED);
    if (mutual) assert.equal(b.clientResult?.recommendation, Recommendation.ACCESS_ALLOWED);
    assert.equal(seen.length, mutual ? 2 : 1);
    for (const got of seen)
      assert.deepEqual(
        got,
        Array.from({ length: 300 }, (_, i) => i),
      );
  });
}
