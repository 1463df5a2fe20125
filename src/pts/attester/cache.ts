/**
 * What an attester may keep between attestations (one per collector module, shared by its connections): file
 * digests keyed by the file's identity and version (src/measure/file-digest-cache.ts); the Simple Component Evidence
 * of each IMA entry (the value it extends and its policy URI), a pure function of the entries of an unchanged,
 * shared log (sources.ts with `cache`), kept as the very same attribute objects; and the split of a File Measurement
 * whose names and digests are the very ones of the last answer. Nothing here depends on the verifier's nonce: the
 * quote is always fresh.
 */
import { FileDigestCache } from '../../measure/file-digest-cache.ts';
import type { FileDigestCacheOptions } from '../../measure/file-digest-cache.ts';
import type { HashName } from '../../measure/hash.ts';
import type { ImaEntry } from '../../measure/ima.ts';
import type { PaAttribute } from '../../tnc/pa/attribute.ts';
import type { TcgPtsFileMeas } from '../attrs/file-measurement.ts';

/** The Simple Component Evidence attribute of one IMA entry and its PCR. */
export interface ImaEvidence {
  pcr: number;
  attr: PaAttribute;
}

export class PtsAttesterCache {
  readonly files: FileDigestCache;
  /** Keyed by the log (a cached log is the same array each time), then bank + mode. */
  readonly #ima = new WeakMap<readonly ImaEntry[], Map<string, readonly ImaEvidence[]>>();
  /** The last File Measurement per measured location and its parts. */
  readonly #splits = new Map<string, { whole: TcgPtsFileMeas; parts: TcgPtsFileMeas[] }>();

  constructor(o: FileDigestCacheOptions = {}) {
    this.files = new FileDigestCache(o);
  }

  /** The evidence of every entry of `log` in `bank` and `mode`, computed once per log object. */
  imaEvidence(
    log: readonly ImaEntry[],
    bank: HashName,
    mode: string,
    compute: (e: ImaEntry) => ImaEvidence,
  ): readonly ImaEvidence[] {
    const k = `${bank}/${mode}`;
    let m = this.#ima.get(log);
    const hit = m?.get(k);
    if (hit) return hit;
    const v = log.map(compute);
    if (!m) this.#ima.set(log, (m = new Map()));
    m.set(k, v);
    return v;
  }

  /**
   * `split(whole)`, or the parts of the last measurement of `where` when it had the same measurement length and the
   * same files — the same names and the very same digest objects, which the digest cache hands out only for
   * unchanged files — with this request's id.
   */
  splitFileMeasurement(
    where: string,
    whole: TcgPtsFileMeas,
    split: (a: TcgPtsFileMeas) => TcgPtsFileMeas[],
  ): TcgPtsFileMeas[] {
    const last = this.#splits.get(where);
    if (last && sameFiles(last.whole, whole))
      return last.parts.map((p) => ({ ...p, requestId: whole.requestId, files: p.files }));
    const parts = split(whole);
    this.#splits.set(where, { whole, parts });
    if (this.#splits.size > 64) this.#splits.delete(this.#splits.keys().next().value!);
    return parts;
  }
}

function sameFiles(a: TcgPtsFileMeas, b: TcgPtsFileMeas): boolean {
  if (a.measurementLength !== b.measurementLength || a.files.length !== b.files.length) return false;
  for (let i = 0; i < a.files.length; i++) {
    const x = a.files[i]!;
    const y = b.files[i]!;
    if (x.filename !== y.filename || x.measurement !== y.measurement) return false;
  }
  return true;
}
