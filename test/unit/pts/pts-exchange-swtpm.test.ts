/**
 * TCG PTS over IF-M, in process: the attester (backed by a real swtpm, a temp file tree, a built firmware log and IMA
 * list) talks to the verifier directly; every batch goes through PA-TNC message encoding with the PTS registry.
 *
 *   verifier                                   attester
 *   Req Proto Caps + Meas Algo          →
 *                                       ←      Proto Caps (T|D) + Meas Algo Selection (SHA-256)
 *   Req File Meas (dir) + D-H Params Req →
 *                                       ←      File Measurement + D-H Params Response
 *   D-H Finish + Get TPM Version + Get AIK →
 *                                       ←      TPM Version Info + AIK (naked)
 *   Req Func Comp Evid (BIOS, IMA) + Gen Attest Evid →
 *                                       ←      Simple Component Evidence × n + Simple Evidence Final (quote)
 *   verdict
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRng, utf8 } from '../../../src/common/index.ts';
import { decodePaMessage, encodePaMessage } from '../../../src/tnc/pa/index.ts';
import type { PaAttribute } from '../../../src/tnc/pa/index.ts';
import { ActionRecommendation } from '../../../src/tnc/pb/constants.ts';
import type { Tpm } from '../../../src/tpm/client.ts';
import { createAik } from '../../../src/tpm/aik.ts';
import type { AikInfo } from '../../../src/tpm/aik.ts';
import { EventType } from '../../../src/measure/eventlog.ts';
import type { EventLog } from '../../../src/measure/eventlog.ts';
import { separator } from '../../../src/measure/eventlog-builder.ts';
import type { ImaEntry } from '../../../src/measure/ima.ts';
import { ptsPaRegistry } from '../../../src/pts/attrs/index.ts';
import { PtsAttester } from '../../../src/pts/attester/attester.ts';
import { MemoryPtsReferences, PtsVerifier } from '../../../src/pts/verify/index.ts';
import type { PtsVerdict } from '../../../src/pts/verify/index.ts';
import { bootedTpm } from '../../support/attest-device.ts';
import type { BootedTpm } from '../../support/attest-device.ts';
import { hasCommand, requires } from '../../support/env.ts';

const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const available = hasCommand('swtpm') && hasCommand('swtpm_setup');
const SWTPM = { commands: ['swtpm', 'swtpm_setup'] };

let device: BootedTpm | undefined;
let tpm: Tpm;
let aik: AikInfo;
let root: string;
let bootLog: EventLog;
let ima: ImaEntry[];
const binFiles: Record<string, string> = { ls: 'ELF ls v1', cat: 'ELF cat v1', sh: 'ELF sh v1' };

before(async () => {
  if (!available) return;
  // Firmware events into PCRs 0 and 7; IMA (ima-ng) of the files into PCR 10, after boot_aggregate.
  device = await bootedTpm(binFiles, {
    prefix: 'attestd-pts-',
    events: [
      { pcr: 0, type: EventType.EV_S_CRTM_VERSION, data: utf8('crtm 1.0') },
      { pcr: 0, type: EventType.EV_POST_CODE, data: utf8('bios 2.3') },
      { pcr: 7, type: EventType.EV_EFI_VARIABLE_DRIVER_CONFIG, data: utf8('SecureBoot=1') },
      separator(0),
      separator(7),
    ],
  });
  ({ tpm, aik, root, bootLog, ima } = device);
  mkdirSync(join(root, 'bin', 'subdir')); // not measured: not a regular file
  symlinkSync(join(root, 'bin', 'ls'), join(root, 'bin', 'link')); // not measured: a symlink
});

after(async () => {
  await device?.close();
});

/** References as measured on a known-good device: the bin files, the IMA-measured files, the AIK. */
function references(o: { trustAik?: boolean } = {}): MemoryPtsReferences {
  const refs = new MemoryPtsReferences();
  for (const [n, c] of Object.entries(binFiles)) {
    refs.addFile(join(root, 'bin', n), sha256(utf8(c)));
    refs.addFile(`/usr/bin/${n}`, sha256(utf8(c)));
  }
  if (o.trustAik ?? true) refs.trustAik(aik.keyId);
  return refs;
}

function attester(o: { ima?: ImaEntry[]; aik?: AikInfo } = {}): PtsAttester {
  return new PtsAttester({
    tpm,
    aik: o.aik ?? aik,
    rng: seededRng('attester'),
    imaLog: async () => o.ima ?? ima,
    bootLog: async () => bootLog,
  });
}

/** Runs the exchange; `tamper` may rewrite each attester answer (a compromised device). */
async function exchange(
  refs: MemoryPtsReferences,
  dev: PtsAttester,
  tamper: (answer: PaAttribute[]) => PaAttribute[] = (a) => a,
  seed = 'verifier',
  requiredPcrs: number[] = [],
): Promise<{ verdict: PtsVerdict; answers: PaAttribute[][] }> {
  const verifier = new PtsVerifier({
    references: refs,
    requiredPcrs,
    files: [{ path: join(root, 'bin'), directory: true }],
    rng: seededRng(seed),
  });
  const wire = (attributes: PaAttribute[]) =>
    decodePaMessage(encodePaMessage({ messageId: 1, attributes }, ptsPaRegistry), ptsPaRegistry).attributes;
  const answers: PaAttribute[][] = [];
  let out = verifier.start();
  for (let round = 0; round < 8; round++) {
    const answer = tamper(wire(await dev.handle(wire(out))));
    answers.push(answer);
    const step = await verifier.receive(wire(answer));
    if (step.verdict) return { verdict: step.verdict, answers };
    out = step.send;
  }
  throw new Error('exchange did not end');
}

test('a clean device is allowed: files, boot log and IMA replay match the quote', async (t) => {
  if (!requires(t, SWTPM)) return;
  const { verdict, answers } = await exchange(references(), attester());
  assert.deepEqual(verdict.reasons, []);
  assert.equal(verdict.recommendation, ActionRecommendation.ALLOW);
  const kinds = answers.flat().map((a) => a.kind);
  assert.equal(kinds.filter((k) => k === 'tcg/pts-simple-comp-evid').length, 5 + ima.length - 0 - 0);
  const meas = answers.flat().find((a) => a.kind === 'tcg/pts-file-meas') as PaAttribute & {
    files: { filename: string }[];
  };
  assert.deepEqual(
    meas.files.map((f) => f.filename),
    ['cat', 'ls', 'sh'],
    'regular files only, relative names',
  );
});

test('an RSA AIK (RSASSA quote, raw PKCS#1 v1.5 signature on the wire) verifies too', async (t) => {
  if (!requires(t, SWTPM)) return;
  const rsa = await createAik(tpm, { type: 'rsa', parent: 'srk', parentType: 'ecc', handle: 0x81010004 });
  const refs = references().trustAik(rsa.keyId);
  const { verdict, answers } = await exchange(refs, attester({ aik: rsa }));
  assert.deepEqual(verdict.reasons, []);
  const final = answers.flat().find((a) => a.kind === 'tcg/pts-simple-evid-final') as PaAttribute & {
    quoteSignature: Uint8Array;
  };
  assert.equal(final.quoteSignature.byteLength, 256);
});

test('a file changed after its reference measurement is refused, naming that file', async (t) => {
  if (!requires(t, SWTPM)) return;
  const refs = references();
  const changed = join(root, 'bin', 'cat');
  writeFileSync(changed, 'ELF cat v1 + implant');
  try {
    const { verdict } = await exchange(refs, attester());
    assert.equal(verdict.recommendation, ActionRecommendation.NO_ACCESS);
    assert.equal(verdict.reasons.length, 1, verdict.reasons.join('\n'));
    assert.match(verdict.reasons[0]!, new RegExp(`file ${changed}: sha256 [0-9a-f]{64} does not match the reference`));
  } finally {
    writeFileSync(changed, binFiles['cat']!);
  }
});

test('every mismatching file is reported, not only the first', async (t) => {
  if (!requires(t, SWTPM)) return;
  const refs = new MemoryPtsReferences().trustAik(aik.keyId);
  for (const n of Object.keys(binFiles)) refs.addFile(`/usr/bin/${n}`, sha256(utf8(binFiles[n]!)));
  refs.addFile(join(root, 'bin', 'ls'), sha256(utf8('other')));
  const { verdict } = await exchange(refs, attester());
  assert.deepEqual(
    verdict.reasons.map((r) => r.split(':')[0]),
    ['file ' + join(root, 'bin', 'cat'), 'file ' + join(root, 'bin', 'ls'), 'file ' + join(root, 'bin', 'sh')],
  );
});

test('an IMA log whose replay does not match the quoted PCR 10 is refused', async (t) => {
  if (!requires(t, SWTPM)) return;
  // The device hides a measured file: it sends a list without the entry the kernel extended for /usr/bin/sh.
  const forged = ima.filter((e) => !new TextDecoder().decode(e.fields[1]).startsWith('/usr/bin/sh'));
  assert.equal(forged.length, ima.length - 1);
  const { verdict } = await exchange(references(), attester({ ima: forged }));
  assert.equal(verdict.recommendation, ActionRecommendation.NO_ACCESS);
  assert.equal(verdict.reasons.length, 1, verdict.reasons.join('\n'));
  assert.match(
    verdict.reasons[0]!,
    /quote: PCR 0,7,10 \(sha256\) replayed from the evidence do not match the quoted PCR digest/,
  );
});

test('a boot_aggregate that does not match the replayed boot PCRs is named', async (t) => {
  if (!requires(t, SWTPM)) return;
  const forgedBoot = { ...bootLog, events: bootLog.events.filter((e) => e.pcr !== 7) };
  const dev = new PtsAttester({ tpm, aik, imaLog: async () => ima, bootLog: async () => forgedBoot });
  const { verdict } = await exchange(references(), dev);
  // The device hid its PCR 7 events and quoted PCRs 0 and 10 only, which match; boot_aggregate gives it away.
  assert.deepEqual(verdict.reasons, ['IMA boot_aggregate: does not match the replayed boot PCRs']);
  // A verifier that requires PCRs 0 and 7 names the missing PCR too.
  const strict = await exchange(references(), dev, (a) => a, 'strict', [0, 7]);
  assert.deepEqual(strict.verdict.reasons, [
    'IMA boot_aggregate: does not match the replayed boot PCRs',
    'quote: required PCR 7 is not quoted',
  ]);
  const clean = await exchange(references(), attester(), (a) => a, 'strict', [0, 7, 10]);
  assert.deepEqual(clean.verdict.reasons, []);
});

test('an IMA entry for a file without a matching reference is named', async (t) => {
  if (!requires(t, SWTPM)) return;
  const refs = references();
  refs.removeFile('/usr/bin/cat');
  refs.addFile('/usr/bin/cat', sha256(utf8('a different cat')));
  const { verdict } = await exchange(refs, attester());
  assert.equal(verdict.reasons.length, 1, verdict.reasons.join('\n'));
  assert.match(verdict.reasons[0]!, /^IMA \/usr\/bin\/cat: template hash [0-9a-f]+ matches no reference sha256 digest/);
});

test('a quote made for an earlier nonce is refused', async (t) => {
  if (!requires(t, SWTPM)) return;
  const first = await exchange(references(), attester(), (a) => a, 'session-1');
  assert.deepEqual(first.verdict.reasons, []);
  const oldFinal = first.answers.flat().find((a) => a.kind === 'tcg/pts-simple-evid-final')!;
  // Second session: the device replays the quote of the first session instead of making a new one.
  const replay = (answer: PaAttribute[]) => answer.map((a) => (a.kind === 'tcg/pts-simple-evid-final' ? oldFinal : a));
  const { verdict } = await exchange(references(), attester(), replay, 'session-2');
  assert.equal(verdict.recommendation, ActionRecommendation.NO_ACCESS);
  assert.ok(verdict.reasons.length >= 1);
  assert.ok(
    verdict.reasons.every((r) =>
      /^quote: .*signature does not verify with the AIK over the quote rebuilt with this exchange's nonce/.test(r),
    ),
    verdict.reasons.join('\n'),
  );
});

test('an AIK that is not trusted is refused, naming its key id', async (t) => {
  if (!requires(t, SWTPM)) return;
  const { verdict } = await exchange(references({ trustAik: false }), attester());
  assert.equal(verdict.recommendation, ActionRecommendation.NO_ACCESS);
  assert.deepEqual(verdict.reasons, [`AIK ${Buffer.from(aik.keyId).toString('hex')} is not trusted`]);
});

test('a device that answers with a PTS error is refused with that error named', async (t) => {
  if (!requires(t, SWTPM)) return;
  const refs = references();
  const verifier = new PtsVerifier({ references: refs, files: [{ path: join(root, 'no-such-file') }] });
  let out = verifier.start();
  const dev = attester();
  let verdict: PtsVerdict | undefined;
  for (let i = 0; i < 8 && !verdict; i++) {
    const step = await verifier.receive(await dev.handle(out));
    verdict = step.verdict;
    out = step.send;
  }
  assert.ok(verdict);
  assert.equal(verdict.recommendation, ActionRecommendation.NO_ACCESS);
  assert.match(verdict.reasons.join('\n'), /the attester reported PA-TNC error FILE_NOT_FOUND/);
});
