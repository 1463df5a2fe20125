/**
 * PB-TNC sessions (RFC 5793 §3): the answers to bad batches (always a CLOSE batch with a fatal PB-Error, sent with
 * our D flag, leaving the session at End) and the normal flow of a plain client/server pair.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Writer, subscribe } from '../../../../src/common/index.ts';
import {
  PbBatchType,
  PbErrorCode,
  PbState,
  PbTncSession,
  ActionRecommendation,
  Recommendation,
  decodeBatch,
  toPbRecommendation,
  encodeBatch,
} from '../../../../src/tnc/pb/index.ts';
import type { PbError, PbMessage } from '../../../../src/tnc/pb/index.ts';
import { TestImc, TestImv, commandMessage } from './test-handlers.ts';

const server = (maxBatchSize?: number) =>
  new PbTncSession({ role: 'server', server: new TestImv(), ...(maxBatchSize ? { maxBatchSize } : {}) });
const client = () => new PbTncSession({ role: 'client', client: new TestImc({ command: 'allow' }) });

function closeError(out: Uint8Array[], fromServer: boolean): PbError {
  assert.equal(out.length, 1);
  const d = decodeBatch(out[0]!);
  assert.equal(d.type, PbBatchType.CLOSE);
  assert.equal(d.fromServer, fromServer);
  const e = d.messages[0];
  assert.ok(e && e.kind === 'error' && e.fatal);
  return e;
}
function offsetOf(e: PbError): number | undefined {
  return e.info.format === 'offset' ? e.info.offset : undefined;
}
const cdata = (...messages: PbMessage[]) => encodeBatch({ type: PbBatchType.CDATA, fromServer: false, messages });

test('wrong version → CLOSE with "version not supported" (bad version, max 2, min 2)', async () => {
  const s = server();
  const bytes = cdata();
  bytes[0] = 3;
  const e = closeError(await s.receive(bytes), true);
  assert.equal(e.code, PbErrorCode.VERSION_NOT_SUPPORTED);
  assert.deepEqual(e.info, { format: 'version', badVersion: 3, maxVersion: 2, minVersion: 2 });
  assert.equal(s.state, PbState.END);
  assert.deepEqual(await s.receive(cdata()), [], 'nothing after End');
});

test('NOSKIP mismatch → CLOSE with invalid parameter at the message offset', async () => {
  const s = server();
  const bytes = cdata({ kind: 'language-preference', language: 'en' });
  const w = new Writer().bytes(bytes);
  const fixed = w.finish();
  fixed[8] = 0x80; // Language-Preference must not carry NOSKIP
  const e = closeError(await s.receive(fixed), true);
  assert.equal(e.code, PbErrorCode.INVALID_PARAMETER);
  assert.equal(offsetOf(e), 8);
});

test('unknown NOSKIP message → "unsupported mandatory message"; unknown without NOSKIP is ignored', async () => {
  const unknown = (noskip: boolean): PbMessage => ({
    kind: 'unknown',
    vendor: 0x1234,
    type: 5,
    noskip,
    value: new Uint8Array(3),
  });
  const pa = commandMessage('allow', { messageId: 1, noskip: false, exclusive: false, validatorId: 0xffff });
  const e = closeError(await server().receive(cdata(pa, unknown(true))), true);
  assert.equal(e.code, PbErrorCode.UNSUPPORTED_MANDATORY_MESSAGE);
  assert.equal(offsetOf(e), 8 + 12 + 12 + pa.body.byteLength);
  const out = await server().receive(cdata(unknown(false), pa));
  assert.equal(decodeBatch(out[0]!).type, PbBatchType.RESULT);
});

test('bad lengths → invalid parameter (batch length at 4, message length at +8)', async () => {
  const bytes = cdata({ kind: 'language-preference', language: 'en' });
  const short = bytes.slice(0, bytes.byteLength - 1);
  assert.equal(offsetOf(closeError(await server().receive(short), true)), 4);
  const w = new Writer().bytes(bytes).finish();
  w[19] = 0xff; // message length beyond the batch
  assert.equal(offsetOf(closeError(await server().receive(w), true)), 16);
});

test('out-of-state batch types → "unexpected batch type", CLOSE', async () => {
  const s = server();
  const e = closeError(
    await s.receive(encodeBatch({ type: PbBatchType.CRETRY, fromServer: false, messages: [] }).slice()),
    true,
  );
  // CRETRY in Init is not allowed for a server
  assert.equal(e.code, PbErrorCode.UNEXPECTED_BATCH_TYPE);
  assert.equal(s.state, PbState.END);
  // a server that has decided gets another CDATA
  const pa = commandMessage('allow', { messageId: 1, noskip: false, exclusive: false, validatorId: 0xffff });
  const d = server();
  assert.equal(decodeBatch((await d.receive(cdata(pa)))[0]!).type, PbBatchType.RESULT);
  assert.equal(closeError(await d.receive(cdata(pa)), true).code, PbErrorCode.UNEXPECTED_BATCH_TYPE);
  // a client in Init gets a RESULT before any SDATA
  const c = client();
  const e2 = closeError(
    await c.receive(encodeBatch({ type: PbBatchType.RESULT, fromServer: true, messages: [] })),
    false,
  );
  assert.equal(e2.code, PbErrorCode.UNEXPECTED_BATCH_TYPE);
  assert.equal(c.state, PbState.END);
});

test('a batch with the wrong D flag → invalid parameter at offset 1', async () => {
  const e = closeError(
    await server().receive(encodeBatch({ type: PbBatchType.CDATA, fromServer: true, messages: [] })),
    true,
  );
  assert.equal(e.code, PbErrorCode.INVALID_PARAMETER);
  assert.equal(offsetOf(e), 1);
  const c = client();
  await c.start();
  const e2 = closeError(
    await c.receive(encodeBatch({ type: PbBatchType.SDATA, fromServer: false, messages: [] })),
    false,
  );
  assert.equal(offsetOf(e2), 1);
});

test('a result message outside RESULT: a server refuses it, a client ignores it', async () => {
  const e = closeError(await server().receive(cdata({ kind: 'access-recommendation', recommendation: 1 })), true);
  assert.equal(offsetOf(e), 8);
  const c = client();
  await c.start();
  const out = await c.receive(
    encodeBatch({
      type: PbBatchType.SDATA,
      fromServer: true,
      messages: [{ kind: 'access-recommendation', recommendation: 1 }],
    }),
  );
  assert.equal(decodeBatch(out[0]!).type, PbBatchType.CDATA);
  assert.equal(c.result, undefined);
});

test('oversize batch → PB-Error local error; a batch we cannot fit → CLOSE with local error', async () => {
  const big = cdata({ kind: 'experimental', value: new Uint8Array(200) });
  const e = closeError(await server(100).receive(big), true);
  assert.equal(e.code, PbErrorCode.LOCAL_ERROR);
  const s = new PbTncSession({ role: 'client', maxBatchSize: 60, client: new TestImc({ command: 'x'.repeat(100) }) });
  const first = (await s.start())!;
  const d = decodeBatch(first);
  assert.equal(d.type, PbBatchType.CLOSE);
  assert.equal((d.messages[0] as PbError).code, PbErrorCode.LOCAL_ERROR);
});

test("the server records the client's language preference", async () => {
  const s = server();
  await s.receive(cdata({ kind: 'language-preference', language: 'de, en;q=0.5' }));
  assert.equal(s.peerLanguage, 'de, en;q=0.5');
});

test('plain client/server: empty CDATA makes the server solicit a recommendation', async () => {
  const s = new PbTncSession({ role: 'server', server: new TestImv() });
  const out = await s.receive(cdata());
  const d = decodeBatch(out[0]!);
  assert.equal(d.type, PbBatchType.RESULT);
  assert.deepEqual(
    d.messages.map((m) => m.kind),
    ['assessment-result', 'access-recommendation'],
  );
  assert.equal(s.decision?.recommendation, Recommendation.ACCESS_DENIED);
  assert.equal(s.state, PbState.DECIDED);
  assert.deepEqual(await s.receive(encodeBatch({ type: PbBatchType.CLOSE, fromServer: false, messages: [] })), []);
  assert.ok(s.done);
});

test('reason strings and remediation parameters reach the client', async () => {
  const imv = {
    beginHandshake: () => [],
    receive: () => ({
      reply: [],
      decided: {
        recommendation: Recommendation.QUARANTINED,
        assessment: 1 as const,
        reasons: [{ reason: 'old kernel', language: 'en' }],
        remediation: [{ form: 'uri' as const, uri: 'https://fix.example' }],
      },
    }),
    solicitRecommendation: () => ({ recommendation: Recommendation.ACCESS_DENIED, assessment: 4 as const }),
  };
  const s = new PbTncSession({ role: 'server', server: imv });
  const imc = new TestImc({ command: 'allow' });
  const c = new PbTncSession({ role: 'client', client: imc });
  const result = await s.receive((await c.start())!);
  const close = await c.receive(result[0]!);
  assert.equal(decodeBatch(close[0]!).type, PbBatchType.CLOSE);
  assert.deepEqual(imc.results[0], {
    recommendation: Recommendation.QUARANTINED,
    assessment: 1,
    reasons: [{ reason: 'old kernel', language: 'en' }],
    remediation: [{ form: 'uri', uri: 'https://fix.example' }],
  });
});

test('property: a server fed arbitrary bytes answers with at most one batch, a CLOSE+PB-Error when it fails', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 60 }), { maxLength: 4 }), async (inputs) => {
      const s = server();
      for (const b of inputs) {
        const out = await s.receive(b);
        assert.ok(out.length <= 1);
        if (s.sentError) {
          const d = decodeBatch(
            out[0] ?? encodeBatch({ type: PbBatchType.CLOSE, fromServer: true, messages: [s.sentError] }),
          );
          assert.equal(d.type, PbBatchType.CLOSE);
          break;
        }
      }
    }),
    { numRuns: 500 },
  );
});

test('IF-IMV action recommendations map onto the wire like strongSwan', async () => {
  assert.equal(toPbRecommendation(ActionRecommendation.ALLOW), Recommendation.ACCESS_ALLOWED);
  assert.equal(toPbRecommendation(ActionRecommendation.ISOLATE), Recommendation.QUARANTINED);
  assert.equal(toPbRecommendation(ActionRecommendation.NO_ACCESS), Recommendation.ACCESS_DENIED);
  assert.equal(toPbRecommendation(ActionRecommendation.NO_RECOMMENDATION), Recommendation.ACCESS_DENIED);
});

test('diagnostics: batches and the recommendation are published', async () => {
  const seen: string[] = [];
  const off1 = subscribe('tnc:batch', (m) => seen.push(`${m.dir}:${m.type}`));
  const off2 = subscribe('tnc:recommendation', (m) => seen.push(`rec:${m.connection}:${m.recommendation}`));
  try {
    const s = new PbTncSession({ role: 'server', server: new TestImv(), name: 'peer1' });
    await s.receive(cdata());
  } finally {
    off1();
    off2();
  }
  assert.deepEqual(seen, ['in:CDATA', 'rec:peer1:ACCESS_DENIED', 'out:RESULT']);
});
