/**
 * Incremental IMA verification (src/pts/verify/ima-history.ts) against a real swtpm: the verifier keeps, per device,
 * what its IMA list held at the last fully verified attestation, and judges only what was added since — while the
 * references stay the same and the fresh quote still covers the whole list. Each test checks what was taken as
 * proved and what was judged, and that a device cannot use the checkpoint to hide an altered, dropped or new entry.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { seededRng, utf8 } from '../../../src/common/index.ts';
import { decodePaMessage, encodePaMessage } from '../../../src/tnc/pa/index.ts';
import type { PaAttribute } from '../../../src/tnc/pa/index.ts';
import { ActionRecommendation } from '../../../src/tnc/pb/constants.ts';
import type { Tpm } from '../../../src/tpm/client.ts';
import type { AikInfo } from '../../../src/tpm/aik.ts';
import { TPM_ALG } from '../../../src/tpm/types/constants.ts';
import type { EventLog } from '../../../src/measure/eventlog.ts';
import { buildImaLog } from '../../../src/measure/ima-builder.ts';
import type { ImaEntry } from '../../../src/measure/ima.ts';
import { imaExtendValue } from '../../../src/measure/replay.ts';
import { ptsPaRegistry } from '../../../src/pts/attrs/index.ts';
import { PtsAttester } from '../../../src/pts/attester/attester.ts';
import { ImaHistory, MemoryPtsReferences, PtsVerifier } from '../../../src/pts/verify/index.ts';
import type { PtsReferences, PtsVerdict } from '../../../src/pts/verify/index.ts';
import { bootedTpm } from '../../support/attest-device.ts';
import type { BootedTpm } from '../../support/attest-device.ts';
import { hasCommand, requires } from '../../support/env.ts';

const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const SWTPM = { commands: ['swtpm', 'swtpm_setup'] };
const bin: Record<string, string> = { ls: 'ELF ls v1', cat: 'ELF cat v1', sh: 'ELF sh v1' };

let device: BootedTpm | undefined;
let tpm: Tpm;
let aik: AikInfo;
let root: string;
let bootLog: EventLog;
/** The device's IMA list as its kernel keeps it (tests append to it, extending PCR 10 as the kernel does). */
let ima: ImaEntry[];

before(async () => {
  if (!hasCommand('swtpm') || !hasCommand('swtpm_setup')) return;
  device = await bootedTpm(bin, { prefix: 'attestd-ima-inc-' });
  ({ tpm, aik, root, bootLog, ima } = device);
});

after(async () => {
  await device?.close();
});

function references(): MemoryPtsReferences {
  const refs = new MemoryPtsReferences().trustAik(aik.keyId);
  for (const [n, c] of Object.entries(bin)) {
    refs.addFile(join(root, 'bin', n), sha256(utf8(c)));
    refs.addFile(`/usr/bin/${n}`, sha256(utf8(c)));
  }
  for (const [path, content] of measuredSince) refs.addFile(path, sha256(utf8(content)));
  return refs;
}

/** Files the kernel measured after boot (path → content), known to references made after that. */
const measuredSince = new Map<string, string>();

/** The kernel measures another file: appended to the list and extended into PCR 10. */
async function measureNew(path: string, content: string): Promise<void> {
  const [e] = buildImaLog([{ path, digest: sha256(utf8(content)) }], { templateHashAlg: 'sha1' });
  await tpm.pcrExtend(10, [
    { hashAlg: TPM_ALG.SHA1, digest: imaExtendValue(e!, 'sha1') },
    { hashAlg: TPM_ALG.SHA256, digest: imaExtendValue(e!, 'sha256') },
  ]);
  ima.push(e!);
  measuredSince.set(path, content);
}

let seed = 0;
async function attest(refs: PtsReferences, history: ImaHistory | undefined, list: () => ImaEntry[] = () => ima) {
  const dev = new PtsAttester({
    tpm,
    aik,
    rng: seededRng(`attester ${seed}`),
    imaLog: async () => list(),
    bootLog: async () => bootLog,
  });
  const verifier = new PtsVerifier({
    references: refs,
    files: [{ path: join(root, 'bin'), directory: true }],
    rng: seededRng(`verifier ${seed++}`),
    ...(history ? { imaHistory: history } : {}),
  });
  const wire = (attributes: PaAttribute[]) =>
    decodePaMessage(encodePaMessage({ messageId: 1, attributes }, ptsPaRegistry), ptsPaRegistry).attributes;
  let out = verifier.start();
  for (let round = 0; round < 8; round++) {
    const step = await verifier.receive(wire(await dev.handle(wire(out))));
    if (step.verdict) return step.verdict;
    out = step.send;
  }
  throw new Error('exchange did not end');
}

const counts = (v: PtsVerdict) => v.imaEvents ?? { proven: -1, judged: -1 };

test('a repeat attestation takes the proved IMA events from the checkpoint and judges none again', async (t) => {
  if (!requires(t, SWTPM)) return;
  const refs = references();
  const history = new ImaHistory();
  const first = await attest(refs, history);
  assert.deepEqual(first.reasons, []);
  assert.deepEqual(counts(first), { proven: 0, judged: ima.length });
  assert.equal(history.size, 1);
  const second = await attest(refs, history);
  assert.deepEqual(second.reasons, []);
  assert.equal(second.recommendation, ActionRecommendation.ALLOW);
  assert.deepEqual(counts(second), { proven: ima.length, judged: 0 });
  // Without a history every event is judged every time.
  assert.deepEqual(counts(await attest(refs, undefined)), { proven: 0, judged: ima.length });
});

test('a file measured since the checkpoint is judged alone, and refused when it has no reference', async (t) => {
  if (!requires(t, SWTPM)) return;
  const refs = references();
  const history = new ImaHistory();
  assert.deepEqual((await attest(refs, history)).reasons, []);
  const before = ima.length;
  await measureNew('/usr/bin/nc', 'ELF netcat');
  const v = await attest(refs, history);
  assert.equal(v.recommendation, ActionRecommendation.NO_ACCESS);
  assert.deepEqual(v.reasons, ['IMA /usr/bin/nc: no reference measurement']);
  assert.deepEqual(counts(v), { proven: before, judged: 1 });
  // The operator adds its reference: a new reference version, so the whole list is judged again, and passes.
  refs.addFile('/usr/bin/nc', sha256(utf8('ELF netcat')));
  const again = await attest(refs, history);
  assert.deepEqual(again.reasons, []);
  assert.deepEqual(counts(again), { proven: 0, judged: ima.length });
  assert.deepEqual(counts(await attest(refs, history)), { proven: ima.length, judged: 0 });
});

test('a proved entry altered, or dropped, in a later list voids the checkpoint: judged in full and refused', async (t) => {
  if (!requires(t, SWTPM)) return;
  const refs = references();
  const history = new ImaHistory();
  assert.deepEqual((await attest(refs, history)).reasons, []);
  // Altered: entry 1 claims another digest for its file (the TPM still holds the real one).
  const altered = () => {
    const [e] = buildImaLog([{ path: '/usr/bin/ls', digest: sha256(utf8('ELF ls v2')) }], { templateHashAlg: 'sha1' });
    return ima.map((x, i) => (i === 1 ? e! : x));
  };
  const a = await attest(refs, history, altered);
  assert.equal(a.recommendation, ActionRecommendation.NO_ACCESS);
  assert.equal(counts(a).proven, 0, 'nothing taken from the checkpoint');
  assert.ok(
    a.reasons.some((r) => r.startsWith('IMA /usr/bin/ls: template hash')),
    a.reasons.join('\n'),
  );
  assert.ok(
    a.reasons.some((r) => r.includes('do not match the quoted PCR digest')),
    a.reasons.join('\n'),
  );
  // Dropped: the list without its last entry is a prefix of nothing proved: judged whole, the quote gives it away.
  const d = await attest(refs, history, () => ima.slice(0, -1));
  assert.equal(d.recommendation, ActionRecommendation.NO_ACCESS);
  assert.equal(counts(d).proven, 0);
  assert.ok(
    d.reasons.some((r) => r.includes('do not match the quoted PCR digest')),
    d.reasons.join('\n'),
  );
  // The honest list still takes the checkpoint: failed attestations did not replace it.
  assert.deepEqual(counts(await attest(refs, history)), { proven: ima.length, judged: 0 });
});

test('an entry appended to the list but never extended into the TPM is refused by the quote', async (t) => {
  if (!requires(t, SWTPM)) return;
  const refs = references();
  refs.addFile('/usr/bin/vi', sha256(utf8('ELF vi')));
  const history = new ImaHistory();
  assert.deepEqual((await attest(refs, history)).reasons, []);
  const [extra] = buildImaLog([{ path: '/usr/bin/vi', digest: sha256(utf8('ELF vi')) }], { templateHashAlg: 'sha1' });
  const v = await attest(refs, history, () => [...ima, extra!]);
  assert.equal(v.recommendation, ActionRecommendation.NO_ACCESS);
  assert.deepEqual(counts(v), { proven: ima.length, judged: 1 });
  assert.deepEqual(
    v.reasons.map((r) => r.replace(/PCR [0-9,]+/, 'PCR …')),
    ['quote: PCR … (sha256) replayed from the evidence do not match the quoted PCR digest'],
  );
});

test('references withdrawn after the checkpoint are applied to the proved events too', async (t) => {
  if (!requires(t, SWTPM)) return;
  const refs = references();
  const history = new ImaHistory();
  assert.deepEqual((await attest(refs, history)).reasons, []);
  refs.removeFile('/usr/bin/cat');
  const v = await attest(refs, history);
  assert.equal(v.recommendation, ActionRecommendation.NO_ACCESS);
  assert.equal(counts(v).proven, 0);
  assert.deepEqual(v.reasons, ['IMA /usr/bin/cat: no reference measurement']);
});

test('no checkpoint from a failed attestation, nor from references that cannot tell their version', async (t) => {
  if (!requires(t, SWTPM)) return;
  const history = new ImaHistory();
  const untrusted = references();
  untrusted.trustedAiks.clear();
  const v = await attest(untrusted, history);
  assert.equal(v.recommendation, ActionRecommendation.NO_ACCESS);
  assert.equal(history.size, 0);
  // References without referenceVersion (a plain object over the same values): every event, every time.
  const r = references();
  const unversioned: PtsReferences = {
    fileHashes: (p, a) => r.fileHashes(p, a),
    imaReference: (p, a) => r.imaReference(p, a),
    isTrustedAik: (k) => r.isTrustedAik(k),
  };
  assert.deepEqual((await attest(unversioned, history)).reasons, []);
  assert.deepEqual(counts(await attest(unversioned, history)), { proven: 0, judged: ima.length });
  assert.equal(history.size, 0);
});

test('the history is bounded: the least recently used device is forgotten first', () => {
  const h = new ImaHistory(2);
  const cp = (n: number) => ({ context: 'c', events: n, digest: String(n), pcr: new Uint8Array(32) });
  h.set('a', cp(1));
  h.set('b', cp(2));
  h.set('a', cp(3)); // a is now the most recent
  h.set('c', cp(4));
  assert.equal(h.size, 2);
  assert.equal(h.get('b'), undefined);
  assert.equal(h.get('a')?.events, 3);
  assert.equal(h.get('c')?.events, 4);
  h.forget('a');
  assert.equal(h.get('a'), undefined);
});
