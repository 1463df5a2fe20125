/**
 * Replays the strongSwan 6.0.6 PT-TLS traces (./vectors) against our protocol logic, both ways:
 * - our server fed strongSwan's messages answers with exactly the bytes strongSwan accepted (identifiers starting at
 *   0x100 like the captured peer, SASL Result in the RFC form that peer used);
 * - our client fed the peer's answers sends exactly the bytes strongSwan's pt-tls-client sent.
 * PB-TNC batches stay opaque: the endpoints replay the captured batches and check what they receive.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../../../src/common/bytes.ts';
import { encodePtTlsMessage, runPtTlsClient, runPtTlsServer } from '../../../../src/tnc/pt-tls/index.ts';
import type { BatchEndpoint } from '../../../../src/tnc/pt-tls/index.ts';
import { scriptedChannel } from './helpers.ts';
import { TRACE_FILES, readTrace } from './traces.ts';
import type { TraceEvent } from './traces.ts';

const PEER_FIRST_ID = 0x100;
const CAROL = { authcid: 'carol', password: 'Ar3etTnp' };

/** The peer's answers as whole PT-TLS messages, identifiers continuing from 0x100. */
function peerMessages(events: TraceEvent[]): Uint8Array[] {
  return events
    .filter((e) => e.from === 'peer')
    .map((e, i) =>
      'raw' in e ? e.raw : encodePtTlsMessage(PEER_FIRST_ID + i, { kind: 'PbTncBatch', batch: e.batch }),
    );
}

/** Groups: for each batch sent by `sender`, the batches the other side sent right after it. */
function batchTurns(
  events: TraceEvent[],
  sender: 'strongswan' | 'peer',
): { batch: Uint8Array; replies: Uint8Array[] }[] {
  const turns: { batch: Uint8Array; replies: Uint8Array[] }[] = [];
  for (const e of events) {
    const batch = e.from === 'strongswan' ? e.batch : 'batch' in e ? e.batch : undefined;
    if (!batch) continue;
    if (e.from === sender) turns.push({ batch, replies: [] });
    else turns.at(-1)?.replies.push(batch);
  }
  return turns;
}

for (const file of TRACE_FILES) {
  const trace = readTrace(file);
  const sasl = trace.events.some((e) => e.from === 'strongswan' && e.type === 4);

  test(`${file}: our server answers strongSwan's messages byte-for-byte`, async () => {
    const turns = batchTurns(trace.events, 'strongswan');
    let turn = 0;
    const endpoint: BatchEndpoint = {
      receive(batch) {
        const t = turns[turn++];
        assert.ok(t, 'more batches than in the trace');
        assert.equal(toHex(batch), toHex(t.batch));
        return t.replies;
      },
      done: () => turn === turns.length,
    };
    const { ch, written, closed } = scriptedChannel(
      trace.events.flatMap((e) => (e.from === 'strongswan' ? [e.raw.slice()] : [])),
    );
    const summary = await runPtTlsServer(ch, {
      tlsClient: { verified: false },
      clientAuth: sasl ? 'tls-or-sasl' : 'none',
      authenticate: (z, c, p) => z === '' && c === CAROL.authcid && p === CAROL.password,
      endpointFor: () => endpoint,
      firstIdentifier: PEER_FIRST_ID,
      saslResultForm: 'rfc6876',
    });
    assert.deepEqual(written.map(toHex), peerMessages(trace.events).map(toHex));
    assert.ok(closed());
    assert.equal(summary.batchesReceived, turns.length);
    assert.deepEqual(
      summary.identity,
      sasl ? { method: 'sasl-plain', authzid: '', authcid: 'carol' } : { method: 'none' },
    );
  });

  test(`${file}: our client sends what strongSwan's pt-tls-client sent, byte-for-byte`, async () => {
    const turns = batchTurns(trace.events, 'peer');
    const mine = trace.events.flatMap((e) => (e.from === 'strongswan' && e.batch ? [e.batch] : []));
    let sent = 1;
    let turn = 0;
    const endpoint: BatchEndpoint = {
      first: () => mine[0] ?? null,
      receive(batch) {
        const t = turns[turn++];
        assert.ok(t);
        assert.equal(toHex(batch), toHex(t.batch));
        sent += t.replies.length;
        return t.replies;
      },
      done: () => sent === mine.length && turn === turns.length,
    };
    const { ch, written, closed } = scriptedChannel(peerMessages(trace.events));
    await runPtTlsClient(ch, { endpoint, credentials: sasl ? CAROL : undefined });
    assert.deepEqual(
      written.map(toHex),
      trace.events.flatMap((e) => (e.from === 'strongswan' ? [toHex(e.raw)] : [])),
    );
    assert.ok(closed());
  });
}
