/**
 * Anti-replay window with extended sequence numbers (RFC 4303 §3.4.3 and Appendix A2).
 *
 * The receiver keeps T, the highest authenticated sequence number, and a bitmap of the last W numbers. For an
 * arriving low half Seql it infers the high half (Appendix A2.2): with Tl = T mod 2^32 and Th = T / 2^32,
 *   Case A (Tl >= W - 1, window within one subspace):  Seqh = Th + 1 if Seql < Tl - W + 1, else Th
 *   Case B (Tl <  W - 1, window spans two subspaces):   Seqh = Th - 1 if Seql >= Tl - W + 1 (mod 2^32), else Th
 * `check` runs before the ICV is verified (cheap rejection of replays and stale packets); `update` only after the
 * ICV verified, so forged packets cannot move the window. Without ESN Seqh is always 0 and sequence number 0 is
 * never valid (§2.2: the first packet carries 1).
 */
import { ConfigError } from '../common/errors.ts';

const TWO32 = 2 ** 32;

export type ReplayVerdict = { ok: true; seqHi: number; full: number } | { ok: false; why: 'replay' | 'stale' };

export class ReplayWindow {
  readonly size: number;
  readonly esn: boolean;
  #top = 0;
  readonly #bits: Uint32Array;

  /** `size` is rounded up to a multiple of 32; at least 32, at most 65,536. */
  constructor(size = 2048, esn = false) {
    if (!Number.isInteger(size) || size < 32 || size > 65_536) throw new ConfigError(`replay window ${size}`);
    this.size = Math.ceil(size / 32) * 32;
    this.esn = esn;
    this.#bits = new Uint32Array(this.size / 32);
  }

  /** Highest sequence number accepted so far. */
  get top(): number {
    return this.#top;
  }

  /** Infers the high bits and says whether the packet may be new (before the ICV check). */
  check(seqLo: number): ReplayVerdict {
    seqLo >>>= 0;
    const w = this.size;
    let seqHi = 0;
    if (this.esn) {
      const tl = this.#top % TWO32;
      const th = Math.floor(this.#top / TWO32);
      if (tl >= w - 1) seqHi = seqLo >= tl - w + 1 ? th : th + 1;
      else seqHi = seqLo >= (tl - w + 1 + TWO32) % TWO32 ? th - 1 : th;
      if (seqHi < 0) return { ok: false, why: 'stale' };
      // Th + 1 beyond 2^32 - 1 cannot be represented on the wire either; treat as stale.
      if (seqHi >= TWO32) return { ok: false, why: 'stale' };
    }
    const full = seqHi * TWO32 + seqLo;
    if (full === 0) return { ok: false, why: 'stale' };
    if (full > this.#top) return { ok: true, seqHi, full };
    if (this.#top - full >= w) return { ok: false, why: 'stale' };
    const i = full % w;
    if ((this.#bits[i >>> 5]! >>> (i & 31)) & 1) return { ok: false, why: 'replay' };
    return { ok: true, seqHi, full };
  }

  /** Marks `full` as received; call only after its ICV verified. Returns false if it was a replay after all. */
  update(full: number): boolean {
    const w = this.size;
    if (full > this.#top) {
      const diff = full - this.#top;
      if (diff >= w) this.#bits.fill(0);
      else for (let s = this.#top + 1; s < full; s++) this.#clear(s % w);
      this.#top = full;
      this.#set(full % w);
      return true;
    }
    if (this.#top - full >= w) return false;
    const i = full % w;
    if ((this.#bits[i >>> 5]! >>> (i & 31)) & 1) return false;
    this.#set(i);
    return true;
  }

  #set(i: number): void {
    this.#bits[i >>> 5]! |= 1 << (i & 31);
  }
  #clear(i: number): void {
    this.#bits[i >>> 5]! &= ~(1 << (i & 31));
  }
}
