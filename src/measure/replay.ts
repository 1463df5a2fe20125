/**
 * PCR replay of IMA lists and firmware event logs. Pure: a function of the log, the bank and the options.
 *
 * IMA (read from security/integrity/ima/ima_crypto.c `ima_calc_field_array_hash` and ima_queue.c, Linux ≥ 5.8):
 * the kernel computes one template hash per allocated PCR bank, hashing the template data with that bank's
 * algorithm, and extends each bank with its own digest; only banks whose algorithm the kernel cannot compute get
 * the SHA-1 template hash zero-padded (as did every bank before 5.8: `mode: 'padded-sha1'`). A violation logs an
 * all-zero template digest but extends every bank with all 0xff (`ima_init_digests`).
 *
 * Firmware logs (PFP §10): events are extended in order with their digest of the bank; EV_NO_ACTION events are not
 * extended; PCR 0 starts at zeros with the StartupLocality locality in its last byte; PCRs 17–22 (DRTM) reset to all
 * 0xff, the others to zeros (PC Client Platform TPM Profile, PCR reset values).
 */
import { hash as oneShot } from 'node:crypto';
import { VerifyError } from '../common/errors.ts';
import { DIGEST_SIZE, PcrAccumulator, digest as hashOf, hashOfTpmAlg, tpmAlgOf, type HashName } from './hash.ts';
import { equal, toHex } from '../common/bytes.ts';
import {
  IMA_PCR,
  decodeEvent,
  isViolation,
  parseImaBinary,
  scanImaBinary,
  templateHash,
  templateHashInput,
  type ImaEntry,
  type ImaMismatch,
  type ImaParseOptions,
} from './ima.ts';
import { EventType, startupLocality, type EventLog } from './eventlog.ts';

export interface ImaReplayOptions {
  /** Per-bank template hashes (Linux ≥ 5.8, default) or the SHA-1 template hash zero-padded (older kernels). */
  mode?: 'per-bank' | 'padded-sha1';
  /**
   * Use the logged template digest instead of recomputing it when it is of the bank's algorithm (faster; only
   * after `checkTemplateHashes` has passed, or the PCR no longer vouches for the file digests).
   */
  trustLogged?: boolean;
}

/** The value an entry extends into a bank of `bank`. */
export function imaExtendValue(e: ImaEntry, bank: HashName, o: ImaReplayOptions = {}): Uint8Array {
  const size = DIGEST_SIZE[bank];
  if (isViolation(e)) return new Uint8Array(size).fill(0xff);
  if (o.mode === 'padded-sha1') {
    const out = new Uint8Array(size);
    out.set(o.trustLogged && e.templateHash.byteLength === 20 ? e.templateHash : templateHash(e, 'sha1'));
    return out;
  }
  if (o.trustLogged && e.templateHash.byteLength === size) return e.templateHash;
  return hashOf(bank, templateHashInput(e));
}

/** Replays IMA entries of every PCR they name: Map pcr → value (PCRs start at zeros). */
export function replayImaPcrs(
  entries: readonly ImaEntry[],
  bank: HashName,
  o: ImaReplayOptions = {},
): Map<number, Uint8Array> {
  const acc = new Map<number, PcrAccumulator>();
  for (const e of entries) {
    let a = acc.get(e.pcr);
    if (!a) acc.set(e.pcr, (a = new PcrAccumulator(bank)));
    a.extend(imaExtendValue(e, bank, o));
  }
  return new Map([...acc].map(([k, v]) => [k, v.value]));
}

/** Replays the IMA PCR (10 unless given): the value a quote of that PCR in `bank` must show. */
export function replayIma(
  entries: readonly ImaEntry[],
  bank: HashName,
  o: ImaReplayOptions & { pcr?: number } = {},
): Uint8Array {
  const pcr = o.pcr ?? IMA_PCR;
  const a = new PcrAccumulator(bank);
  for (const e of entries) if (e.pcr === pcr) a.extend(imaExtendValue(e, bank, o));
  return a.value;
}

/** Reset value of a PCR: zeros, all 0xff for the DRTM PCRs 17–22, the locality in the last byte of PCR 0. */
export function pcrResetValue(pcr: number, bank: HashName, locality = 0): Uint8Array {
  const v = new Uint8Array(DIGEST_SIZE[bank]);
  if (pcr >= 17 && pcr <= 22) v.fill(0xff);
  if (pcr === 0) v[v.byteLength - 1] = locality;
  return v;
}

/**
 * Replays a firmware event log in one bank: Map pcr → value for PCRs 0–9 and every other PCR the log names.
 * Throws VerifyError if an extended event lacks the bank's digest.
 */
export function replayEventLog(log: EventLog, bank: HashName): Map<number, Uint8Array> {
  const alg = tpmAlgOf(bank);
  if (log.format === 'sha1' && bank !== 'sha1')
    throw new VerifyError('eventlog replay', `a SHA-1 log has no ${bank} bank`);
  if (log.specId && !log.specId.algorithms.some((a) => a.algId === alg)) {
    throw new VerifyError('eventlog replay', `the log has no ${bank} bank`);
  }
  let locality = 0;
  for (const e of log.events) {
    const l = startupLocality(e);
    if (l !== undefined) locality = l;
  }
  const acc = new Map<number, PcrAccumulator>();
  const get = (pcr: number) => {
    let a = acc.get(pcr);
    if (!a) acc.set(pcr, (a = new PcrAccumulator(bank, pcrResetValue(pcr, bank, locality))));
    return a;
  };
  for (let i = 0; i <= 9; i++) get(i);
  log.events.forEach((e, i) => {
    if (e.type === EventType.EV_NO_ACTION) return;
    const d = e.digests.find((x) => x.alg === alg);
    if (!d) throw new VerifyError('eventlog replay', `event ${i} (PCR ${e.pcr}) has no ${bank} digest`);
    get(e.pcr).extend(d.digest);
  });
  return new Map([...acc].sort((a, b) => a[0] - b[0]).map(([k, v]) => [k, v.value]));
}

/** The banks a log carries, as hash names we can compute. */
export function eventLogBanks(log: EventLog): HashName[] {
  if (!log.specId) return ['sha1'];
  return log.specId.algorithms.flatMap((a) => {
    const n = hashOfTpmAlg(a.algId);
    return n ? [n] : [];
  });
}

/** One PCR extend: what a test feeds to a TPM (e.g. `tpm2_pcrextend 10:sha256=<hex>`) to reproduce a log. */
export interface PcrExtend {
  pcr: number;
  digest: Uint8Array;
}

/** The extends an IMA list makes in one bank, in order (violations as all 0xff). */
export function imaExtends(entries: readonly ImaEntry[], bank: HashName, o: ImaReplayOptions = {}): PcrExtend[] {
  return entries.map((e) => ({ pcr: e.pcr, digest: imaExtendValue(e, bank, o) }));
}

/**
 * The extends a firmware log makes in one bank, in order (EV_NO_ACTION skipped). The StartupLocality seed of PCR 0
 * is not an extend: a TPM reproduces it only when started from that locality.
 */
export function eventLogExtends(log: EventLog, bank: HashName): PcrExtend[] {
  const alg = tpmAlgOf(bank);
  const out: PcrExtend[] = [];
  log.events.forEach((e, i) => {
    if (e.type === EventType.EV_NO_ACTION) return;
    const d = e.digests.find((x) => x.alg === alg);
    if (!d) throw new VerifyError('eventlog replay', `event ${i} (PCR ${e.pcr}) has no ${bank} digest`);
    out.push({ pcr: e.pcr, digest: d.digest });
  });
  return out;
}

export interface ImaVerification {
  /** Replayed value of every PCR the list names, in `bank`. */
  pcrs: Map<number, Uint8Array>;
  /** Every entry whose logged template digest is not the hash of its template data. */
  mismatches: ImaMismatch[];
  /** Indexes of violation entries (all-zero template digest, extended as all 0xff). */
  violations: number[];
}

/**
 * Checks every template digest (logged with `templateHashAlg`) and replays into `bank` in one pass, hashing each
 * template once when the list's algorithm is the bank's. The replay extends the recomputed values, so a PCR match
 * vouches for the template data, not for the logged digests. Reports every mismatch.
 */
export function verifyImaList(
  entries: readonly ImaEntry[],
  o: { bank: HashName; templateHashAlg: HashName; mode?: 'per-bank' | 'padded-sha1' },
): ImaVerification {
  const acc = new Map<number, PcrAccumulator>();
  const mismatches: ImaMismatch[] = [];
  const violations: number[] = [];
  const size = DIGEST_SIZE[o.bank];
  const ff = new Uint8Array(size).fill(0xff);
  entries.forEach((e, index) => {
    let value: Uint8Array;
    if (isViolation(e)) {
      violations.push(index);
      value = ff;
    } else {
      const input = templateHashInput(e);
      const logged = hashOf(o.templateHashAlg, input);
      if (!equal(logged, e.templateHash)) {
        let path: string;
        try {
          path = decodeEvent(e)?.path ?? '';
        } catch {
          path = '';
        }
        mismatches.push({
          index,
          ...(e.line === undefined ? {} : { line: e.line }),
          ...(e.offset === undefined ? {} : { offset: e.offset }),
          path,
          logged: toHex(e.templateHash),
          computed: toHex(logged),
        });
      }
      if (o.mode === 'padded-sha1') {
        value = new Uint8Array(size);
        value.set(o.templateHashAlg === 'sha1' ? logged : hashOf('sha1', input));
      } else value = o.templateHashAlg === o.bank ? logged : hashOf(o.bank, input);
    }
    let a = acc.get(e.pcr);
    if (!a) acc.set(e.pcr, (a = new PcrAccumulator(o.bank)));
    a.extend(value);
  });
  return { pcrs: new Map([...acc].map(([k, v]) => [k, v.value])), mismatches, violations };
}

function mismatchAt(
  bytes: Uint8Array,
  index: number,
  offset: number,
  end: number,
  logged: string,
  computed: string,
  alg: HashName,
): ImaMismatch {
  let path: string;
  try {
    const e = parseImaBinary(bytes.subarray(offset, end), { templateHashAlg: alg })[0];
    path = (e && decodeEvent(e)?.path) ?? '';
  } catch {
    path = '';
  }
  return {
    index,
    offset,
    path,
    logged: Buffer.from(logged, 'latin1').toString('hex'),
    computed: Buffer.from(computed, 'latin1').toString('hex'),
  };
}

/**
 * `verifyImaList(parseImaBinary(bytes))` in one streaming pass, for long lists: the same checks, replay and result,
 * without building an entry per record. Template data is hashed straight from the input, digests stay latin1
 * strings (node:crypto allocates a Buffer per digest otherwise, which costs more than the hash), and the logged
 * digest is compared as a string. Throws the ParseError/LimitError parseImaBinary would.
 */
export function replayImaBinary(
  bytes: Uint8Array,
  o: {
    bank: HashName;
    templateHashAlg: HashName;
    mode?: 'per-bank' | 'padded-sha1';
    limits?: Omit<ImaParseOptions, 'templateHashAlg'>;
  },
): ImaVerification {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const talg = o.templateHashAlg;
  const hsize = DIGEST_SIZE[talg];
  const size = DIGEST_SIZE[o.bank];
  const zeros = '\0'.repeat(hsize);
  const ff = '\xff'.repeat(size);
  const same = talg === o.bank;
  const padded = o.mode === 'padded-sha1';
  const acc = new Map<number, PcrAccumulator>();
  const mismatches: ImaMismatch[] = [];
  const violations: number[] = [];
  let lastPcr = -1;
  let a: PcrAccumulator | undefined;
  scanImaBinary(bytes, { ...o.limits, templateHashAlg: talg }, (r) => {
    const logged = b.toString('latin1', r.templateHashStart, r.templateHashStart + hsize);
    let value: string;
    if (logged === zeros) {
      violations.push(r.index);
      value = ff;
    } else {
      const input =
        r.templateName === 'ima'
          ? templateHashInput(parseImaBinary(bytes.subarray(r.offset, r.end), { templateHashAlg: talg })[0]!)
          : bytes.subarray(r.dataStart, r.dataEnd);
      const computed = oneShot(talg, input, 'binary');
      if (computed !== logged) mismatches.push(mismatchAt(bytes, r.index, r.offset, r.end, logged, computed, talg));
      if (padded) value = (talg === 'sha1' ? computed : oneShot('sha1', input, 'binary')).padEnd(size, '\0');
      else value = same ? computed : oneShot(o.bank, input, 'binary');
    }
    if (r.pcr !== lastPcr || !a) {
      lastPcr = r.pcr;
      a = acc.get(r.pcr);
      if (!a) acc.set(r.pcr, (a = new PcrAccumulator(o.bank)));
    }
    a.extendLatin1(value);
  });
  return { pcrs: new Map([...acc].map(([k, v]) => [k, v.value])), mismatches, violations };
}
