// Quote verification (TPM 2.0 Part 2 §10.12.12, Part 3 §18.4): real swtpm quotes (vectors/swtpm-quote-*.json,
// captured by vectors/capture-vectors.ts) and software-signed TPMS_ATTEST; every bad input names what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { VerifyError, fromHex } from '../../../src/common/index.ts';
import { marshal, unmarshal } from '../../../src/tpm/marshal.ts';
import { TPMS_ATTEST, TPM_GENERATED_VALUE } from '../../../src/tpm/types/attest.ts';
import { TPMT_SIGNATURE } from '../../../src/tpm/types/signature.ts';
import type { TPMT_SIGNATURE as Sig } from '../../../src/tpm/types/signature.ts';
import { TPM2B_PUBLIC } from '../../../src/tpm/types/public.ts';
import { TPM_ALG, TPM_ST } from '../../../src/tpm/types/constants.ts';
import {
  MemoryQuoteHistory,
  QuoteVerifyError,
  checkQuote,
  checkQuoteReplay,
  comparePcrs,
  pcrDigest,
  selectionOf,
  verifyQuote,
  verifyQuoteWithHistory,
} from '../../../src/tpm/verify-quote.ts';
import type { ExpectedBank, QuoteInput } from '../../../src/tpm/verify-quote.ts';
import { verifyQuote as verifyQuoteJson } from '../../../src/tpm/cli.ts';

interface Vector {
  aikPublic: string;
  aikSpki: string;
  nonce: string;
  pcrs: { sha256: Record<string, string> };
  quoted: string;
  signature: string;
}
const load = (n: string): Vector => JSON.parse(readFileSync(join(import.meta.dirname, 'vectors', n), 'utf8')) as Vector;

function inputOf(v: Vector): QuoteInput {
  return {
    quoted: fromHex(v.quoted),
    signature: fromHex(v.signature),
    aik: fromHex(v.aikSpki),
    nonce: fromHex(v.nonce),
    pcrs: [
      { hash: TPM_ALG.SHA256, values: new Map(Object.entries(v.pcrs.sha256).map(([k, x]) => [Number(k), fromHex(x)])) },
    ],
  };
}
const whats = (i: QuoteInput) => checkQuote(i).failures.map((f) => f.what);

for (const type of ['ecc', 'rsa']) {
  const v = load(`swtpm-quote-${type}.json`);

  test(`swtpm ${type} quote verifies with the AIK as SPKI and as TPMT_PUBLIC`, () => {
    const a = verifyQuote(inputOf(v));
    assert.equal(a.magic, TPM_GENERATED_VALUE);
    assert.equal(a.type, TPM_ST.ATTEST_QUOTE);
    verifyQuote({ ...inputOf(v), aik: unmarshal(TPM2B_PUBLIC, fromHex(v.aikPublic)) });
  });

  test(`swtpm ${type} quote with a wrong nonce is rejected naming the nonce`, () => {
    const i = { ...inputOf(v), nonce: fromHex('00'.repeat(20)) };
    assert.deepEqual(whats(i), ['nonce']);
    assert.throws(
      () => verifyQuote(i),
      (e: unknown) => e instanceof QuoteVerifyError && /qualifying data .* is not the nonce/.test(e.message),
    );
  });

  test(`swtpm ${type} quote checked against another PCR set is rejected naming the PCR set`, () => {
    const i = inputOf(v);
    const values = new Map(i.pcrs[0]!.values);
    values.delete(16);
    assert.deepEqual(whats({ ...i, pcrs: [{ hash: TPM_ALG.SHA256, values }] }), ['pcr-selection']);
    const sha1 = [{ hash: TPM_ALG.SHA1, values: i.pcrs[0]!.values }];
    assert.throws(
      () => verifyQuote({ ...i, pcrs: sha1 }),
      /quoted PCR set sha256:0,1,2,3,16 is not the expected sha1:0,1,2,3,16/,
    );
  });

  test(`swtpm ${type} quote with other PCR values is rejected naming the digest`, () => {
    const i = inputOf(v);
    const values = new Map(i.pcrs[0]!.values);
    values.set(16, new Uint8Array(32));
    assert.deepEqual(whats({ ...i, pcrs: [{ hash: TPM_ALG.SHA256, values }] }), ['pcr-digest']);
  });

  test(`swtpm ${type} quote with a damaged signature or attest is rejected naming the signature`, () => {
    const i = inputOf(v);
    const sig = unmarshal(TPMT_SIGNATURE, i.signature as Uint8Array);
    const s = sig.signature as { sig?: Uint8Array; signatureS?: Uint8Array };
    const target = s.sig ?? s.signatureS!;
    target[target.byteLength - 1]! ^= 1;
    assert.deepEqual(whats({ ...i, signature: sig }), ['signature']);
    const quoted = (i.quoted as Uint8Array).slice();
    quoted[quoted.byteLength - 1]! ^= 1; // last byte of pcrDigest: digest and signature both fail
    assert.deepEqual(whats({ ...i, quoted }), ['pcr-digest', 'signature']);
    const other =
      type === 'ecc'
        ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
    assert.deepEqual(whats({ ...i, aik: other.publicKey }), ['signature']);
  });

  test(`swtpm ${type} quote: the clock may not go back without a reset or restart`, async () => {
    const i = inputOf(v);
    const a = verifyQuote(i);
    const later = {
      clock: a.clockInfo.clock + 1000n,
      resetCount: a.clockInfo.resetCount,
      restartCount: a.clockInfo.restartCount,
    };
    assert.deepEqual(whats({ ...i, previous: later }), ['clock']);
    assert.deepEqual(whats({ ...i, previous: { ...later, resetCount: a.clockInfo.resetCount - 1 } }), []);
    assert.deepEqual(whats({ ...i, previous: { ...later, resetCount: a.clockInfo.resetCount + 1 } }), ['clock']);
    const h = new MemoryQuoteHistory();
    await verifyQuoteWithHistory(h, 'dev', i);
    assert.equal((await h.get('dev'))?.clock, a.clockInfo.clock);
    await verifyQuoteWithHistory(h, 'dev', i); // same clock: not backwards
    await h.put('dev', later);
    await assert.rejects(verifyQuoteWithHistory(h, 'dev', i), /clock went back/);
  });

  test(`swtpm ${type} quote through the JSON verifier`, () => {
    const ok = verifyQuoteJson({
      quoted: v.quoted,
      signature: v.signature,
      aik: v.aikSpki,
      nonce: v.nonce,
      pcrs: v.pcrs,
    });
    assert.equal(ok.ok, true);
    const bad = verifyQuoteJson({
      quoted: v.quoted,
      signature: v.signature,
      aik: v.aikSpki,
      nonce: '00',
      pcrs: v.pcrs,
    });
    assert.deepEqual(bad.failures, [
      { what: 'nonce', message: `nonce: qualifying data ${v.nonce} is not the nonce 00` },
    ]);
  });
}

test('malformed evidence is a failure naming the structure, never an exception', () => {
  const v = load('swtpm-quote-ecc.json');
  const i = inputOf(v);
  assert.deepEqual(whats({ ...i, quoted: (i.quoted as Uint8Array).subarray(0, 30) }), ['attest']);
  assert.deepEqual(whats({ ...i, signature: fromHex('0018000b') }), ['signature']);
  assert.deepEqual(whats({ ...i, aik: fromHex('3000') }), ['signature']);
});

// ----- Software-signed quotes: every scheme, and properties ------------------------------------------------------

type Scheme = 'ecdsa' | 'rsassa' | 'rsapss';
const keys: Record<Scheme, { privateKey: KeyObject; publicKey: KeyObject }> = {
  ecdsa: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }),
  rsassa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  rsapss: generateKeyPairSync('rsa', { modulusLength: 2048 }),
};

function softQuote(
  scheme: Scheme,
  nonce: Uint8Array,
  pcrs: ExpectedBank[],
  opts: { magic?: number; type?: number; clock?: bigint } = {},
) {
  const attest = marshal(TPMS_ATTEST, {
    magic: opts.magic ?? TPM_GENERATED_VALUE,
    type: opts.type ?? TPM_ST.ATTEST_QUOTE,
    qualifiedSigner: new Uint8Array(34),
    extraData: nonce,
    clockInfo: { clock: opts.clock ?? 1000n, resetCount: 1, restartCount: 0, safe: true },
    firmwareVersion: 0x2019n,
    attested: { pcrSelect: selectionOf(pcrs), pcrDigest: pcrDigest(TPM_ALG.SHA256, pcrs) },
  });
  const k = keys[scheme].privateKey;
  let sig: Sig;
  if (scheme === 'ecdsa') {
    const raw = sign('sha256', attest, { key: k, dsaEncoding: 'ieee-p1363' });
    sig = {
      sigAlg: TPM_ALG.ECDSA,
      signature: { hash: TPM_ALG.SHA256, signatureR: raw.subarray(0, 32), signatureS: raw.subarray(32) },
    };
  } else {
    const padding = scheme === 'rsassa' ? constants.RSA_PKCS1_PADDING : constants.RSA_PKCS1_PSS_PADDING;
    const raw = sign('sha256', attest, { key: k, padding, saltLength: 32 });
    sig = {
      sigAlg: scheme === 'rsassa' ? TPM_ALG.RSASSA : TPM_ALG.RSAPSS,
      signature: { hash: TPM_ALG.SHA256, sig: new Uint8Array(raw) },
    };
  }
  return { quoted: attest, signature: sig, aik: keys[scheme].publicKey };
}

const bankArb = fc
  .uniqueArray(fc.integer({ min: 0, max: 23 }), { minLength: 1, maxLength: 8 })
  .chain((idx) =>
    fc.tuple(
      fc.constant(idx),
      fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: idx.length, maxLength: idx.length }),
    ),
  )
  .map(([idx, vals]) => [{ hash: TPM_ALG.SHA256, values: new Map(idx.map((p, i) => [p, new Uint8Array(vals[i]!)])) }]);

test('property: software quotes verify for ECDSA, RSASSA and RSA-PSS, and fail on any other nonce', () => {
  fc.assert(
    fc.property(
      fc.constantFrom<Scheme>('ecdsa', 'rsassa', 'rsapss'),
      fc.uint8Array({ minLength: 1, maxLength: 32 }),
      bankArb,
      (scheme, n, pcrs) => {
        const nonce = new Uint8Array(n);
        const q = softQuote(scheme, nonce, pcrs);
        verifyQuote({ ...q, nonce, pcrs });
        const other = nonce.slice();
        other[0]! ^= 0xff;
        assert.deepEqual(whats({ ...q, nonce: other, pcrs }), ['nonce']);
      },
    ),
    { numRuns: 40 },
  );
});

test('a structure that is not a TPM-generated quote is rejected naming magic and type', () => {
  const nonce = new Uint8Array(8);
  const pcrs = [{ hash: TPM_ALG.SHA256, values: new Map([[0, new Uint8Array(32)]]) }];
  const q = softQuote('ecdsa', nonce, pcrs, { magic: 0x12345678 });
  assert.deepEqual(whats({ ...q, nonce, pcrs }), ['magic']);
  const e = checkQuote({ ...q, nonce, pcrs }).failures[0];
  assert.ok(e instanceof VerifyError && /is not TPM_GENERATED_VALUE/.test(e.message));
});

test('replayed PCR values: a good quote passes; each differing or unquoted PCR is named with its bank', () => {
  const i = inputOf(load('swtpm-quote-ecc.json'));
  const reported = i.pcrs[0]!.values;
  assert.equal(checkQuoteReplay({ ...i, replayed: [{ hash: TPM_ALG.SHA256, values: reported }] }).ok, true);
  const replayed = new Map(reported);
  replayed.set(3, new Uint8Array(32).fill(7));
  replayed.set(10, new Uint8Array(32));
  const v = checkQuoteReplay({ ...i, replayed: [{ hash: TPM_ALG.SHA256, values: replayed }] });
  assert.equal(v.ok, false);
  assert.deepEqual(
    v.failures.map((f) => f.message.replace(/ is .*/, '')),
    ['pcr: PCR 3 (sha256)', 'pcr: PCR 10 (sha256) was not quoted'],
  );
  // A bank that was not reported at all: every replayed PCR of it is named.
  const sha1 = comparePcrs(i.pcrs, [{ hash: TPM_ALG.SHA1, values: new Map([[0, new Uint8Array(20)]]) }]);
  assert.deepEqual(
    sha1.map((f) => f.message),
    ['pcr: PCR 0 (sha1) was not quoted'],
  );
  // Quote failures and replay failures are reported together.
  const both = checkQuoteReplay({
    ...i,
    nonce: new Uint8Array(20),
    replayed: [{ hash: TPM_ALG.SHA256, values: replayed }],
  });
  assert.deepEqual(
    both.failures.map((f) => f.what),
    ['nonce', 'pcr', 'pcr'],
  );
});
