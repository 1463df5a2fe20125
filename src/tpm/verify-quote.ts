/**
 * Quote verification on the verifier side: a pure function of the evidence (TPMS_ATTEST bytes and TPMT_SIGNATURE),
 * the AIK public key, the nonce, the expected PCR values and the device's previous clock state. No TPM I/O.
 *
 * Checks (TPM 2.0 Part 2 §10.12.12, Part 3 §18.4): magic = TPM_GENERATED_VALUE (0xff544347); type =
 * TPM_ST_ATTEST_QUOTE (0x8018); extraData = nonce; pcrSelect = the expected selection; pcrDigest =
 * H_sig(PCR values in selection order); the signature over the attest bytes with the AIK (ECDSA, RSASSA-PKCS1-v1_5,
 * RSA-PSS); and the clock: it never goes back unless resetCount or restartCount went up. Every failure is
 * reported, each as a VerifyError whose `what` names the check.
 */
import { constants, createPublicKey, timingSafeEqual, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { concat, equal, toHex } from '../common/bytes.ts';
import { AttestdError, VerifyError } from '../common/errors.ts';
import { unmarshal } from './marshal.ts';
import { CURVE, digest, hashName, publicKeyOf } from './keys.ts';
import { pcrIndices, pcrSelectBytes } from './types/basic.ts';
import type { TPML_PCR_SELECTION } from './types/basic.ts';
import { TPMS_ATTEST, TPM_GENERATED_VALUE, quoteInfo } from './types/attest.ts';
import type { TPMS_ATTEST as Attest } from './types/attest.ts';
import { DIGEST_SIZE, TPM_ALG, TPM_ALG_NAMES } from './types/constants.ts';
import { TPMT_SIGNATURE } from './types/signature.ts';
import type { TPMS_SIGNATURE_ECC, TPMS_SIGNATURE_RSA, TPMT_SIGNATURE as Signature } from './types/signature.ts';
import type { TPMT_PUBLIC } from './types/public.ts';
import { nameOf } from '../common/names.ts';

/** The clock state a verifier keeps per device. */
export interface ClockState {
  clock: bigint;
  resetCount: number;
  restartCount: number;
}

/** Per-device store of the last accepted clock state (implementations: memory here, a database elsewhere). */
export interface QuoteHistory {
  get(device: string): Promise<ClockState | undefined>;
  put(device: string, state: ClockState): Promise<void>;
}

export class MemoryQuoteHistory implements QuoteHistory {
  readonly #m = new Map<string, ClockState>();
  async get(device: string): Promise<ClockState | undefined> {
    return this.#m.get(device);
  }
  async put(device: string, state: ClockState): Promise<void> {
    this.#m.set(device, { ...state });
  }
}

/** Expected PCR values of one bank. */
export interface ExpectedBank {
  hash: number;
  /** PCR index → value. The selection is exactly these indices. */
  values: ReadonlyMap<number, Uint8Array>;
}

export interface QuoteInput {
  /** TPMS_ATTEST as signed (TPM2B_ATTEST contents). */
  quoted: Uint8Array;
  /** TPMT_SIGNATURE, decoded or marshaled. */
  signature: Signature | Uint8Array;
  /** The AIK: its TPMT_PUBLIC, a DER SubjectPublicKeyInfo, or a KeyObject. */
  aik: TPMT_PUBLIC | Uint8Array | KeyObject;
  nonce: Uint8Array;
  /** Expected banks, in the order the quote selects them. */
  pcrs: readonly ExpectedBank[];
  /** The device's last accepted clock state, if any. */
  previous?: ClockState;
}

export interface QuoteVerdict {
  ok: boolean;
  failures: VerifyError[];
  /** The decoded attestation, when it parsed. */
  attest?: Attest;
  /** The clock state to store when ok. */
  clock?: ClockState;
}

/** Thrown by `verifyQuote` when a check fails; `failures` lists every failed check. */
export class QuoteVerifyError extends VerifyError {
  readonly failures: VerifyError[];
  constructor(failures: VerifyError[]) {
    super('quote', failures.map((f) => f.message).join('; '));
    this.failures = failures;
  }
}

function keyObject(aik: QuoteInput['aik']): KeyObject {
  if (aik instanceof Uint8Array) return createPublicKey({ key: Buffer.from(aik), format: 'der', type: 'spki' });
  if ('type' in aik && typeof aik.type === 'number') return publicKeyOf(aik as TPMT_PUBLIC);
  return aik as KeyObject;
}

/** TPML_PCR_SELECTION of the expected banks. */
export function selectionOf(pcrs: readonly ExpectedBank[]): TPML_PCR_SELECTION {
  return pcrs.map((b) => ({ hash: b.hash, pcrSelect: pcrSelectBytes([...b.values.keys()]) }));
}

function sameSelection(a: TPML_PCR_SELECTION, b: TPML_PCR_SELECTION): boolean {
  if (a.length !== b.length) return false;
  return a.every(
    (s, i) =>
      s.hash === b[i]!.hash &&
      equal(new Uint8Array(pcrIndices(s.pcrSelect)), new Uint8Array(pcrIndices(b[i]!.pcrSelect))),
  );
}

function describeSelection(s: TPML_PCR_SELECTION): string {
  return s.map((x) => `${HASH_LABEL(x.hash)}:${pcrIndices(x.pcrSelect).join(',') || '-'}`).join('+') || 'none';
}
function HASH_LABEL(h: number): string {
  return (TPM_ALG_NAMES.get(h) ?? `0x${h.toString(16)}`).toLowerCase();
}

/** The PCR composite digest: H(values of each bank in selection order, PCRs ascending). */
export function pcrDigest(hashAlg: number, pcrs: readonly ExpectedBank[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const b of pcrs) for (const i of [...b.values.keys()].sort((x, y) => x - y)) parts.push(b.values.get(i)!);
  return digest(hashAlg, concat(...parts));
}

function checkSignature(key: KeyObject, data: Uint8Array, sig: Signature): VerifyError | undefined {
  const alg = nameOf(TPM_ALG_NAMES, sig.sigAlg);
  try {
    if (sig.sigAlg === TPM_ALG.ECDSA) {
      const s = sig.signature as TPMS_SIGNATURE_ECC;
      if (key.asymmetricKeyType !== 'ec')
        return new VerifyError('signature', `ECDSA signature but the AIK is ${key.asymmetricKeyType}`);
      const size = [...CURVE.values()].find((c) => c.openssl === key.asymmetricKeyDetails?.namedCurve)?.size;
      if (!size) return new VerifyError('signature', `unsupported AIK curve ${key.asymmetricKeyDetails?.namedCurve}`);
      const pad = (b: Uint8Array) => (b.byteLength > size ? b : concat(new Uint8Array(size - b.byteLength), b));
      if (s.signatureR.byteLength > size || s.signatureS.byteLength > size)
        return new VerifyError('signature', 'ECDSA r or s longer than the curve order');
      const ok = verify(
        hashName(s.hash),
        data,
        { key, dsaEncoding: 'ieee-p1363' },
        concat(pad(s.signatureR), pad(s.signatureS)),
      );
      return ok ? undefined : new VerifyError('signature', `${alg} signature does not verify with the AIK`);
    }
    if (sig.sigAlg === TPM_ALG.RSASSA || sig.sigAlg === TPM_ALG.RSAPSS) {
      const s = sig.signature as TPMS_SIGNATURE_RSA;
      if (key.asymmetricKeyType !== 'rsa')
        return new VerifyError('signature', `${alg} signature but the AIK is ${key.asymmetricKeyType}`);
      const padding = sig.sigAlg === TPM_ALG.RSASSA ? constants.RSA_PKCS1_PADDING : constants.RSA_PKCS1_PSS_PADDING;
      const ok = verify(hashName(s.hash), data, { key, padding, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, s.sig);
      return ok ? undefined : new VerifyError('signature', `${alg} signature does not verify with the AIK`);
    }
    return new VerifyError('signature', `unsupported signature algorithm ${alg}`);
  } catch (e) {
    if (e instanceof AttestdError)
      return e instanceof VerifyError ? e : new VerifyError('signature', e.message, { cause: e });
    return new VerifyError('signature', `${alg} signature is malformed`, { cause: e });
  }
}

/** The clock rule: resetCount and restartCount never go back, and clock goes back only across a reset/restart. */
export function checkClock(prev: ClockState | undefined, now: ClockState): VerifyError | undefined {
  if (!prev) return undefined;
  if (now.resetCount < prev.resetCount)
    return new VerifyError('clock', `resetCount went back from ${prev.resetCount} to ${now.resetCount}`);
  if (now.resetCount === prev.resetCount && now.restartCount < prev.restartCount) {
    return new VerifyError('clock', `restartCount went back from ${prev.restartCount} to ${now.restartCount}`);
  }
  if (now.resetCount === prev.resetCount && now.restartCount === prev.restartCount && now.clock < prev.clock) {
    return new VerifyError('clock', `clock went back from ${prev.clock} to ${now.clock} without a reset or restart`);
  }
  return undefined;
}

/** Checks a quote and reports every failed check. Never throws on bad evidence. */
export function checkQuote(input: QuoteInput): QuoteVerdict {
  const failures: VerifyError[] = [];
  let attest: Attest;
  let sig: Signature;
  try {
    attest = unmarshal(TPMS_ATTEST, input.quoted);
  } catch (e) {
    return {
      ok: false,
      failures: [
        new VerifyError('attest', `TPMS_ATTEST does not parse: ${e instanceof Error ? e.message : String(e)}`, {
          cause: e,
        }),
      ],
    };
  }
  try {
    sig = input.signature instanceof Uint8Array ? unmarshal(TPMT_SIGNATURE, input.signature) : input.signature;
  } catch (e) {
    return {
      ok: false,
      attest,
      failures: [
        new VerifyError('signature', `TPMT_SIGNATURE does not parse: ${e instanceof Error ? e.message : String(e)}`, {
          cause: e,
        }),
      ],
    };
  }
  if (attest.magic !== TPM_GENERATED_VALUE)
    failures.push(new VerifyError('magic', `0x${attest.magic.toString(16)} is not TPM_GENERATED_VALUE 0xff544347`));
  const q = quoteInfo(attest);
  if (!q) failures.push(new VerifyError('type', `0x${attest.type.toString(16)} is not TPM_ST_ATTEST_QUOTE 0x8018`));
  const nonceOk =
    attest.extraData.byteLength === input.nonce.byteLength && timingSafeEqual(attest.extraData, input.nonce);
  if (!nonceOk)
    failures.push(
      new VerifyError('nonce', `qualifying data ${toHex(attest.extraData)} is not the nonce ${toHex(input.nonce)}`),
    );
  if (q) {
    const expected = selectionOf(input.pcrs);
    if (!sameSelection(q.pcrSelect, expected)) {
      failures.push(
        new VerifyError(
          'pcr-selection',
          `quoted PCR set ${describeSelection(q.pcrSelect)} is not the expected ${describeSelection(expected)}`,
        ),
      );
    } else {
      const h = 'hash' in (sig.signature ?? {}) ? (sig.signature as { hash: number }).hash : TPM_ALG.SHA256;
      if (!DIGEST_SIZE.has(h))
        failures.push(new VerifyError('pcr-digest', `unknown signature hash 0x${h.toString(16)}`));
      else {
        const want = pcrDigest(h, input.pcrs);
        if (!equal(want, q.pcrDigest)) {
          failures.push(
            new VerifyError(
              'pcr-digest',
              `quoted PCR digest ${toHex(q.pcrDigest)} does not match the expected PCR values (${toHex(want)})`,
            ),
          );
        }
      }
    }
  }
  let key: KeyObject | undefined;
  try {
    key = keyObject(input.aik);
  } catch (e) {
    failures.push(new VerifyError('signature', 'the AIK public key is unusable', { cause: e }));
  }
  if (key) {
    const bad = checkSignature(key, input.quoted, sig);
    if (bad) failures.push(bad);
  }
  const clock: ClockState = {
    clock: attest.clockInfo.clock,
    resetCount: attest.clockInfo.resetCount,
    restartCount: attest.clockInfo.restartCount,
  };
  const c = checkClock(input.previous, clock);
  if (c) failures.push(c);
  return { ok: failures.length === 0, failures, attest, clock };
}

/** Verifies a quote; throws a QuoteVerifyError naming every failed check. */
export function verifyQuote(input: QuoteInput): Attest {
  const v = checkQuote(input);
  if (!v.ok || !v.attest) throw new QuoteVerifyError(v.failures);
  return v.attest;
}

/** Verifies against the device's history and records the new clock state when the quote is good. */
export async function verifyQuoteWithHistory(
  history: QuoteHistory,
  device: string,
  input: Omit<QuoteInput, 'previous'>,
): Promise<Attest> {
  const previous = await history.get(device);
  const v = checkQuote(previous ? { ...input, previous } : input);
  if (!v.ok || !v.attest || !v.clock) throw new QuoteVerifyError(v.failures);
  await history.put(device, v.clock);
  return v.attest;
}

/**
 * Compares PCR values an attester reported (and a quote vouched for) with the values a verifier replayed from
 * logs: one VerifyError per differing PCR, naming the PCR and the bank. A bank or PCR that was replayed but not
 * reported is a failure too; reported PCRs without a replayed value are not judged here.
 */
export function comparePcrs(reported: readonly ExpectedBank[], replayed: readonly ExpectedBank[]): VerifyError[] {
  const out: VerifyError[] = [];
  for (const want of replayed) {
    const bank = HASH_LABEL(want.hash);
    const got = reported.find((b) => b.hash === want.hash);
    for (const [pcr, value] of [...want.values].sort((a, b) => a[0] - b[0])) {
      const have = got?.values.get(pcr);
      if (!have) out.push(new VerifyError('pcr', `PCR ${pcr} (${bank}) was not quoted`));
      else if (!equal(have, value))
        out.push(
          new VerifyError(
            'pcr',
            `PCR ${pcr} (${bank}) is ${toHex(have)} in the quote, the logs replay to ${toHex(value)}`,
          ),
        );
    }
  }
  return out;
}

/**
 * Checks a quote over the PCR values the attester reported (`input.pcrs`) and then each of those values against
 * the replayed ones, so that a tampered log names the PCR it breaks. Reports every failure.
 */
export function checkQuoteReplay(input: QuoteInput & { replayed: readonly ExpectedBank[] }): QuoteVerdict {
  const { replayed, ...q } = input;
  const v = checkQuote(q);
  const failures = [...v.failures, ...comparePcrs(q.pcrs, replayed)];
  return { ...v, ok: failures.length === 0, failures };
}
