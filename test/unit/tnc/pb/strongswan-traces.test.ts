/**
 * Golden traces: strongSwan 6.0.6 `pt-tls-client --mutual` (imc-test command=allow, imv-test rounds=1) against a
 * minimal PT-TLS/PB-TNC peer (test/vectors/strongswan-6.0.6, captured for this project). Every PB-TNC batch
 * strongSwan sent must decode and re-encode byte for byte; fed into our transport-server side, our answers must
 * equal the batches strongSwan accepted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromHex, toHex } from '../../../../src/common/index.ts';
import { MutualPbTnc, PbBatchType, Recommendation, decodeBatch, encodeBatch } from '../../../../src/tnc/pb/index.ts';
import { TestImc, TestImv, idSequence } from './test-handlers.ts';

const dir = fileURLToPath(new URL('../../../vectors/strongswan-6.0.6/', import.meta.url));

export interface TraceStep {
  dir: 'in' | 'out';
  batch: Uint8Array;
  /** PT-TLS raw message of an `in` batch, when the trace has one. */
  raw?: Uint8Array;
}

/** Reads the `<- PB-TNC batch` / `-> PB-TNC batch` entries with their `hex:` lines, in order. */
export function readTrace(name: string): TraceStep[] {
  const lines = readFileSync(dir + name, 'utf8').split('\n');
  const steps: TraceStep[] = [];
  let lastRaw: Uint8Array | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const raw = /^<- PT-TLS vendor=0 type=7 .*raw=([0-9a-f]+)/.exec(line);
    if (raw) lastRaw = fromHex(raw[1]!);
    const m = /^(<-|->) PB-TNC batch /.exec(line);
    if (!m) continue;
    const hex = /^\s+hex: ([0-9a-f]+)/.exec(lines[i + 1] ?? '');
    assert.ok(hex, `hex line after line ${i + 1} of ${name}`);
    const step: TraceStep = { dir: m[1] === '<-' ? 'in' : 'out', batch: fromHex(hex[1]!) };
    if (step.dir === 'in' && lastRaw) step.raw = lastRaw;
    steps.push(step);
  }
  return steps;
}

const traces = [
  'strongswan-trace_mutual_pttls.txt',
  'strongswan-trace_sasl_mutual_pttls.txt',
  'strongswan-trace_nonmutual_pttls.txt',
];

for (const name of traces) {
  test(`${name}: every batch decodes and re-encodes byte for byte`, async () => {
    const steps = readTrace(name);
    assert.ok(steps.length >= 3);
    for (const s of steps) {
      const d = decodeBatch(s.batch);
      assert.equal(toHex(encodeBatch(d)), toHex(s.batch));
      // The PT-TLS framing (16 bytes, type 7) wraps exactly the batch.
      if (s.raw) assert.equal(toHex(s.raw.subarray(16)), toHex(s.batch));
    }
  });
}

async function runAsPeer(
  name: string,
  mutual: boolean,
): Promise<{
  steps: TraceStep[];
  answers: (Uint8Array | undefined)[];
  peer: MutualPbTnc;
  imc: TestImc;
  imv: TestImv;
}> {
  const steps = readTrace(name);
  const imc = new TestImc({ command: 'allow' });
  const imv = new TestImv({ rounds: 0 });
  const peer = new MutualPbTnc({ transport: 'server', mutual, client: imc, server: imv, maxBatchSize: 2097136 });
  const answers: (Uint8Array | undefined)[] = [];
  for (const s of steps) {
    if (s.dir !== 'in') continue;
    const out = await peer.receive(s.batch);
    assert.ok(out.length <= 1);
    answers.push(out[0]);
  }
  return { steps, answers, peer, imc, imv };
}

/** The `->` batch following each `<-` batch (undefined when strongSwan got no answer). */
function expectedAnswers(steps: TraceStep[]): (Uint8Array | undefined)[] {
  const out: (Uint8Array | undefined)[] = [];
  for (let i = 0; i < steps.length; i++) {
    if (steps[i]!.dir !== 'in') continue;
    const next = steps[i + 1];
    out.push(next?.dir === 'out' ? next.batch : undefined);
  }
  return out;
}

for (const name of ['strongswan-trace_mutual_pttls.txt', 'strongswan-trace_sasl_mutual_pttls.txt']) {
  test(`${name}: our mutual transport server answers exactly what strongSwan accepted`, async () => {
    const { steps, answers, peer, imc, imv } = await runAsPeer(name, true);
    const expected = expectedAnswers(steps);
    assert.equal(answers.length, expected.length);
    for (let i = 0; i < expected.length; i++) {
      assert.equal(answers[i] && toHex(answers[i]!), expected[i] && toHex(expected[i]!), `answer ${i}`);
    }
    assert.ok(peer.mutual);
    assert.ok(peer.done, 'both sessions reached End');
    // Our IMV allowed strongSwan's client; strongSwan's IMV (after one "repeat") allowed us.
    assert.equal(peer.serverDecision?.recommendation, Recommendation.ACCESS_ALLOWED);
    assert.equal(imv.decisions.length, 1);
    assert.equal(peer.clientResult?.recommendation, Recommendation.ACCESS_ALLOWED);
    assert.equal(imc.results.length, 1);
  });
}

test('strongswan-trace_nonmutual_pttls.txt: our plain server answers like the trace, without the unsolicited echo', async () => {
  const { steps, answers, peer } = await runAsPeer('strongswan-trace_nonmutual_pttls.txt', true);
  const expected = expectedAnswers(steps);
  // The captured peer echoed PB-Mutual-Capability although strongSwan had not offered it; strongSwan ignored it.
  // Like strongSwan's own server (tnccs_20_server.c) we echo only an offer, so we compare with the echo removed.
  const first = decodeBatch(expected[0]!);
  assert.equal(first.type, PbBatchType.RESULT);
  assert.equal(first.messages[0]?.kind, 'mutual-capability');
  const withoutEcho = encodeBatch({ ...first, messages: first.messages.filter((m) => m.kind !== 'mutual-capability') });
  assert.equal(toHex(answers[0]!), toHex(withoutEcho));
  // strongSwan's client then closed; a CLOSE needs no answer.
  assert.equal(answers[1], undefined);
  assert.equal(peer.mutual, false);
  assert.ok(peer.done);
  assert.equal(peer.serverDecision?.recommendation, Recommendation.ACCESS_ALLOWED);
});

/** The PA-TNC message ids strongSwan drew at random in each mutual trace: IMC command, IMV repeat, IMV result. */
const strongSwanIds: Record<string, [number, number, number]> = {
  'strongswan-trace_mutual_pttls.txt': [0x899e6e1a, 0x88ae509f, 0x449bd773],
  'strongswan-trace_sasl_mutual_pttls.txt': [0xb652b0fc, 0xa8b8f67a, 0x7893e56b],
};

for (const [name, [imcId, ...imvIds]] of Object.entries(strongSwanIds)) {
  test(`${name}: our mutual transport client, fed the peer's answers, sends strongSwan's batches byte for byte`, async () => {
    const steps = readTrace(name);
    // strongSwan's side: imc-test command=allow (NOSKIP set), imv-test rounds=1 (repeat, then an exclusive
    // PA message with an IETF Assessment Result), Accept-Language "en".
    const imc = new TestImc({ command: 'allow', noskip: true, messageIds: idSequence(imcId) });
    const imv = new TestImv({ rounds: 1, sendAssessment: true, messageIds: idSequence(...imvIds) });
    const us = new MutualPbTnc({
      transport: 'client',
      client: imc,
      server: imv,
      languagePreference: 'en',
      maxBatchSize: 2097136,
    });
    const sent: Uint8Array[] = [];
    const first = await us.start();
    assert.ok(first);
    sent.push(first);
    for (const s of steps) if (s.dir === 'out') sent.push(...(await us.receive(s.batch)));
    const strongSwanSent = steps.filter((s) => s.dir === 'in').map((s) => toHex(s.batch));
    assert.deepEqual(sent.map(toHex), strongSwanSent);
    assert.ok(us.mutual && us.done);
    assert.equal(us.clientResult?.recommendation, Recommendation.ACCESS_ALLOWED);
    assert.equal(us.serverDecision?.recommendation, Recommendation.ACCESS_ALLOWED);
  });
}
