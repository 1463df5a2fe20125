/**
 * PTS evidence evaluation: a pure function of the evidence, the reference values (injected), the quote nonce and
 * `now`. It reports every mismatch, each reason naming its file, event, PCR or check — never only the first.
 *
 *  1. AIK: naked SubjectPublicKeyInfo or X.509 certificate; trusted by key id (SHA-1 of the SPKI).
 *  2. Files: each measured file (directory entries joined to their directory) against its reference digests.
 *  3. Components: BIOS events (ITA/IMA, qualifier K|trusted) against the boot reference when one exists; IMA events
 *     (qualifier K|OS: policy URI `algo:path`, measurement = ima-ng template hash) against H(template of a reference
 *     digest); every event replayed into its PCR (PCR 0 seeded with the TPM's startup locality).
 *  4. Quote: TPMS_ATTEST rebuilt with our nonce, the replayed PCRs as expected values, AIK signature.
 */
import { X509Certificate, createHash, createPublicKey } from 'node:crypto';
import { AttestdError, toHex, equal } from '../../common/index.ts';
import { EvaluationResult } from '../../tnc/pa/constants.ts';
import { ActionRecommendation } from '../../tnc/pb/constants.ts';
import { DIGEST_SIZE, PcrAccumulator, digest, hashOfTpmAlg, isHashName, tpmAlgOf } from '../../measure/hash.ts';
import type { HashName } from '../../measure/hash.ts';
import { bootAggregate } from '../../measure/ima.ts';
import { pcrResetValue } from '../../measure/replay.ts';
import { checkQuote } from '../../tpm/verify-quote.ts';
import type { ExpectedBank } from '../../tpm/verify-quote.ts';
import { pcrIndices } from '../../tpm/types/basic.ts';
import { PtsCompEvidValidation, PtsSimpleEvidFinalFlag, measAlgoHash } from '../constants.ts';
import { decodeTpm2VersionInfo } from '../attrs/tpm-version-info.ts';
import { componentKind } from '../components.ts';
import { quotedSelection, rebuildQuoteAttest, signatureFromRaw } from './quote.ts';
import type { PtsEvidence, PtsFileFinding, PtsVerdict } from './evidence.ts';
import type { PtsReferences, ReferenceContext } from './references.ts';
import { EventDigest, IMA_PCR } from './ima-history.ts';
import type { ImaHistory } from './ima-history.ts';

export interface PtsEvaluationInput {
  evidence: PtsEvidence;
  references: PtsReferences;
  /** The quote nonce of this exchange (the D-H secret), undefined if the exchange did not get that far. */
  nonce: Uint8Array | undefined;
  now: Date;
  /** Checkpoints of devices' proved IMA events (incremental IMA verification); none: every event is judged. */
  imaHistory?: ImaHistory;
}

/** The ima-ng template hash of (algo, digest, path) in `bank`. */
export function imaNgTemplateHash(algo: string, fileDigest: Uint8Array, path: string, bank: HashName): Uint8Array {
  // templateData of [digestAlgoField, nameField] in one buffer: le32 len ‖ algo ":" NUL digest ‖ le32 len ‖ path NUL.
  const a = Buffer.byteLength(algo, 'utf8');
  const n = Buffer.byteLength(path, 'utf8');
  const d = a + 2 + fileDigest.byteLength;
  const buf = Buffer.allocUnsafe(4 + d + 4 + n + 1);
  let o = buf.writeUInt32LE(d, 0);
  o += buf.write(algo, o, 'utf8');
  buf[o++] = 0x3a;
  buf[o++] = 0;
  buf.set(fileDigest, o);
  o = buf.writeUInt32LE(n + 1, o + fileDigest.byteLength);
  o += buf.write(path, o, 'utf8');
  buf[o] = 0;
  return digest(bank, buf);
}

/** Splits an IMA policy URI `algo:path`. */
export function splitImaUri(uri: string): { algo: string; path: string } | undefined {
  const i = uri.indexOf(':');
  if (i <= 0) return undefined;
  return { algo: uri.slice(0, i), path: uri.slice(i + 1) };
}

function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

function aikSpki(aik: NonNullable<PtsEvidence['aik']>): Uint8Array {
  if (aik.naked) {
    createPublicKey({ key: Buffer.from(aik.data), format: 'der', type: 'spki' });
    return aik.data;
  }
  const cert = new X509Certificate(Buffer.from(aik.data));
  return new Uint8Array(cert.publicKey.export({ type: 'spki', format: 'der' }));
}

const hex = (b: Uint8Array) => toHex(b);

export async function evaluatePtsEvidence(input: PtsEvaluationInput): Promise<PtsVerdict> {
  const { evidence: ev, references: refs } = input;
  const reasons: string[] = [...ev.problems];
  const fileFindings: PtsFileFinding[] = [];
  const fileFinding = (f: PtsFileFinding) => {
    fileFindings.push(f);
    reasons.push(f.reason);
  };
  let malformed = false;
  const bank = measAlgoHash(ev.measAlgorithm);
  if (!bank) reasons.push('no measurement algorithm was selected');

  // 1. AIK
  let spki: Uint8Array | undefined;
  let keyId: Uint8Array | undefined;
  if (ev.aik) {
    try {
      spki = aikSpki(ev.aik);
      keyId = new Uint8Array(createHash('sha1').update(spki).digest());
      if (!(await refs.isTrustedAik(keyId, spki))) reasons.push(`AIK ${hex(keyId)} is not trusted`);
    } catch (e) {
      malformed = true;
      reasons.push(`AIK: the ${ev.aik.naked ? 'public key' : 'certificate'} does not parse (${msg(e)})`);
    }
  } else if (ev.expectQuote) reasons.push('AIK: the device sent no attestation identity key');

  // The device as the references see it: its AIK, when it parsed (a verifier may keep references per device).
  const refCtx: ReferenceContext = keyId ? { aikKeyId: keyId } : {};

  // 2. Files
  if (bank) {
    const measured: { path: string; measurement: Uint8Array }[] = [];
    for (const req of ev.fileRequests) {
      const got = ev.fileResults.get(req.requestId);
      if (!got) {
        fileFinding({
          path: req.path,
          kind: 'unanswered',
          ...(req.directory ? { directory: true } : {}),
          reason: `file ${req.path}: measurement request ${req.requestId} was not answered`,
        });
        continue;
      }
      if (!req.directory && got.length !== 1) {
        reasons.push(`file ${req.path}: ${got.length} measurements for a single file`);
      }
      for (const f of got)
        measured.push({ path: req.directory ? joinPath(req.path, f.filename) : req.path, measurement: f.measurement });
    }
    for (const id of ev.fileResults.keys()) {
      if (!ev.fileRequests.some((r) => r.requestId === id))
        reasons.push(`file measurement for unknown request id ${id}`);
    }
    if (measured.length) {
      const ref = await refs.fileHashes([...new Set(measured.map((m) => m.path))], bank, refCtx);
      for (const m of measured) {
        if (m.measurement.byteLength !== DIGEST_SIZE[bank]) {
          fileFinding({
            path: m.path,
            kind: 'bad-size',
            reason: `file ${m.path}: ${m.measurement.byteLength}-byte measurement is not a ${bank} digest`,
          });
          continue;
        }
        const want = ref.get(m.path);
        if (!want || want.length === 0)
          fileFinding({
            path: m.path,
            kind: 'no-reference',
            reason: `file ${m.path}: no reference measurement (${bank} ${hex(m.measurement)})`,
          });
        else if (!want.some((w) => equal(w, m.measurement)))
          fileFinding({
            path: m.path,
            kind: 'mismatch',
            reason: `file ${m.path}: ${bank} ${hex(m.measurement)} does not match the reference ${hex(want[0]!)}`,
          });
      }
    }
  }

  // 3. Components: replay into PCRs, compare with references.
  const versionInfo = ev.tpmVersionInfo ? decodeTpm2VersionInfo(ev.tpmVersionInfo) : undefined;
  const locality = versionInfo?.locality ?? 0;
  const pcrs = new Map<number, PcrAccumulator>();
  const biosEvents: { index: number; pcr: number; digest: Uint8Array }[] = [];
  const imaEvents: { index: number; algo: string; path: string; measurement: Uint8Array }[] = [];
  // PCR 10 (IMA) is replayed after the loop: from the device's checkpoint when its list begins with proved events.
  const pcr10: { index: number; c: (typeof ev.components)[number] }[] = [];
  if (bank) {
    ev.components.forEach((c, index) => {
      const where = () => `evidence event ${index} (PCR ${c.pcr})`; // built only for a reason
      if (c.hashAlgorithm !== ev.measAlgorithm) {
        reasons.push(`${where()}: hash algorithm 0x${c.hashAlgorithm.toString(16)} is not the selected ${bank}`);
        malformed = true;
        return;
      }
      if (c.measurement.byteLength !== DIGEST_SIZE[bank] || c.pcr > 23) {
        reasons.push(`${where()}: measurement is not a ${bank} digest of a PCR 0–23`);
        malformed = true;
        return;
      }
      if (c.pcr === IMA_PCR) pcr10.push({ index, c });
      else {
        let acc = pcrs.get(c.pcr);
        if (!acc) pcrs.set(c.pcr, (acc = new PcrAccumulator(bank, pcrResetValue(c.pcr, bank, locality))));
        acc.extend(c.measurement);
      }
      const kind = componentKind(c);
      if (kind === 'bios') biosEvents.push({ index, pcr: c.pcr, digest: c.measurement });
      else if (kind === 'ima') {
        const uri = c.validation === PtsCompEvidValidation.NONE ? undefined : c.policyUri;
        const s = uri === undefined ? undefined : splitImaUri(uri);
        if (!s) {
          reasons.push(`${where()}: IMA event without an "algo:path" name`);
          malformed = true;
        } else imaEvents.push({ index, ...s, measurement: c.measurement });
      }
    });
  }
  // Incremental IMA: events (by component index) proved at the device's last checkpoint, and the new checkpoint.
  const proven = new Set<number>();
  let checkpoint: { device: string; context: string; events: number; digest: string } | undefined;
  if (bank && pcr10.length) {
    let start = 0;
    let acc = new PcrAccumulator(bank, pcrResetValue(IMA_PCR, bank, locality));
    const history = input.imaHistory;
    if (history && keyId && refs.referenceVersion) {
      const device = hex(keyId);
      const bootPcrs = [...pcrs]
        .sort(([a], [b]) => a - b)
        .map(([p, a]) => `${p}=${hex(a.value)}`)
        .join(',');
      const context = `${bank}|${locality}|${await refs.referenceVersion(refCtx)}|${bootPcrs}`;
      const cp = history.get(device);
      const running = new EventDigest();
      let atCheckpoint: string | undefined;
      for (const e of pcr10) {
        if (cp && running.count === cp.events) atCheckpoint = running.peek();
        running.add(e.c);
      }
      if (cp && running.count === cp.events) atCheckpoint = running.peek();
      if (cp && cp.context === context && atCheckpoint === cp.digest && cp.pcr.byteLength === acc.size) {
        start = cp.events;
        acc = new PcrAccumulator(bank, cp.pcr);
        for (let i = 0; i < start; i++) proven.add(pcr10[i]!.index);
      }
      checkpoint = { device, context, events: running.count, digest: running.peek() };
    }
    for (let i = start; i < pcr10.length; i++) acc.extend(pcr10[i]!.c.measurement);
    pcrs.set(IMA_PCR, acc);
  }
  if (bank && biosEvents.length && keyId) {
    const ref = refs.bootReference ? await refs.bootReference(keyId, bank) : undefined;
    if (ref) {
      const n = Math.max(ref.length, biosEvents.length);
      for (let i = 0; i < n; i++) {
        const got = biosEvents[i];
        const want = ref[i];
        if (!got) reasons.push(`boot event ${i} (PCR ${want!.pcr}): missing from the device's log`);
        else if (!want) reasons.push(`boot event ${i} (PCR ${got.pcr}): not in the boot reference`);
        else if (want.pcr !== got.pcr || !equal(want.digest, got.digest))
          reasons.push(
            `boot event ${i} (PCR ${got.pcr}): ${hex(got.digest)} is not the reference ${hex(want.digest)} (PCR ${want.pcr})`,
          );
      }
    }
  }
  if (bank && imaEvents.length) {
    const byAlgo = new Map<string, string[]>();
    for (const e of imaEvents) {
      if (e.path === 'boot_aggregate' || proven.has(e.index)) continue;
      const l = byAlgo.get(e.algo) ?? [];
      l.push(e.path);
      byAlgo.set(e.algo, l);
    }
    const refByAlgo = new Map<string, ReadonlyMap<string, readonly Uint8Array[]>>();
    for (const [algo, paths] of byAlgo) {
      if (isHashName(algo)) refByAlgo.set(algo, await refs.imaReference([...new Set(paths)], algo, refCtx));
    }
    const biosPcrs = new Map([...pcrs].filter(([p]) => p <= 9).map(([p, a]) => [p, a.value]));
    for (const e of imaEvents) {
      if (proven.has(e.index)) continue;
      const where = `IMA ${e.path}`;
      if (!isHashName(e.algo)) {
        reasons.push(`${where}: unknown file hash algorithm ${e.algo}`);
        continue;
      }
      if (e.path === 'boot_aggregate') {
        if (!biosEvents.length) continue;
        const want = imaNgTemplateHash(e.algo, bootAggregate(biosPcrs, e.algo), 'boot_aggregate', bank);
        if (!equal(want, e.measurement)) reasons.push(`${where}: does not match the replayed boot PCRs`);
        continue;
      }
      const cands = refByAlgo.get(e.algo)?.get(e.path);
      if (!cands || cands.length === 0) {
        reasons.push(`${where}: no reference measurement`);
        continue;
      }
      if (!cands.some((d) => equal(imaNgTemplateHash(e.algo, d, e.path, bank), e.measurement)))
        reasons.push(`${where}: template hash ${hex(e.measurement)} matches no reference ${e.algo} digest`);
    }
  }

  // 4. Quote
  if (ev.expectQuote) {
    const f = ev.final;
    if (!f) reasons.push('quote: the device sent no Simple Evidence Final');
    else if (
      f.quoteMode !== PtsSimpleEvidFinalFlag.EVID_QUOTE_INFO_TPM2 ||
      !f.tpm2 ||
      !f.quoteSignature ||
      !f.pcrComposite
    )
      reasons.push(`quote: unsupported quote mode 0x${f.quoteMode.toString(16)} (TPM 2.0 quote info expected)`);
    else if (!input.nonce) reasons.push('quote: no D-H nonce was agreed');
    else if (!spki) reasons.push('quote: cannot be verified without a usable AIK');
    else if (spki && bank) {
      try {
        const sel = quotedSelection(f.tpm2);
        const selected = new Set<number>();
        const expected: ExpectedBank[] = sel.map((s) => {
          const b = hashOfTpmAlg(s.hash);
          const values = new Map<number, Uint8Array>();
          for (const i of pcrIndices(s.pcrSelect)) {
            selected.add(i);
            if (b === bank) values.set(i, pcrs.get(i)?.value ?? pcrResetValue(i, bank, locality));
          }
          if (b !== bank)
            reasons.push(`quote: PCR bank ${b ?? `0x${s.hash.toString(16)}`} is not the selected ${bank}`);
          return { hash: s.hash, values };
        });
        for (const p of pcrs.keys())
          if (!selected.has(p)) reasons.push(`quote: PCR ${p} has evidence but is not quoted`);
        for (const p of ev.requiredPcrs) if (!selected.has(p)) reasons.push(`quote: required PCR ${p} is not quoted`);
        const sigHash = measAlgoHash(f.compositeHashAlgorithm) ?? 'sha256';
        const attest = rebuildQuoteAttest(f.tpm2, f.pcrComposite, input.nonce);
        const signature = signatureFromRaw(f.quoteSignature, spki, tpmAlgOf(sigHash));
        const v = checkQuote({ quoted: attest, signature, aik: spki, nonce: input.nonce, pcrs: expected });
        const touched = [...pcrs.keys()].sort((a, b) => a - b).join(',') || '-';
        for (const failure of v.failures) {
          if (failure.what === 'pcr-digest')
            reasons.push(
              `quote: PCR ${touched} (${bank}) replayed from the evidence do not match the quoted PCR digest`,
            );
          else if (failure.what === 'signature')
            reasons.push(
              `quote: ${failure.message} over the quote rebuilt with this exchange's nonce (stale nonce, altered quote or other key)`,
            );
          else reasons.push(`quote: ${failure.message}`);
        }
      } catch (e) {
        malformed = true;
        reasons.push(`quote: malformed TPM 2.0 quote info (${msg(e)})`);
      }
    }
  }
  const ok = reasons.length === 0;
  // A checkpoint only after a complete pass: nothing wrong, and a quote (which covered PCR 10, or a reason says so).
  const pcr10Value = pcrs.get(IMA_PCR)?.value;
  if (ok && ev.expectQuote && checkpoint && pcr10Value && input.imaHistory) {
    const { device, ...cp } = checkpoint;
    input.imaHistory.set(device, { ...cp, pcr: pcr10Value });
  }
  // Every reason that is not a file finding (the same text cannot be both: file findings name their file first).
  const fileReasons = new Set(fileFindings.map((f) => f.reason));
  return {
    recommendation: ok ? ActionRecommendation.ALLOW : ActionRecommendation.NO_ACCESS,
    evaluation: ok
      ? EvaluationResult.COMPLIANT
      : malformed
        ? EvaluationResult.ERROR
        : EvaluationResult.NONCOMPLIANT_MAJOR,
    reasons,
    fileFindings,
    otherReasons: reasons.filter((r) => !fileReasons.has(r)),
    evaluatedAt: input.now.toISOString(),
    ...(pcr10.length ? { imaEvents: { proven: proven.size, judged: imaEvents.length - proven.size } } : {}),
    ...(keyId ? { aikKeyId: hex(keyId) } : {}),
  };
}

function msg(e: unknown): string {
  return e instanceof AttestdError || e instanceof Error ? e.message : String(e);
}
