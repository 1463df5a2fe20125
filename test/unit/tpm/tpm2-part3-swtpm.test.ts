// TPM 2.0 Part 3 commands against a real TPM (swtpm, freshly manufactured by swtpm_setup for each test file).
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, verify } from 'node:crypto';
import { ConfigError, TimeoutError, concat, subscribe, toHex, utf8 } from '../../../src/common/index.ts';
import { x509 } from '../../../src/common/x509.ts';
import { requires } from '../../support/env.ts';
import { startSwtpm } from '../../support/swtpm.ts';
import { SwtpmTransport } from '../../../src/tpm/transport/swtpm.ts';
import { Tpm, hmacAuth, passwordAuth, withTransient } from '../../../src/tpm/client.ts';
import { RC, TpmError } from '../../../src/tpm/rc.ts';
import { createEk, readEkCertificate, withEk } from '../../../src/tpm/ek.ts';
import { DEFAULT_AIK_HANDLE, KEY_SCHEME, createAik, loadAik } from '../../../src/tpm/aik.ts';
import { keyId, objectName, publicKeyOf, spkiDer } from '../../../src/tpm/keys.ts';
import { issueAikCertificate, issueChallenge } from '../../../src/tpm/privacy-ca.ts';
import { makeCredential } from '../../../src/tpm/credential.ts';
import { aikTemplateEccP256, srkTemplateRsa2048 } from '../../../src/tpm/templates.ts';
import { unmarshal } from '../../../src/tpm/marshal.ts';
import { TPMS_ATTEST, certifyInfo } from '../../../src/tpm/types/attest.ts';
import { HANDLE_RANGE, TPM_ALG, TPM_CAP, TPM_PT, TPM_RH, TPM_ST } from '../../../src/tpm/types/constants.ts';
import { pcrSelectBytes } from '../../../src/tpm/types/basic.ts';
import type { TPMS_SIGNATURE_ECC } from '../../../src/tpm/types/signature.ts';
import { verifyQuote } from '../../../src/tpm/verify-quote.ts';
import {
  createAik as cliCreateAik,
  quote as cliQuote,
  readEk,
  readPcrs,
  tpmInfo,
  verifyQuote as cliVerify,
} from '../../../src/tpm/cli.ts';
import { webcrypto } from 'node:crypto';
import type { Socket } from 'node:net';

async function tpmFor(
  t: TestContext,
  opts: { startupClear?: boolean } = {},
): Promise<{ tpm: Tpm; transport: SwtpmTransport } | undefined> {
  if (!requires(t, { commands: ['swtpm', 'swtpm_setup'] })) return undefined;
  const sw = await startSwtpm(opts);
  const transport = new SwtpmTransport({ port: sw.port, ctrlPort: sw.ctrlPort });
  t.after(async () => {
    await transport.close();
    await sw.stop();
  });
  return { tpm: new Tpm(transport), transport };
}

/** Transient objects and loaded sessions the TPM holds now. */
async function live(tpm: Tpm): Promise<number[]> {
  return [
    ...(await tpm.handles(HANDLE_RANGE.TRANSIENT)),
    ...(await tpm.handles(HANDLE_RANGE.HMAC_SESSION)),
    ...(await tpm.handles(HANDLE_RANGE.POLICY_SESSION)),
  ];
}

test('Startup: commands before TPM2_Startup fail with TPM_RC_INITIALIZE; CMD_INIT power-cycles', async (t) => {
  const s = await tpmFor(t, { startupClear: false });
  if (!s) return;
  const { tpm, transport } = s;
  await assert.rejects(tpm.getRandom(8), (e: unknown) => e instanceof TpmError && e.rcName === 'TPM_RC_INITIALIZE');
  await tpm.startup('clear');
  assert.equal((await tpm.getRandom(8)).byteLength, 8);
  await assert.rejects(tpm.startup('clear'), (e: unknown) => e instanceof TpmError && e.is(RC.INITIALIZE));
  await tpm.shutdown('clear');
  await transport.init();
  await assert.rejects(tpm.getRandom(8), /TPM_RC_INITIALIZE/);
  await tpm.ensureStarted();
  await tpm.ensureStarted();
  const r = await tpm.getRandom(100);
  assert.equal(r.byteLength, 100);
  assert.notEqual(toHex(r.subarray(0, 32)), toHex(r.subarray(32, 64)));
});

test('GetCapability: properties, PCR banks, algorithms, handles; errors name the parameter', async (t) => {
  const s = await tpmFor(t);
  if (!s) return;
  const { tpm } = s;
  const props = await tpm.properties();
  assert.equal(props.get(TPM_PT.FAMILY_INDICATOR), 0x322e3000); // "2.0\0"
  assert.ok((props.get(TPM_PT.PCR_COUNT) ?? 0) >= 24);
  const banks = await tpm.pcrBanks();
  assert.deepEqual(
    banks.filter((b) => b.pcrs.length).map((b) => b.hash),
    [TPM_ALG.SHA1, TPM_ALG.SHA256],
  );
  const algs = (await tpm.algorithms()).map((a) => a.alg);
  for (const a of [TPM_ALG.RSA, TPM_ALG.ECC, TPM_ALG.SHA256, TPM_ALG.AES, TPM_ALG.ECDSA]) assert.ok(algs.includes(a));
  const persistent = await tpm.handles(HANDLE_RANGE.PERSISTENT);
  assert.ok(persistent.includes(0x81010001), 'swtpm_setup persisted the RSA EK');
  await assert.rejects(
    tpm.getCapability(0x99, 0, 1),
    (e: unknown) => e instanceof TpmError && /TPM_RC_VALUE \(parameter 1\)/.test(e.message),
  );
  const info = await tpmInfo(tpm);
  assert.equal(info.manufacturer, 'IBM');
  assert.deepEqual(
    (info.pcrBanks as { bank: string }[]).map((b) => b.bank),
    ['sha1', 'sha256'],
  );
});

test('PCR_Extend, PCR_Event and PCR_Read agree with H(old ‖ digest) in every bank', async (t) => {
  const s = await tpmFor(t);
  if (!s) return;
  const { tpm } = s;
  const sel = [
    { hash: TPM_ALG.SHA1, pcrs: [16] },
    { hash: TPM_ALG.SHA256, pcrs: [16] },
  ];
  const before = await tpm.pcrRead(sel);
  const d1 = new Uint8Array(createHash('sha1').update('one').digest());
  const d256 = new Uint8Array(createHash('sha256').update('one').digest());
  await tpm.pcrExtend(16, [
    { hashAlg: TPM_ALG.SHA1, digest: d1 },
    { hashAlg: TPM_ALG.SHA256, digest: d256 },
  ]);
  const after = await tpm.pcrRead(sel);
  const expect256 = createHash('sha256')
    .update(concat(before.banks.get(TPM_ALG.SHA256)!.get(16)!, d256))
    .digest('hex');
  const expect1 = createHash('sha1')
    .update(concat(before.banks.get(TPM_ALG.SHA1)!.get(16)!, d1))
    .digest('hex');
  assert.equal(toHex(after.banks.get(TPM_ALG.SHA256)!.get(16)!), expect256);
  assert.equal(toHex(after.banks.get(TPM_ALG.SHA1)!.get(16)!), expect1);
  const ev = await tpm.pcrEvent(16, utf8('event data'));
  const evd = ev.find((d) => d.hashAlg === TPM_ALG.SHA256)!.digest;
  assert.equal(toHex(evd), createHash('sha256').update('event data').digest('hex'));
  const third = await tpm.pcrRead(sel);
  assert.equal(
    toHex(third.banks.get(TPM_ALG.SHA256)!.get(16)!),
    createHash('sha256')
      .update(concat(after.banks.get(TPM_ALG.SHA256)!.get(16)!, evd))
      .digest('hex'),
  );
  // 24 PCRs need several TPM2_PCR_Read calls (at most 8 digests per answer).
  const all = await readPcrs(tpm, { banks: ['sha256'] });
  assert.equal(Object.keys(all.sha256!).length, 24);
  assert.equal(all.sha256!['16'], toHex(third.banks.get(TPM_ALG.SHA256)!.get(16)!));
});

test("EK: our template re-creates swtpm_setup's EK, and its NV certificate certifies that key", async (t) => {
  const s = await tpmFor(t);
  if (!s) return;
  const { tpm } = s;
  const persisted = await tpm.readPublic(0x81010001);
  await withEk(tpm, 'rsa', async (ek) => {
    assert.equal(toHex(ek.name), toHex(persisted.name));
    assert.equal(toHex(objectName(ek.public)), toHex(ek.name));
    const cert = await readEkCertificate(tpm, 'rsa');
    assert.ok(cert, 'EK certificate at 0x01c00002');
    assert.equal(cert.index, 0x01c00002);
    const x = new x509.X509Certificate(cert.der);
    assert.equal(toHex(new Uint8Array(x.publicKey.rawData)), toHex(spkiDer(ek.public)));
  });
  const ecc = await createEk(tpm, 'ecc');
  assert.equal(ecc.public.type, TPM_ALG.ECC);
  await tpm.flush(ecc.handle);
  // swtpm 0.7 certifies a P-384 ECC EK (0x01c00016), so the P-256 index is empty.
  assert.equal(await readEkCertificate(tpm, 'ecc'), undefined);
  const j = await readEk(tpm, { type: 'rsa' });
  assert.equal((j.certificate as { matchesEk: boolean }).matchesEk, true);
  assert.deepEqual(await live(tpm), []);
});

test('AIK under the EK: persisted at 0x81010003, quotes verify, key id is SHA-1(SPKI)', async (t) => {
  const s = await tpmFor(t);
  if (!s) return;
  const { tpm } = s;
  const aik = await createAik(tpm);
  assert.equal(aik.handle, DEFAULT_AIK_HANDLE);
  assert.equal(aik.public.type, TPM_ALG.ECC);
  assert.equal(toHex(aik.keyId), createHash('sha1').update(aik.spki).digest('hex'));
  assert.ok((await tpm.handles(HANDLE_RANGE.PERSISTENT)).includes(DEFAULT_AIK_HANDLE));
  assert.equal(toHex((await loadAik(tpm)).name), toHex(aik.name));
  await assert.rejects(createAik(tpm), ConfigError);
  const nonce = await tpm.getRandom(20);
  const pcrs = [0, 1, 2, 3, 16];
  const q = await tpm.quote(aik.handle, nonce, [{ hash: TPM_ALG.SHA256, pcrSelect: pcrSelectBytes(pcrs) }], KEY_SCHEME);
  const values = (await tpm.pcrRead([{ hash: TPM_ALG.SHA256, pcrs }])).banks.get(TPM_ALG.SHA256)!;
  const attest = verifyQuote({
    quoted: q.quoted,
    signature: q.signature,
    aik: aik.public,
    nonce,
    pcrs: [{ hash: TPM_ALG.SHA256, values }],
  });
  assert.equal(toHex(attest.qualifiedSigner.subarray(0, 2)), '000b');
  // RSA AIK (RSASSA), replacing the ECC one.
  const rsa = await createAik(tpm, { type: 'rsa', replace: true });
  const q2 = await tpm.quote(
    rsa.handle,
    nonce,
    [{ hash: TPM_ALG.SHA256, pcrSelect: pcrSelectBytes(pcrs) }],
    KEY_SCHEME,
  );
  assert.equal(q2.signature.sigAlg, TPM_ALG.RSASSA);
  verifyQuote({
    quoted: q2.quoted,
    signature: q2.signature,
    aik: rsa.spki,
    nonce,
    pcrs: [{ hash: TPM_ALG.SHA256, values }],
  });
  // CLI functions: quote → JSON → verify.
  const j = await cliQuote(tpm, { pcrs });
  const aikJ = j.aik as { spki: string };
  const v = cliVerify({
    quoted: j.quoted as string,
    signature: j.signature as string,
    aik: aikJ.spki,
    nonce: j.nonce as string,
    pcrs: j.pcrs as Record<string, Record<string, string>>,
  });
  assert.equal(v.ok, true, JSON.stringify(v));
  const created = await cliCreateAik(tpm, { parent: 'srk', handle: 0x81010004 });
  assert.equal(created.handle, '0x81010004');
  assert.deepEqual(await live(tpm), []);
});

test('privacy CA: MakeCredential in software, ActivateCredential on the TPM, AIK certificate issued', async (t) => {
  const s = await tpmFor(t);
  if (!s) return;
  const { tpm } = s;
  const aik = await createAik(tpm, { handle: 0x81010005 });
  for (const ekType of ['rsa', 'ecc'] as const) {
    await withEk(tpm, ekType, async (ek) => {
      const { challenge, state } = issueChallenge(ek.public, aik.public);
      const answer = await tpm.withEkPolicy((ekAuth) =>
        tpm.activateCredential(aik.handle, ek.handle, challenge.credentialBlob, challenge.secret, [
          passwordAuth(),
          ekAuth,
        ]),
      );
      assert.equal(toHex(answer), toHex(state.secret));
      const ca = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
        'sign',
        'verify',
      ])) as webcrypto.CryptoKeyPair;
      const cert = await issueAikCertificate({
        state,
        response: answer,
        ca: { key: ca.privateKey },
        subject: 'CN=swtpm',
      });
      assert.equal(toHex(cert.keyId), toHex(keyId(aik.spki)));
      // A credential bound to another name does not activate: the TPM's integrity check fails.
      const wrongName = aik.name.slice();
      wrongName[10]! ^= 1;
      const bad = issueChallenge(ek.public, aik.public);
      const forged = makeCredential(ek.public, wrongName, bad.state.secret);
      await assert.rejects(
        tpm.withEkPolicy((ekAuth) =>
          tpm.activateCredential(aik.handle, ek.handle, forged.credentialBlob, forged.secret, [passwordAuth(), ekAuth]),
        ),
        (e: unknown) => e instanceof TpmError && e.rcName === 'TPM_RC_INTEGRITY',
      );
    });
  }
  assert.deepEqual(await live(tpm), []);
});

test('no transient handle or session leaks, including when commands fail', async (t) => {
  const s = await tpmFor(t);
  if (!s) return;
  const { tpm } = s;
  const before = await tpm.transientHandles();
  assert.deepEqual(before, []);
  await assert.rejects(
    withTransient(tpm, createEk(tpm, 'rsa'), async () => {
      throw new Error('caller failed');
    }),
    /caller failed/,
  );
  // A failing TPM command inside a policy session: wrong endorsement password → TPM_RC_BAD_AUTH, session flushed.
  await assert.rejects(
    withEk(tpm, 'rsa', (ek) =>
      tpm.withEkPolicy((a) => tpm.create(ek.handle, srkTemplateRsa2048(), a), passwordAuth(utf8('wrong'))),
    ),
    (e: unknown) => e instanceof TpmError && e.message.includes('TPM2_PolicySecret: TPM_RC_BAD_AUTH (session 1)'),
  );
  // A failing command in the middle of createAik (persistent handle in use) after EK and AIK were loaded.
  await createAik(tpm, { handle: 0x81010006 });
  await assert.rejects(createAik(tpm, { handle: 0x81010006 }), ConfigError);
  // Persisting into an owner handle with a wrong owner password.
  await assert.rejects(
    createAik(tpm, { handle: 0x81010007, ownerAuth: passwordAuth(utf8('nope')) }),
    /TPM_RC_BAD_AUTH \(session 1\)/,
  );
  assert.deepEqual(await live(tpm), []);
  const cap = await tpm.getCapability(TPM_CAP.HANDLES, HANDLE_RANGE.TRANSIENT, 16);
  assert.deepEqual(cap.data.data, []);
});

test('ContextSave/ContextLoad and Certify', async (t) => {
  const s = await tpmFor(t);
  if (!s) return;
  const { tpm } = s;
  const aik = await createAik(tpm);
  await withTransient(tpm, tpm.createPrimary(TPM_RH.OWNER, srkTemplateRsa2048()), async (srk) => {
    const ctx = await tpm.contextSave(srk.handle);
    assert.equal(ctx.savedHandle >>> 24, 0x80);
    const again = await tpm.contextLoad(ctx);
    try {
      assert.notEqual(again, srk.handle);
      assert.equal(toHex((await tpm.readPublic(again)).name), toHex(srk.name));
    } finally {
      await tpm.flush(again);
    }
    const nonce = utf8('certify-nonce');
    const c = await tpm.certify(srk.handle, aik.handle, nonce, KEY_SCHEME);
    const a = unmarshal(TPMS_ATTEST, c.certifyInfo);
    assert.equal(a.type, TPM_ST.ATTEST_CERTIFY);
    assert.equal(toHex(certifyInfo(a)!.name), toHex(srk.name));
    assert.equal(toHex(a.extraData), toHex(nonce));
    const sig = c.signature.signature as TPMS_SIGNATURE_ECC;
    assert.ok(
      verify(
        'sha256',
        c.certifyInfo,
        { key: publicKeyOf(aik.public), dsaEncoding: 'ieee-p1363' },
        concat(sig.signatureR, sig.signatureS),
      ),
    );
  });
  assert.deepEqual(await live(tpm), []);
});

test('swtpm transport: a silent TPM times out with TimeoutError, and commands are serialized', async (t) => {
  const net = await import('node:net');
  const sockets: Socket[] = [];
  // A TPM that reads commands and never answers.
  const server = net.createServer((c) => {
    sockets.push(c);
    c.resume();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(
    () =>
      new Promise<void>((r) => {
        for (const c of sockets) c.destroy();
        server.close(() => r());
      }),
  );
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const tr = new SwtpmTransport({ port, timeoutMs: 200 });
  t.after(() => tr.close());
  const tpm = new Tpm(tr);
  const [a, b] = await Promise.allSettled([tpm.getRandom(4), tpm.getRandom(4)]);
  assert.ok(a.status === 'rejected' && a.reason instanceof TimeoutError);
  assert.ok(b.status === 'rejected' && b.reason instanceof TimeoutError);
});

test('concurrent callers share one swtpm connection: each gets its own, well-framed answer', async (t) => {
  const s = await tpmFor(t);
  if (!s) return;
  const results = await Promise.all(Array.from({ length: 10 }, () => s.tpm.getRandom(32)));
  assert.equal(new Set(results.map(toHex)).size, 10);
});

test('HMAC sessions: cpHash/rpHash HMACs accepted by the TPM, nonces roll, a wrong authValue is TPM_RC_AUTH_FAIL', async (t) => {
  const s = await tpmFor(t);
  if (!s) return;
  const { tpm } = s;
  const session = await tpm.startHmacSession();
  try {
    assert.equal(session.handle >>> 24, 0x02);
    const n0 = toHex(session.nonceTPM);
    await tpm.pcrExtend(16, [{ hashAlg: TPM_ALG.SHA256, digest: new Uint8Array(32).fill(3) }], hmacAuth(session));
    assert.notEqual(toHex(session.nonceTPM), n0, 'the response brought a new nonceTPM');
    // A key with a non-empty authValue: the HMAC key is sessionKey ‖ authValue.
    await withTransient(tpm, tpm.createPrimary(TPM_RH.OWNER, srkTemplateRsa2048()), async (srk) => {
      const template = aikTemplateEccP256();
      template.objectAttributes.restricted = false;
      const created = await tpm.create(srk.handle, template, hmacAuth(session), utf8('key secret'));
      await withTransient(tpm, tpm.load(srk.handle, created, passwordAuth()), async (key) => {
        const q = await tpm.quote(
          key.handle,
          utf8('n'),
          [{ hash: TPM_ALG.SHA256, pcrSelect: pcrSelectBytes([16]) }],
          KEY_SCHEME,
          hmacAuth(session, utf8('key secret')),
        );
        assert.equal(q.signature.sigAlg, TPM_ALG.ECDSA);
        await assert.rejects(
          tpm.quote(
            key.handle,
            utf8('n'),
            [{ hash: TPM_ALG.SHA256, pcrSelect: pcrSelectBytes([16]) }],
            KEY_SCHEME,
            hmacAuth(session, utf8('wrong')),
          ),
          (e: unknown) => e instanceof TpmError && e.message.includes('TPM_RC_AUTH_FAIL (session 1)'),
        );
      });
    });
  } finally {
    await tpm.flushQuietly(session.handle);
  }
  assert.deepEqual(await live(tpm), []);
});

test('a quote over two banks verifies bank by bank; every command is published on tpm:command', async (t) => {
  const s = await tpmFor(t);
  if (!s) return;
  const { tpm } = s;
  const events: { cc: string; rc: number }[] = [];
  const unsubscribe = subscribe('tpm:command', (m) => events.push({ cc: m.cc, rc: m.rc }));
  t.after(unsubscribe);
  const aik = await createAik(tpm, { type: 'rsa-pss' });
  const sel = [
    { hash: TPM_ALG.SHA1, pcrs: [0, 7] },
    { hash: TPM_ALG.SHA256, pcrs: [0, 1, 16] },
  ];
  const nonce = utf8('two banks');
  const q = await tpm.quote(
    aik.handle,
    nonce,
    sel.map((b) => ({ hash: b.hash, pcrSelect: pcrSelectBytes(b.pcrs) })),
    KEY_SCHEME,
  );
  assert.equal(q.signature.sigAlg, TPM_ALG.RSAPSS);
  const values = await tpm.pcrRead(sel);
  const pcrs = sel.map((b) => ({ hash: b.hash, values: values.banks.get(b.hash)! }));
  verifyQuote({ quoted: q.quoted, signature: q.signature, aik: aik.spki, nonce, pcrs });
  assert.throws(
    () => verifyQuote({ quoted: q.quoted, signature: q.signature, aik: aik.spki, nonce, pcrs: [...pcrs].reverse() }),
    /PCR set/,
  );
  await assert.rejects(tpm.getCapability(0x77, 0, 1), TpmError);
  assert.ok(events.some((e) => e.cc.startsWith('Quote') && e.rc === 0));
  assert.ok(events.some((e) => e.cc.startsWith('GetCapability') && e.rc === 0x1c4));
});
