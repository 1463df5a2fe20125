/**
 * What the PTS verifier needs to know beyond the evidence, injected (the reference database implements it, tests use
 * a map). Every method may answer synchronously or with a promise; none does TPM or measurement I/O on our behalf.
 */
import type { HashName } from '../../measure/hash.ts';

/** One expected firmware event: the PCR and the digest extended (in the bank's algorithm). */
export interface BootReferenceEvent {
  pcr: number;
  digest: Uint8Array;
}

/** What the verifier knows of the device when it asks for references. */
export interface ReferenceContext {
  /** SHA-1 key id of the device's AIK, once its AIK parsed (references may differ per device or product). */
  aikKeyId?: Uint8Array;
}

export interface PtsReferences {
  /** Reference digests per path (several allowed, e.g. across package versions); a path absent from the map is unknown. */
  fileHashes(
    paths: readonly string[],
    algo: HashName,
    ctx?: ReferenceContext,
  ): ReadonlyMap<string, readonly Uint8Array[]> | Promise<ReadonlyMap<string, readonly Uint8Array[]>>;
  /** Is the AIK with this key id (SHA-1 of its SubjectPublicKeyInfo, strongSwan's device key id) trusted? */
  isTrustedAik(keyId: Uint8Array, spki: Uint8Array): boolean | Promise<boolean>;
  /**
   * The expected firmware event sequence of the device in `bank` (undefined: no boot reference, boot events are
   * then only replayed into the quote, not compared).
   */
  bootReference?(
    keyId: Uint8Array,
    bank: HashName,
  ): readonly BootReferenceEvent[] | undefined | Promise<readonly BootReferenceEvent[] | undefined>;
  /**
   * A token that changes whenever the references this device is judged against may have changed (an import, the
   * device moved to another product). Without it, IMA events are judged in full at every attestation; with it, a
   * device's events proved under the same token are not judged again (src/pts/verify/ima-history.ts).
   */
  referenceVersion?(ctx?: ReferenceContext): string | Promise<string>;
  /** Reference file digests of IMA-measured files, `algo` being the file-hash algorithm of the event. */
  imaReference(
    paths: readonly string[],
    algo: HashName,
    ctx?: ReferenceContext,
  ): ReadonlyMap<string, readonly Uint8Array[]> | Promise<ReadonlyMap<string, readonly Uint8Array[]>>;
}

/** References held in memory (tests, small deployments). */
export class MemoryPtsReferences implements PtsReferences {
  readonly #files = new Map<string, Uint8Array[]>();
  readonly trustedAiks = new Set<string>();
  boot: BootReferenceEvent[] | undefined;
  /** Bumped by every change made through this object's methods (referenceVersion). */
  #version = 0;

  fileHashes(paths: readonly string[], algo: HashName): ReadonlyMap<string, readonly Uint8Array[]> {
    const out = new Map<string, readonly Uint8Array[]>();
    for (const p of paths) {
      const l = this.#files.get(`${algo}\0${p}`);
      if (l) out.set(p, l);
    }
    return out;
  }
  isTrustedAik(keyId: Uint8Array): boolean {
    return this.trustedAiks.has(Buffer.from(keyId).toString('hex'));
  }
  bootReference(): readonly BootReferenceEvent[] | undefined {
    return this.boot;
  }
  imaReference(paths: readonly string[], algo: HashName): ReadonlyMap<string, readonly Uint8Array[]> {
    return this.fileHashes(paths, algo);
  }
  /** Reference digests by `algo\0path` (change them with addFile and removeFile). */
  get files(): ReadonlyMap<string, readonly Uint8Array[]> {
    return this.#files;
  }
  /** Changes with every addFile and removeFile. */
  referenceVersion(): string {
    return `memory ${this.#version}`;
  }
  /** Removes every reference digest of a path. */
  removeFile(path: string, algo: HashName = 'sha256'): this {
    this.#files.delete(`${algo}\0${path}`);
    this.#version++;
    return this;
  }
  /** Adds a reference digest for a path (keyed by algorithm and path). */
  addFile(path: string, digest: Uint8Array, algo: HashName = 'sha256'): this {
    this.#version++;
    const k = `${algo}\0${path}`;
    const l = this.#files.get(k) ?? [];
    l.push(digest);
    this.#files.set(k, l);
    return this;
  }
  trustAik(keyId: Uint8Array): this {
    this.trustedAiks.add(Buffer.from(keyId).toString('hex'));
    return this;
  }
}
