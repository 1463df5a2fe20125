/**
 * Builds IMA measurement lists from (path, digest) entries exactly as the kernel does: ima-ng (or ima-sig, ima-buf,
 * legacy ima) field data, the template hash of the list's algorithm, violations with an all-zero template digest,
 * and the boot_aggregate entry. Encode with `encodeImaBinary`/`encodeImaAscii` of ima.ts. Pure: no I/O.
 */
import { ConfigError } from '../common/errors.ts';
import { DIGEST_SIZE, type HashName } from './hash.ts';
import {
  IMA_PCR,
  digestAlgoField,
  encodeImaAscii,
  encodeImaBinary,
  nameField,
  templateHash,
  type ImaEntry,
} from './ima.ts';

export interface ImaMeasurement {
  path: string | Uint8Array;
  /** File digest (for a violation: ignored, zeros are logged). */
  digest: Uint8Array;
  /** File-hash algorithm, the d-ng prefix. Default sha256 (sha1 for the legacy "ima" template). */
  alg?: HashName;
  template?: 'ima' | 'ima-ng' | 'ima-sig' | 'ima-buf';
  sig?: Uint8Array;
  buf?: Uint8Array;
  pcr?: number;
  /** A measurement violation: template digest of zeros, file digest of zeros (the PCR gets 0xff…). */
  violation?: boolean;
}

export interface ImaBuildOptions {
  /** Algorithm of the logged template digests: sha1 for the legacy lists, the bank's for per-bank lists. */
  templateHashAlg?: HashName;
}

/** One entry as the kernel stores it. */
export function buildImaEntry(m: ImaMeasurement, o: ImaBuildOptions = {}): ImaEntry {
  const template = m.template ?? 'ima-ng';
  const hashAlg = o.templateHashAlg ?? 'sha1';
  const alg = m.alg ?? (template === 'ima' ? 'sha1' : 'sha256');
  const size = DIGEST_SIZE[alg];
  const d = m.violation ? new Uint8Array(size) : m.digest;
  if (d.byteLength !== size) throw new ConfigError(`${alg} digest of ${d.byteLength} bytes`);
  let fields: Uint8Array[];
  switch (template) {
    case 'ima':
      if (alg !== 'sha1') throw new ConfigError('the legacy "ima" template holds SHA-1 digests only');
      fields = [d, nameField(m.path)];
      break;
    case 'ima-ng':
      fields = [digestAlgoField(alg, d), nameField(m.path)];
      break;
    case 'ima-sig':
      fields = [digestAlgoField(alg, d), nameField(m.path), m.sig ?? new Uint8Array(0)];
      break;
    case 'ima-buf':
      fields = [digestAlgoField(alg, d), nameField(m.path), m.buf ?? new Uint8Array(0)];
      break;
  }
  const entry: ImaEntry = { pcr: m.pcr ?? IMA_PCR, templateHash: new Uint8Array(0), templateName: template, fields };
  entry.templateHash = m.violation ? new Uint8Array(DIGEST_SIZE[hashAlg]) : templateHash(entry, hashAlg);
  return entry;
}

/** The boot_aggregate entry the kernel logs first (its digest: `bootAggregate` of ima.ts over PCRs 0–7/0–9). */
export function bootAggregateEntry(aggregate: Uint8Array, alg: HashName, o: ImaBuildOptions = {}): ImaEntry {
  return buildImaEntry({ path: 'boot_aggregate', digest: aggregate, alg }, o);
}

export function buildImaLog(ms: readonly ImaMeasurement[], o: ImaBuildOptions = {}): ImaEntry[] {
  return ms.map((m) => buildImaEntry(m, o));
}

export function buildImaBinary(ms: readonly ImaMeasurement[], o: ImaBuildOptions = {}): Uint8Array {
  return encodeImaBinary(buildImaLog(ms, o));
}

export function buildImaAscii(ms: readonly ImaMeasurement[], o: ImaBuildOptions = {}): Uint8Array {
  return encodeImaAscii(buildImaLog(ms, o));
}
