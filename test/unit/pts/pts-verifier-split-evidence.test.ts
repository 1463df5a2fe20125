/**
 * The PTS verifier with the attester's answers spread over several PA messages (the IMC host splits a reply that
 * does not fit in one PB-TNC batch): capabilities and algorithm selection apart, File Measurements of one request in
 * several attributes and messages before the D-H Nonce Parameters Response, TPM version and AIK apart, Simple
 * Component Evidence over many messages and the Simple Evidence Final last. The verifier only advances when what a
 * phase needs has arrived, and reaches the same verdict as with every answer in one message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, evidenceFinal, imaEvent, sha256 } from './evidence-fixtures.ts';
import { seededRng } from '../../../src/common/index.ts';
import type { PaAttribute } from '../../../src/tnc/pa/index.ts';
import { ActionRecommendation } from '../../../src/tnc/pb/constants.ts';
import { PtsDhGroup, PtsMeasAlgo, PtsProtoCaps } from '../../../src/pts/constants.ts';
import { ptsKeyExchange } from '../../../src/pts/dh-nonce.ts';
import { splitFileMeasurement } from '../../../src/pts/attrs/file-measurement-split.ts';
import type { TcgPtsFileMeas } from '../../../src/pts/attrs/file-measurement.ts';
import { MemoryPtsReferences, PtsVerifier } from '../../../src/pts/verify/index.ts';

const DIR_FILES = 60;
const dirMeas = (): TcgPtsFileMeas => ({
  kind: 'tcg/pts-file-meas',
  noskip: false,
  requestId: 1,
  measurementLength: 32,
  files: Array.from({ length: DIR_FILES }, (_, i) => ({
    filename: `f${i}`,
    measurement: sha256(i === 7 ? 'tampered' : `f${i}`),
  })),
});

function references(): MemoryPtsReferences {
  const refs = new MemoryPtsReferences();
  for (let i = 0; i < DIR_FILES; i++) refs.addFile(`/usr/bin/f${i}`, sha256(`f${i}`));
  refs.addFile('/etc/passwd', sha256('passwd'));
  refs.addFile('/bin/ok', sha256('ok'));
  return refs;
}

const final = evidenceFinal(new TextEncoder().encode('junk'));

/** The attester's answers per verifier request, each as one list (what the attester returns at once). */
function answers(): { caps: PaAttribute[]; nonce: PaAttribute[]; tpm: PaAttribute[]; evidence: PaAttribute[] } {
  const ke = ptsKeyExchange(PtsDhGroup.IKE19, seededRng(3));
  return {
    caps: [
      A({ kind: 'tcg/pts-proto-caps', flags: PtsProtoCaps.T | PtsProtoCaps.D }),
      A({ kind: 'tcg/pts-meas-algo-selection', algorithms: PtsMeasAlgo.SHA256 }),
    ],
    nonce: [
      ...splitFileMeasurement(dirMeas(), 12 + 10 * 36), // 10 files per attribute: 6 attributes for request 1
      A({
        kind: 'tcg/pts-file-meas',
        requestId: 2,
        measurementLength: 32,
        files: [{ filename: '/etc/passwd', measurement: sha256('passwd') }],
      }),
      A({
        kind: 'tcg/pts-dh-nonce-params-resp',
        dhGroup: PtsDhGroup.IKE19,
        hashAlgorithms: PtsMeasAlgo.SHA256,
        responderNonce: new Uint8Array(32).fill(5),
        responderValue: ke.publicValue(),
      }),
    ],
    tpm: [
      A({ kind: 'tcg/pts-tpm-version-info', info: new Uint8Array([1, 2, 3]) }),
      A({ kind: 'tcg/pts-aik', naked: true, aik: new Uint8Array([0x30, 0x00]) }),
    ],
    evidence: [
      ...Array.from({ length: 30 }, (_, i) => imaEvent(i === 3 ? '/bin/evil' : '/bin/ok', i === 3 ? 'evil' : 'ok')),
      final,
    ],
  };
}

function verifier(): PtsVerifier {
  return new PtsVerifier({
    references: references(),
    files: [{ path: '/usr/bin/', directory: true }, { path: '/etc/passwd' }],
    rng: seededRng(42),
    now: () => new Date('2026-01-01T00:00:00Z'),
  });
}

/** Splits a list into messages of `n` attributes. */
const chunks = <T>(xs: T[], n: number): T[][] =>
  Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

test('evidence spread over many PA messages gives the same verdict as one message per answer', async () => {
  const whole = verifier();
  whole.start();
  const all = answers();
  for (const k of ['caps', 'nonce', 'tpm'] as const) assert.equal((await whole.receive(all[k])).verdict, undefined);
  const ref = await whole.receive(all.evidence);
  assert.ok(ref.verdict);
  assert.equal(ref.verdict.recommendation, ActionRecommendation.NO_ACCESS);
  assert.ok(ref.verdict.reasons.some((r) => r.includes('/usr/bin/f7')));
  assert.ok(ref.verdict.reasons.some((r) => r.includes('/bin/evil')));

  for (const per of [1, 2, 3, 7]) {
    const v = verifier();
    v.start();
    const split = answers();
    const phases: string[] = [];
    for (const k of ['caps', 'nonce', 'tpm', 'evidence'] as const) {
      const parts = chunks(split[k], per);
      for (const [i, part] of parts.entries()) {
        const step = await v.receive(part);
        const last = i === parts.length - 1;
        // nothing is sent and nothing decided before the phase's last message
        if (!last) assert.deepEqual(step, { send: [] }, `${k} part ${i} of ${parts.length} (per ${per})`);
        else if (k !== 'evidence') assert.ok(step.send.length > 0 && !step.verdict, `${k} answered (per ${per})`);
        else assert.ok(step.verdict, 'verdict after the Simple Evidence Final');
        if (last) phases.push(v.phase);
      }
    }
    assert.deepEqual(phases, ['nonce', 'tpm', 'evidence', 'done']);
    assert.deepEqual(v.verdict!.reasons, ref.verdict.reasons, `per ${per}`);
    assert.equal(v.evidence.fileResults.get(1)!.length, DIR_FILES);
    assert.deepEqual(
      v.evidence.fileResults.get(1)!.map((f) => f.filename),
      dirMeas().files.map((f) => f.filename),
    );
    assert.equal(v.evidence.components.length, 30);
  }
});

test('a request answered by several File Measurement attributes is merged; a file named twice is refused', async () => {
  const v = verifier();
  v.start();
  const a = answers();
  await v.receive(a.caps);
  const parts = splitFileMeasurement(dirMeas(), 12 + 25 * 36);
  assert.ok(parts.length >= 3);
  assert.deepEqual((await v.receive([parts[0]!, parts[1]!])).send, []);
  assert.equal(v.evidence.fileResults.get(1)!.length, parts[0]!.files.length + parts[1]!.files.length);
  // the first part again: f0 is named twice
  const s = await v.receive([parts[2]!, parts[0]!]);
  assert.equal(s.verdict?.recommendation, ActionRecommendation.NO_ACCESS);
  assert.ok(s.verdict?.reasons.includes('file measurement request 1 names "f0" twice'), s.verdict?.reasons.join());
});

test('maxFiles holds over the merged total of a split answer', async () => {
  const v = new PtsVerifier({
    references: references(),
    files: [{ path: '/usr/bin/', directory: true }],
    limits: { maxFiles: 50 },
  });
  v.start();
  await v.receive(answers().caps);
  const parts = splitFileMeasurement(dirMeas(), 12 + 20 * 36);
  assert.deepEqual((await v.receive([parts[0]!])).send, []);
  assert.deepEqual((await v.receive([parts[1]!])).send, []);
  const s = await v.receive([parts[2]!]);
  assert.ok(s.verdict?.reasons.includes('more than 50 file measurements: exchange cut off'));
});

test('capabilities and algorithm selection may come in separate messages; a message with neither is refused', async () => {
  const v = verifier();
  v.start();
  const [caps, sel] = answers().caps;
  assert.deepEqual(await v.receive([sel!]), { send: [] });
  assert.equal(v.phase, 'caps');
  const s = await v.receive([caps!]);
  assert.deepEqual(
    s.send.map((a) => a.kind),
    ['tcg/pts-req-file-meas', 'tcg/pts-req-file-meas', 'tcg/pts-dh-nonce-params-req'],
  );

  const w = verifier();
  w.start();
  const r = await w.receive([A({ kind: 'tcg/pts-tpm-version-info', info: new Uint8Array(1) })]);
  assert.ok(r.verdict?.reasons.includes('the attester did not answer with its capabilities and algorithm selection'));
});

test('Simple Component Evidence split over messages still counts against maxEvents', async () => {
  const v = new PtsVerifier({ references: references(), limits: { maxEvents: 25 }, rng: seededRng(1) });
  v.start();
  const a = answers();
  await v.receive(a.caps);
  await v.receive(a.nonce.slice(-1));
  await v.receive(a.tpm);
  assert.equal(v.phase, 'evidence');
  for (const part of chunks(a.evidence.slice(0, 20), 10)) assert.deepEqual(await v.receive(part), { send: [] });
  const s = await v.receive(a.evidence.slice(20, 30));
  assert.ok(s.verdict?.reasons.includes('more than 25 evidence events: exchange cut off'));
});
