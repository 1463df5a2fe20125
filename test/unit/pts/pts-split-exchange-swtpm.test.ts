/**
 * TCG PTS with more evidence than one PT-EAP batch holds (2,000 measured files, 600 IMA events), in process against
 * a real swtpm: the attester's File Measurement is split per `splitFileMeasurement` (as the attester is to do it),
 * the IMC host's PA codec spreads each answer over PA messages that fit a PT-EAP PB-TNC batch (65529 bytes), each
 * message is encoded into a batch of its own and decoded again, and the verifier receives them one by one.
 *
 *   verifier                                              attester
 *   Req File Meas (dir of 2,000) + D-H Params Req  →
 *                                                  ←      [File Meas 1] | [File Meas 2 + D-H Params Response]
 *   Req Func Comp Evid + Gen Attest Evid           →
 *                                                  ←      [Simple Component Evidence × k] | … | [… + Final]
 *   verdict: allowed, as with everything in one message
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { LimitError, seededRng, silentLogger, utf8 } from '../../../src/common/index.ts';
import { PaSubtype, decodePaMessage } from '../../../src/tnc/pa/index.ts';
import type { PaAttribute } from '../../../src/tnc/pa/index.ts';
import { PaCodec } from '../../../src/tnc/imc-imv/host.ts';
import { MaxBatchSize, PbBatchType, encodeBatch } from '../../../src/tnc/pb/index.ts';
import { ActionRecommendation } from '../../../src/tnc/pb/constants.ts';
import type { Tpm } from '../../../src/tpm/client.ts';
import type { AikInfo } from '../../../src/tpm/aik.ts';
import type { EventLog } from '../../../src/measure/eventlog.ts';
import type { ImaEntry } from '../../../src/measure/ima.ts';
import { ptsPaRegistry } from '../../../src/pts/attrs/index.ts';
import type { TcgPtsFileMeas } from '../../../src/pts/attrs/file-measurement.ts';
import { fileMeasurementValueBudget, splitFileMeasurement } from '../../../src/pts/attrs/file-measurement-split.ts';
import { PtsAttester } from '../../../src/pts/attester/attester.ts';
import { MemoryPtsReferences, PtsVerifier } from '../../../src/pts/verify/index.ts';
import { bootedTpm } from '../../support/attest-device.ts';
import type { BootedTpm } from '../../support/attest-device.ts';
import { hasCommand, requires } from '../../support/env.ts';

const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const available = hasCommand('swtpm') && hasCommand('swtpm_setup');
const SWTPM = { commands: ['swtpm', 'swtpm_setup'] };
const FILES = 2000;
const IMA_FILES = 600;

let device: BootedTpm | undefined;
let tpm: Tpm;
let aik: AikInfo;
let root: string;
let bootLog: EventLog;
let ima: ImaEntry[];
const content = (i: number) => utf8(`ELF binary number ${i}`);
const fileName = (i: number) => `tool-${String(i).padStart(5, '0')}`;

before(async () => {
  if (!available) return;
  // FILES files in bin/; IMA (ima-ng) of the first IMA_FILES into PCR 10 after the firmware events.
  device = await bootedTpm(Object.fromEntries(Array.from({ length: FILES }, (_, i) => [fileName(i), content(i)])), {
    imaFiles: Array.from({ length: IMA_FILES }, (_, i) => ({
      path: `/usr/bin/${fileName(i)}`,
      digest: sha256(content(i)),
    })),
    prefix: 'attestd-pts-split-',
  });
  ({ tpm, aik, root, bootLog, ima } = device);
});

after(async () => {
  await device?.close();
});

function references(): MemoryPtsReferences {
  const refs = new MemoryPtsReferences();
  for (let i = 0; i < FILES; i++) {
    refs.addFile(join(root, 'bin', fileName(i)), sha256(content(i)));
    refs.addFile(`/usr/bin/${fileName(i)}`, sha256(content(i)));
  }
  refs.trustAik(aik.keyId);
  return refs;
}

test('2,000 files and 600 IMA events over PT-EAP-sized batches: the attester splits, delivered one message at a time, allowed', async (t) => {
  if (!requires(t, SWTPM)) return;
  const attester = new PtsAttester({
    tpm,
    aik,
    rng: seededRng('attester'),
    imaLog: async () => ima,
    bootLog: async () => bootLog,
  });
  const verifier = new PtsVerifier({
    references: references(),
    files: [{ path: join(root, 'bin'), directory: true }],
    rng: seededRng('verifier'),
  });
  const imc = new PaCodec({ registry: ptsPaRegistry, maxBatchSize: MaxBatchSize.PT_EAP }, silentLogger);
  const toBatches = (attributes: PaAttribute[]) =>
    imc.encode('imc', 1, { ...PaSubtype.TCG_PTS, attributes, to: 1 }).map((m) => ({
      batch: encodeBatch(
        { type: PbBatchType.CDATA, fromServer: false, messages: [m] },
        { maxSize: MaxBatchSize.PT_EAP },
      ),
      attributes: decodePaMessage(m.body, ptsPaRegistry).attributes,
    }));

  let out = verifier.start();
  let messages = 0;
  let unsplitRefused = false;
  for (let round = 0; round < 8 && !verifier.verdict; round++) {
    const answer = await attester.handle(out);
    const fileMeas = answer.filter((a) => a.kind === 'tcg/pts-file-meas') as TcgPtsFileMeas[];
    if (fileMeas.length) {
      // the attester split its answer: unsplit, the File Measurement alone would exceed a PT-EAP batch
      assert.ok(fileMeas.length > 1, `${fileMeas.length} File Measurement attribute(s)`);
      const whole: TcgPtsFileMeas = { ...fileMeas[0]!, files: fileMeas.flatMap((a) => a.files) };
      assert.throws(() => toBatches([whole]), LimitError);
      assert.deepEqual(splitFileMeasurement(whole, fileMeasurementValueBudget()).length, fileMeas.length);
      unsplitRefused = true;
    }
    const parts = toBatches(answer);
    let next: PaAttribute[] = [];
    for (const [i, p] of parts.entries()) {
      messages++;
      assert.ok(p.batch.byteLength <= MaxBatchSize.PT_EAP);
      const step = await verifier.receive(p.attributes);
      if (i < parts.length - 1) assert.deepEqual(step, { send: [] }, 'nothing before the answer is complete');
      next = step.send;
    }
    out = next;
  }
  assert.ok(unsplitRefused);
  assert.ok(verifier.verdict, 'verdict reached');
  assert.deepEqual(verifier.verdict.reasons, []);
  assert.equal(verifier.verdict.recommendation, ActionRecommendation.ALLOW);
  assert.equal(verifier.evidence.fileResults.get(1)?.length, FILES);
  assert.ok(messages >= 6, `${messages} PA messages`);
});
