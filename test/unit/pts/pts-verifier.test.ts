/**
 * The PTS verifier core without a TPM (PTS IF-M Binding §3; exchange order of strongSwan's IMV): the file-only
 * flow, D-H parameter checks answered with PTS errors, limits that cut off endless evidence, malformed quote info,
 * and a property that nothing a peer sends makes it throw. Every refusal names what is wrong.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, evidenceFinal as final, imaEvent, sha256 } from './evidence-fixtures.ts';
import type { webcrypto } from 'node:crypto';
import { createHash, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { ConfigError, seededRng, utf8 } from '../../../src/common/index.ts';
import { Pen } from '../../../src/tnc/pa/index.ts';
import type { PaAttribute } from '../../../src/tnc/pa/index.ts';
import { ActionRecommendation } from '../../../src/tnc/pb/constants.ts';
import { EvaluationResult } from '../../../src/tnc/pa/constants.ts';
import { PtsDhGroup, PtsError, PtsMeasAlgo, PtsProtoCaps } from '../../../src/pts/constants.ts';
import { ptsKeyExchange, ptsSecret } from '../../../src/pts/dh-nonce.ts';
import { MemoryPtsReferences, PtsVerifier, ptsDhGroupsFor, splitImaUri } from '../../../src/pts/verify/index.ts';
import { attestImvConfig } from '../../../src/imv/attest/index.ts';
import { ptsAttributeByKind } from './arbitraries.ts';

const caps = (flags: number) => [
  A({ kind: 'tcg/pts-proto-caps', flags }),
  A({ kind: 'tcg/pts-meas-algo-selection', algorithms: PtsMeasAlgo.SHA256 }),
];

test('file-only device (no TPM capability): every file checked, the missing TPM named', async () => {
  const refs = new MemoryPtsReferences().addFile('/etc/a', sha256('a')).addFile('/etc/b', sha256('b'));
  const v = new PtsVerifier({ references: refs, files: [{ path: '/etc/a' }, { path: '/etc/b' }, { path: '/etc/c' }] });
  const first = v.start();
  assert.deepEqual(
    first.map((a) => a.kind),
    ['tcg/pts-req-proto-caps', 'tcg/pts-meas-algo'],
  );
  const step = await v.receive(caps(0));
  assert.deepEqual(
    step.send.map((a) => (a as PaAttribute & { path: string }).path),
    ['/etc/a', '/etc/b', '/etc/c'],
  );
  const meas = (id: number, path: string, content: string) =>
    A({
      kind: 'tcg/pts-file-meas',
      requestId: id,
      measurementLength: 32,
      files: [{ filename: path, measurement: sha256(content) }],
    });
  const r = await v.receive([meas(1, '/etc/a', 'a'), meas(2, '/etc/b', 'B!'), meas(3, '/etc/c', 'c')]);
  assert.ok(r.verdict);
  assert.equal(r.verdict.recommendation, ActionRecommendation.NO_ACCESS);
  assert.deepEqual(
    r.verdict.reasons.map((x) => x.replace(/[0-9a-f]{64}/g, 'H')),
    [
      'the attester offers no TPM with D-H nonce negotiation',
      'file /etc/b: sha256 H does not match the reference H',
      'file /etc/c: no reference measurement (sha256 H)',
    ],
  );
});

async function toNonce(v: PtsVerifier): Promise<PaAttribute> {
  v.start();
  const s = await v.receive(caps(PtsProtoCaps.T | PtsProtoCaps.D));
  const req = s.send.find((a) => a.kind === 'tcg/pts-dh-nonce-params-req') as PaAttribute & Record<string, number>;
  assert.ok(req, 'D-H nonce parameters requested');
  assert.equal(req.minNonceLength, 17);
  return req;
}

test('D-H nonce: both sides derive H("1" ‖ Ni ‖ Nr ‖ secret); a short responder nonce is answered with BAD_NONCE_LENGTH', async () => {
  const v = new PtsVerifier({ references: new MemoryPtsReferences(), rng: seededRng(1) });
  const req = await toNonce(v);
  assert.ok((req as unknown as { dhGroups: number }).dhGroups & PtsDhGroup.IKE19);
  const ke = ptsKeyExchange(PtsDhGroup.IKE19, seededRng(2));
  const nr = new Uint8Array(20).fill(9);
  const s = await v.receive([
    A({
      kind: 'tcg/pts-dh-nonce-params-resp',
      dhGroup: PtsDhGroup.IKE19,
      hashAlgorithms: PtsMeasAlgo.SHA256,
      responderNonce: nr,
      responderValue: ke.publicValue(),
    }),
  ]);
  const fin = s.send[0] as PaAttribute & {
    hashAlgorithm: number;
    initiatorValue: Uint8Array;
    initiatorNonce: Uint8Array;
  };
  assert.equal(fin.kind, 'tcg/pts-dh-nonce-finish');
  assert.deepEqual(
    s.send.slice(1).map((a) => a.kind),
    ['tcg/pts-get-tpm-version-info', 'tcg/pts-get-aik'],
  );
  ke.receive(fin.initiatorValue);
  const secret = ptsSecret(fin.hashAlgorithm, fin.initiatorNonce, nr, ke.sharedSecret());
  assert.equal(secret.byteLength, 32);

  const v2 = new PtsVerifier({ references: new MemoryPtsReferences() });
  await toNonce(v2);
  const bad = await v2.receive([
    A({
      kind: 'tcg/pts-dh-nonce-params-resp',
      dhGroup: PtsDhGroup.IKE19,
      hashAlgorithms: PtsMeasAlgo.SHA256,
      responderNonce: new Uint8Array(8),
      responderValue: ke.publicValue(),
    }),
  ]);
  assert.deepEqual(
    bad.send.map((a) => (a as PaAttribute & { errorCode: number }).errorCode),
    [PtsError.BAD_NONCE_LENGTH],
  );
  assert.equal(bad.verdict?.recommendation, ActionRecommendation.NO_ACCESS);
  assert.match(bad.verdict!.reasons[0]!, /responder nonce of 8 bytes is shorter than 17/);
});

test("D-H groups offered: strongSwan's default (ecp256: IKE19 | IKE14) unless configured otherwise", async () => {
  const offered = async (o: { dhGroups?: number }) =>
    (
      (await toNonce(
        new PtsVerifier({ references: new MemoryPtsReferences(), rng: seededRng(1), ...o }),
      )) as unknown as {
        dhGroups: number;
      }
    ).dhGroups;
  assert.equal(await offered({}), PtsDhGroup.IKE19 | PtsDhGroup.IKE14);
  assert.equal(
    await offered({ dhGroups: ptsDhGroupsFor('ecp384') }),
    PtsDhGroup.IKE20 | PtsDhGroup.IKE19 | PtsDhGroup.IKE14,
  );
  assert.equal(await offered({ dhGroups: ptsDhGroupsFor('MODP2048') }), PtsDhGroup.IKE14);
  assert.throws(() => ptsDhGroupsFor('modp1024'), /not one of ecp384, ecp256, modp2048/);
  // The attest verifier's option reaches the exchange.
  const imv = attestImvConfig({ references: 'x', dhGroup: 'ecp384' }, new MemoryPtsReferences());
  assert.equal(imv.dhGroups, ptsDhGroupsFor('ecp384'));
  assert.throws(() => attestImvConfig({ dhGroup: 'x25519' }, new MemoryPtsReferences()), ConfigError);
});

test('D-H group not offered and a public value off the curve are refused, never thrown', async () => {
  for (const [group, value, re] of [
    [PtsDhGroup.IKE2, new Uint8Array(128), /D-H group 0x8000 was not offered/],
    [PtsDhGroup.IKE19, new Uint8Array(64).fill(1), /D-H responder public value rejected/],
  ] as const) {
    const v = new PtsVerifier({ references: new MemoryPtsReferences() });
    await toNonce(v);
    const s = await v.receive([
      A({
        kind: 'tcg/pts-dh-nonce-params-resp',
        dhGroup: group,
        hashAlgorithms: PtsMeasAlgo.SHA256,
        responderNonce: new Uint8Array(32),
        responderValue: value,
      }),
    ]);
    assert.equal(s.send[0]?.kind, 'ietf/pa-tnc-error');
    assert.match(s.verdict!.reasons.join('\n'), re);
  }
});

test('an algorithm that was not offered is refused with HASH_ALG_NOT_SUPPORTED', async () => {
  const v = new PtsVerifier({ references: new MemoryPtsReferences(), measAlgorithms: PtsMeasAlgo.SHA256 });
  v.start();
  const s = await v.receive([
    A({ kind: 'tcg/pts-proto-caps', flags: 0 }),
    A({ kind: 'tcg/pts-meas-algo-selection', algorithms: PtsMeasAlgo.SHA1 }),
  ]);
  assert.equal((s.send[0] as PaAttribute & { errorVendor: number; errorCode: number }).errorVendor, Pen.TCG);
  assert.equal((s.send[0] as PaAttribute & { errorCode: number }).errorCode, PtsError.HASH_ALG_NOT_SUPPORTED);
  assert.equal(s.verdict?.recommendation, ActionRecommendation.NO_ACCESS);
});

test('a device sending a million tiny files is cut off at the limit', async () => {
  const v = new PtsVerifier({
    references: new MemoryPtsReferences(),
    files: [{ path: '/usr', directory: true }],
    limits: { maxFiles: 1000 },
  });
  v.start();
  await v.receive(caps(0));
  const files = Array.from({ length: 1001 }, (_, i) => ({ filename: `f${i}`, measurement: new Uint8Array(32) }));
  const s = await v.receive([A({ kind: 'tcg/pts-file-meas', requestId: 1, measurementLength: 32, files })]);
  assert.equal(s.verdict?.recommendation, ActionRecommendation.NO_ACCESS);
  assert.ok(s.verdict?.reasons.includes('more than 1000 file measurements: exchange cut off'));
});

/** Drives a verifier to the evidence phase with a real D-H exchange. */
async function toEvidence(v: PtsVerifier, aik = new Uint8Array([0x30, 0x00])): Promise<void> {
  await toNonce(v);
  const ke = ptsKeyExchange(PtsDhGroup.IKE19, seededRng(3));
  await v.receive([
    A({
      kind: 'tcg/pts-dh-nonce-params-resp',
      dhGroup: PtsDhGroup.IKE19,
      hashAlgorithms: PtsMeasAlgo.SHA256,
      responderNonce: new Uint8Array(32),
      responderValue: ke.publicValue(),
    }),
  ]);
  const s = await v.receive([A({ kind: 'tcg/pts-aik', naked: true, aik })]);
  assert.deepEqual(
    s.send.map((a) => a.kind),
    ['tcg/pts-req-func-comp-evid', 'tcg/pts-gen-attest-evid'],
  );
}

test('an endless event log is cut off at the event limit', async () => {
  const v = new PtsVerifier({ references: new MemoryPtsReferences(), limits: { maxEvents: 50 } });
  await toEvidence(v);
  const s = await v.receive(Array.from({ length: 51 }, (_, i) => imaEvent(`/f${i}`, 'x')));
  assert.equal(s.verdict?.reasons[0], 'more than 50 evidence events: exchange cut off');
});

test('malformed evidence (unparsable AIK, garbage quote info) gives an error verdict naming each problem', async () => {
  const refs = new MemoryPtsReferences().addFile('/bin/ok', sha256('ok'));
  const v = new PtsVerifier({ references: refs });
  await toEvidence(v, new Uint8Array([0x30, 0x00]));
  const s = await v.receive([imaEvent('/bin/ok', 'ok'), imaEvent('/bin/evil', 'evil'), final(utf8('junk'))]);
  assert.equal(s.verdict!.recommendation, ActionRecommendation.NO_ACCESS);
  assert.equal(s.verdict!.evaluation, EvaluationResult.ERROR);
  const heads = s.verdict!.reasons.map((r) => r.split(' (')[0]);
  assert.deepEqual(heads, [
    'AIK: the public key does not parse',
    'IMA /bin/evil: no reference measurement',
    'quote: cannot be verified without a usable AIK',
  ]);

  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
  const refs2 = new MemoryPtsReferences().addFile('/bin/ok', sha256('ok'));
  refs2.trustAik(new Uint8Array(createHash('sha1').update(key).digest()));
  const v2 = new PtsVerifier({ references: refs2 });
  await toEvidence(v2, new Uint8Array(key));
  const s2 = await v2.receive([imaEvent('/bin/ok', 'ok'), final(utf8('junk'))]);
  assert.deepEqual(
    s2.verdict!.reasons.map((r) => r.split(' (')[0]),
    ['quote: malformed TPM 2.0 quote info'],
  );
  assert.equal(s2.verdict!.evaluation, EvaluationResult.ERROR);
});

test('IMA policy URIs split at the first colon', () => {
  assert.deepEqual(splitImaUri('sha256:/a:b'), { algo: 'sha256', path: '/a:b' });
  assert.equal(splitImaUri('nocolon'), undefined);
  assert.equal(splitImaUri(':x'), undefined);
});

test('whatever a peer sends, in any phase, the verifier answers or decides — it never throws — property', async () => {
  const anyAttr = fc.oneof(...Object.values(ptsAttributeByKind));
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(anyAttr, { maxLength: 4 }), { maxLength: 5 }), async (batches) => {
      const v = new PtsVerifier({ references: new MemoryPtsReferences(), files: [{ path: '/x' }], rng: seededRng(5) });
      v.start();
      for (const b of batches) {
        const s = await v.receive(b);
        if (s.verdict) {
          assert.ok(s.verdict.reasons.length > 0 || s.verdict.recommendation === ActionRecommendation.ALLOW);
          assert.ok(s.verdict.reasons.length === 0 || s.verdict.recommendation === ActionRecommendation.NO_ACCESS);
        }
      }
    }),
    { numRuns: 150 },
  );
});

test('an AIK sent as an X.509 certificate is identified by the SHA-1 of its SubjectPublicKeyInfo', async () => {
  const { x509 } = await import('../../../src/common/x509.ts');
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await crypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=aik',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: alg,
  });
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey));
  const keyId = new Uint8Array(createHash('sha1').update(spki).digest());
  const v = new PtsVerifier({ references: new MemoryPtsReferences(), rng: seededRng(8) });
  await toNonce(v);
  const ke = ptsKeyExchange(PtsDhGroup.IKE19, seededRng(9));
  await v.receive([
    A({
      kind: 'tcg/pts-dh-nonce-params-resp',
      dhGroup: PtsDhGroup.IKE19,
      hashAlgorithms: PtsMeasAlgo.SHA256,
      responderNonce: new Uint8Array(32),
      responderValue: ke.publicValue(),
    }),
  ]);
  await v.receive([A({ kind: 'tcg/pts-aik', naked: false, aik: new Uint8Array(cert.rawData) })]);
  const s = await v.receive([final(new Uint8Array([0, 0, 0, 0]))]);
  assert.equal(s.verdict?.aikKeyId, Buffer.from(keyId).toString('hex'));
  assert.equal(s.verdict?.reasons[0], `AIK ${Buffer.from(keyId).toString('hex')} is not trusted`);
});
