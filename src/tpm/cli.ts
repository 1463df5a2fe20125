/**
 * Library functions behind the `attestd tpm …` commands: each takes a client (or pure inputs) and returns a
 * JSON-able object (bytes as lowercase hex, numbers as numbers, handles as "0x…" strings).
 */
import { x509 } from '../common/x509.ts';
import { fromHex, toHex } from '../common/bytes.ts';
import { ConfigError } from '../common/errors.ts';
import { systemRng } from '../common/rng.ts';
import type { Rng } from '../common/rng.ts';
import { DEFAULT_AIK_HANDLE, KEY_SCHEME, aikJson, createAik as makeAik, loadAik } from './aik.ts';
import type { AikOptions } from './aik.ts';
import type { Tpm } from './client.ts';
import { readEkCertificate, withEk } from './ek.ts';
import type { EkType } from './ek.ts';
import { keyId, spkiDer } from './keys.ts';
import { marshal } from './marshal.ts';
import { pcrSelectBytes } from './types/basic.ts';
import { HANDLE_RANGE, HASH_BY_NAME, HASH_NAME, TPM_ALG_NAMES, TPM_PT } from './types/constants.ts';
import { TPMT_SIGNATURE } from './types/signature.ts';
import { checkQuote } from './verify-quote.ts';
import type { ClockState, ExpectedBank } from './verify-quote.ts';

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

function ascii(n: number | undefined): string {
  if (n === undefined) return '';
  return [24, 16, 8, 0]
    .map((s) => (n >>> s) & 0xff)
    .filter((c) => c >= 0x20 && c < 0x7f)
    .map((c) => String.fromCharCode(c))
    .join('');
}

function bankName(h: number): string {
  return HASH_NAME.get(h) ?? (TPM_ALG_NAMES.get(h) ?? hex(h)).toLowerCase();
}

export function parseBank(name: string): number {
  const h = HASH_BY_NAME.get(name.toLowerCase());
  if (h === undefined) throw new ConfigError(`unknown PCR bank "${name}"`);
  return h;
}

/** TPM identity, banks, algorithms and handle counts. */
export async function tpmInfo(tpm: Tpm): Promise<Record<string, unknown>> {
  const p = await tpm.properties();
  const banks = await tpm.pcrBanks();
  const algs = await tpm.algorithms();
  const fw1 = p.get(TPM_PT.FIRMWARE_VERSION_1) ?? 0;
  const fw2 = p.get(TPM_PT.FIRMWARE_VERSION_2) ?? 0;
  return {
    manufacturer: ascii(p.get(TPM_PT.MANUFACTURER)),
    vendor: [TPM_PT.VENDOR_STRING_1, TPM_PT.VENDOR_STRING_2, TPM_PT.VENDOR_STRING_3, TPM_PT.VENDOR_STRING_4]
      .map((k) => ascii(p.get(k)))
      .join(''),
    family: ascii(p.get(TPM_PT.FAMILY_INDICATOR)),
    level: p.get(TPM_PT.LEVEL) ?? null,
    revision: (p.get(TPM_PT.REVISION) ?? 0) / 100,
    year: p.get(TPM_PT.YEAR) ?? null,
    firmware: `${fw1 >>> 16}.${fw1 & 0xffff}.${fw2 >>> 16}.${fw2 & 0xffff}`,
    pcrBanks: banks.filter((b) => b.pcrs.length).map((b) => ({ bank: bankName(b.hash), pcrs: b.pcrs })),
    algorithms: algs.map((a) => (TPM_ALG_NAMES.get(a.alg) ?? hex(a.alg)).toLowerCase()),
    persistentHandles: (await tpm.handles(HANDLE_RANGE.PERSISTENT)).map(hex),
    transientHandles: (await tpm.handles(HANDLE_RANGE.TRANSIENT)).length,
  };
}

/** PCR values: { sha256: { "0": "…", … }, … }. Defaults: every active bank, PCRs 0–23. */
export async function readPcrs(
  tpm: Tpm,
  opts: { banks?: string[]; pcrs?: number[] } = {},
): Promise<Record<string, Record<string, string>>> {
  const active = (await tpm.pcrBanks()).filter((b) => b.pcrs.length);
  const banks = opts.banks ? opts.banks.map(parseBank) : active.map((b) => b.hash);
  const pcrs = opts.pcrs ?? [...Array(24).keys()];
  const v = await tpm.pcrRead(banks.map((hash) => ({ hash, pcrs })));
  const out: Record<string, Record<string, string>> = {};
  for (const [h, m] of v.banks) out[bankName(h)] = Object.fromEntries([...m].map(([i, d]) => [String(i), toHex(d)]));
  return out;
}

/** The EK (re-created from its template) and its certificate from NV. */
export async function readEk(tpm: Tpm, opts: { type?: EkType } = {}): Promise<Record<string, unknown>> {
  const type = opts.type ?? 'rsa';
  const ek = await withEk(tpm, type, async (e) => e);
  const spki = spkiDer(ek.public);
  const cert = await readEkCertificate(tpm, type);
  let certificate: Record<string, unknown> | null = null;
  if (cert) {
    certificate = { index: hex(cert.index), der: toHex(cert.der) };
    try {
      const c = new x509.X509Certificate(cert.der);
      certificate.subject = c.subject;
      certificate.issuer = c.issuer;
      certificate.serialNumber = c.serialNumber;
      certificate.matchesEk = toHex(new Uint8Array(c.publicKey.rawData)) === toHex(spki);
    } catch {
      certificate.parseError = 'not a parsable X.509 certificate';
    }
  }
  return { type, name: toHex(ek.name), spki: toHex(spki), keyId: toHex(keyId(spki)), certificate };
}

/** Creates and persists an AIK (default ECC P-256 under the EK, at 0x81010003). */
export async function createAik(tpm: Tpm, opts: AikOptions = {}): Promise<Record<string, string>> {
  return aikJson(await makeAik(tpm, opts));
}

export interface QuoteOptions {
  handle?: number;
  /** Hex nonce; default 20 random bytes. */
  nonce?: string;
  bank?: string;
  pcrs?: number[];
  rng?: Rng;
}

/** A quote with the AIK over the selected PCRs, with the PCR values read right after it. */
export async function quote(tpm: Tpm, opts: QuoteOptions = {}): Promise<Record<string, unknown>> {
  const aik = await loadAik(tpm, opts.handle ?? DEFAULT_AIK_HANDLE);
  const nonce = opts.nonce ? fromHex(opts.nonce) : (opts.rng ?? systemRng)(20);
  const hash = parseBank(opts.bank ?? 'sha256');
  const pcrs = opts.pcrs ?? [0, 1, 2, 3, 4, 5, 6, 7, 10];
  const q = await tpm.quote(aik.handle, nonce, [{ hash, pcrSelect: pcrSelectBytes(pcrs) }], KEY_SCHEME);
  const values = await tpm.pcrRead([{ hash, pcrs }]);
  return {
    aik: aikJson(aik),
    nonce: toHex(nonce),
    quoted: toHex(q.quoted),
    signature: toHex(marshal(TPMT_SIGNATURE, q.signature)),
    pcrs: {
      [bankName(hash)]: Object.fromEntries([...(values.banks.get(hash) ?? [])].map(([i, d]) => [String(i), toHex(d)])),
    },
  };
}

export interface VerifyQuoteJson {
  quoted: string;
  signature: string;
  /** AIK SubjectPublicKeyInfo, hex DER. */
  aik: string;
  nonce: string;
  pcrs: Record<string, Record<string, string>>;
  previous?: { clock: string; resetCount: number; restartCount: number };
}

/** Verifies the JSON that `quote` produced (with the AIK's spki); reports every failure. */
export function verifyQuote(input: VerifyQuoteJson): Record<string, unknown> {
  const pcrs: ExpectedBank[] = Object.entries(input.pcrs).map(([bank, m]) => ({
    hash: parseBank(bank),
    values: new Map(Object.entries(m).map(([i, v]) => [Number(i), fromHex(v)])),
  }));
  const previous: ClockState | undefined = input.previous && {
    clock: BigInt(input.previous.clock),
    resetCount: input.previous.resetCount,
    restartCount: input.previous.restartCount,
  };
  const v = checkQuote({
    quoted: fromHex(input.quoted),
    signature: fromHex(input.signature),
    aik: fromHex(input.aik),
    nonce: fromHex(input.nonce),
    pcrs,
    ...(previous ? { previous } : {}),
  });
  return {
    ok: v.ok,
    failures: v.failures.map((f) => ({ what: f.what, message: f.message })),
    clock: v.clock
      ? { clock: v.clock.clock.toString(), resetCount: v.clock.resetCount, restartCount: v.clock.restartCount }
      : null,
  };
}
