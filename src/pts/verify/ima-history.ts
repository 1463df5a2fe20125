/**
 * Incremental IMA verification, as Keylime's verifier does it: an IMA measurement list only grows between reboots,
 * so the entries a device proved at its last fully verified attestation need not be judged again. The verifier keeps,
 * per device (AIK key id), a checkpoint of its PCR 10 evidence as of that attestation:
 *
 *   - how many PCR 10 events it held, and a SHA-256 digest over them (each event's PCR, algorithm, validation,
 *     component name, measurement and IMA name, length-prefixed: no two event lists share an encoding);
 *   - the PCR 10 value those events replay to;
 *   - the context it was judged in: measurement bank, the references' version (`PtsReferences.referenceVersion`:
 *     an import or a device moved to another product gives a new one), the replayed boot PCRs (the boot_aggregate
 *     entry was checked against them) and the TPM's startup locality.
 *
 * At the next attestation, when the context is the same and the new list begins with exactly those events (same
 * digest), they are taken as verified: their reference lookups and template hashes are skipped, and PCR 10 is replayed
 * from the checkpoint's value over the new events only. Everything else is judged as always, and the fresh quote must
 * still equal the replay of the whole list, so a device cannot drop, alter or reorder entries it already proved.
 *
 * A checkpoint is recorded only after an attestation passed without any reason, with a quote covering PCR 10.
 * Checkpoints are bounded (least recently used evicted first); a lost one costs one full verification.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import type { TcgPtsSimpleCompEvid } from '../attrs/simple-component-evidence.ts';

/** The PCR IMA extends. */
export const IMA_PCR = 10;

export interface ImaCheckpoint {
  /** The context it holds in (bank, reference version, boot PCRs, locality). */
  context: string;
  /** PCR 10 events covered. */
  events: number;
  /** Digest over those events. */
  digest: string;
  /** PCR 10 after replaying them. */
  pcr: Uint8Array;
}

/** Default number of devices remembered. */
export const DEFAULT_IMA_HISTORY_DEVICES = 100_000;

export class ImaHistory {
  readonly #max: number;
  readonly #byDevice = new Map<string, ImaCheckpoint>();

  constructor(maxDevices = DEFAULT_IMA_HISTORY_DEVICES) {
    this.#max = Math.max(1, maxDevices);
  }

  get size(): number {
    return this.#byDevice.size;
  }

  get(device: string): ImaCheckpoint | undefined {
    return this.#byDevice.get(device);
  }

  set(device: string, cp: ImaCheckpoint): void {
    this.#byDevice.delete(device);
    this.#byDevice.set(device, cp);
    while (this.#byDevice.size > this.#max) {
      const oldest = this.#byDevice.keys().next().value;
      if (oldest === undefined) break;
      this.#byDevice.delete(oldest);
    }
  }

  forget(device: string): void {
    this.#byDevice.delete(device);
  }
}

/** Running digest over PCR 10 events in the checkpoint encoding. */
export class EventDigest {
  readonly #h: Hash = createHash('sha256');
  readonly #head = Buffer.alloc(1 + 2 + 1 + 4 + 1 + 4 + 4 + 4);
  count = 0;

  add(c: TcgPtsSimpleCompEvid): void {
    const uri = c.policyUri ?? '';
    let o = this.#head.writeUInt8(c.pcr & 0xff, 0);
    o = this.#head.writeUInt16BE(c.hashAlgorithm & 0xffff, o);
    o = this.#head.writeUInt8(c.validation & 0xff, o);
    o = this.#head.writeUInt32BE(c.name.vendor >>> 0, o);
    o = this.#head.writeUInt8(c.name.qualifier & 0xff, o);
    o = this.#head.writeUInt32BE(c.name.name >>> 0, o);
    o = this.#head.writeUInt32BE(c.measurement.byteLength, o);
    this.#head.writeUInt32BE(Buffer.byteLength(uri, 'utf8'), o);
    this.#h.update(this.#head);
    this.#h.update(c.measurement);
    this.#h.update(uri, 'utf8');
    this.count++;
  }

  /** The digest so far (the running digest goes on). */
  peek(): string {
    return this.#h.copy().digest('base64');
  }
}
