/**
 * Hash algorithms of measurement: names as node:crypto and the IMA log spell them (`sha256`), TCG algorithm ids
 * (TCG Algorithm Registry, TPM_ALG_ID), digest sizes, and the PCR extend operation `new = H(old ‖ digest)`
 * (TPM 2.0 Part 1 §17.2). Pure: no I/O.
 */
import { hash as oneShot } from 'node:crypto';
import { ConfigError, VerifyError } from '../common/errors.ts';
import { reverse } from '../common/names.ts';

/** TPM_ALG_ID values of hash algorithms (TCG Algorithm Registry, Table 3). */
export const TPM_ALG = {
  SHA1: 0x0004,
  SHA256: 0x000b,
  SHA384: 0x000c,
  SHA512: 0x000d,
  SM3_256: 0x0012,
  SHA3_256: 0x0027,
  SHA3_384: 0x0028,
  SHA3_512: 0x0029,
} as const;
export const TPM_ALG_NAMES = reverse(TPM_ALG);

/** Hash algorithms we compute (node:crypto names, also the IMA `d-ng` prefix). */
export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512' | 'sm3' | 'sha3-256' | 'sha3-384' | 'sha3-512';

export const HASH_NAMES: readonly HashName[] = [
  'sha1',
  'sha256',
  'sha384',
  'sha512',
  'sm3',
  'sha3-256',
  'sha3-384',
  'sha3-512',
];

export const DIGEST_SIZE: Readonly<Record<HashName, number>> = {
  sha1: 20,
  sha256: 32,
  sha384: 48,
  sha512: 64,
  sm3: 32,
  'sha3-256': 32,
  'sha3-384': 48,
  'sha3-512': 64,
};

const BY_TPM_ALG: ReadonlyMap<number, HashName> = new Map<number, HashName>([
  [TPM_ALG.SHA1, 'sha1'],
  [TPM_ALG.SHA256, 'sha256'],
  [TPM_ALG.SHA384, 'sha384'],
  [TPM_ALG.SHA512, 'sha512'],
  [TPM_ALG.SM3_256, 'sm3'],
  [TPM_ALG.SHA3_256, 'sha3-256'],
  [TPM_ALG.SHA3_384, 'sha3-384'],
  [TPM_ALG.SHA3_512, 'sha3-512'],
]);
const TO_TPM_ALG: ReadonlyMap<HashName, number> = new Map([...BY_TPM_ALG].map(([k, v]) => [v, k]));

export function isHashName(s: string): s is HashName {
  return (HASH_NAMES as readonly string[]).includes(s);
}

/** The hash name for a TPM_ALG_ID, or undefined when we cannot compute it. */
export function hashOfTpmAlg(alg: number): HashName | undefined {
  return BY_TPM_ALG.get(alg);
}

export function tpmAlgOf(name: HashName): number {
  const id = TO_TPM_ALG.get(name);
  if (id === undefined) throw new ConfigError(`no TPM_ALG_ID for ${name}`);
  return id;
}

/** Checks a user-supplied algorithm name. */
export function hashName(s: string): HashName {
  const n = s.toLowerCase();
  if (!isHashName(n)) throw new ConfigError(`unsupported hash algorithm '${s}' (one of ${HASH_NAMES.join(', ')})`);
  return n;
}

/** One-shot digest (node:crypto `hash`, fastest for small inputs). */
export function digest(alg: HashName, data: Uint8Array): Uint8Array {
  const b = oneShot(alg, data, 'buffer');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** PCR extend: H(old ‖ value). `value` must already have the bank's digest size. */
export function extend(alg: HashName, old: Uint8Array, value: Uint8Array): Uint8Array {
  const buf = new Uint8Array(old.byteLength + value.byteLength);
  buf.set(old, 0);
  buf.set(value, old.byteLength);
  return digest(alg, buf);
}

/**
 * A PCR accumulator that reuses one buffer for `old ‖ value` (replay of long logs extends hundreds of thousands of
 * times).
 */
export class PcrAccumulator {
  readonly alg: HashName;
  readonly size: number;
  /** PCR value ‖ value to extend. A Buffer: digests come back as latin1 strings and are written in place, which
   * is several times cheaper than node:crypto allocating a Buffer per digest. */
  readonly #buf: Buffer;

  constructor(alg: HashName, initial?: Uint8Array) {
    this.alg = alg;
    this.size = DIGEST_SIZE[alg];
    this.#buf = Buffer.alloc(2 * this.size);
    if (initial) {
      if (initial.byteLength !== this.size) {
        throw new ConfigError(`initial PCR value has ${initial.byteLength} bytes, ${alg} needs ${this.size}`);
      }
      this.#buf.set(initial, 0);
    }
  }

  /** Extends with a value of the bank's size. */
  extend(value: Uint8Array): void {
    if (value.byteLength !== this.size) {
      throw new VerifyError(
        'pcr extend',
        `value has ${value.byteLength} bytes, the ${this.alg} bank needs ${this.size}`,
      );
    }
    this.#buf.set(value, this.size);
    this.#buf.write(oneShot(this.alg, this.#buf, 'binary'), 0, this.size, 'latin1');
  }

  /** Extends with a value given as a latin1 string of the bank's size (a `hash(…, 'latin1')` result). */
  extendLatin1(value: string): void {
    if (value.length !== this.size) {
      throw new VerifyError('pcr extend', `value has ${value.length} bytes, the ${this.alg} bank needs ${this.size}`);
    }
    this.#buf.write(value, this.size, this.size, 'latin1');
    this.#buf.write(oneShot(this.alg, this.#buf, 'binary'), 0, this.size, 'latin1');
  }

  get value(): Uint8Array {
    return new Uint8Array(this.#buf.subarray(0, this.size));
  }
}
