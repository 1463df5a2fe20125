/**
 * The one bounds-checked Reader and Writer (STYLE practice 4). All raw byte indexing of wire data lives here:
 * every read is checked, errors carry the absolute offset and the field path, declared lengths are checked against
 * what is left before anything is allocated, and length prefixes are back-patched on write.
 */
import { LimitError, ParseError } from './errors.ts';

const EMPTY = new Uint8Array(0);
const UTF8_FATAL = new TextDecoder('utf-8', { fatal: true });
const UTF8_ENCODER = new TextEncoder();

export class Reader {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  /** Absolute offset of this reader's first byte in the outermost buffer (for error messages). */
  readonly base: number;
  /** Field path prefix, e.g. `ike.payload[1]`. */
  readonly path: string;
  #pos = 0;

  constructor(buf: Uint8Array, path = '', base = 0) {
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.path = path;
    this.base = base;
  }

  /** Position relative to this reader's start. */
  get offset(): number {
    return this.#pos;
  }
  /** Absolute position in the outermost buffer. */
  get absolute(): number {
    return this.base + this.#pos;
  }
  get length(): number {
    return this.#buf.byteLength;
  }
  get remaining(): number {
    return this.#buf.byteLength - this.#pos;
  }
  get done(): boolean {
    return this.#pos >= this.#buf.byteLength;
  }

  #name(field: string): string {
    return this.path ? (field ? `${this.path}.${field}` : this.path) : field;
  }

  /** Throws a ParseError located at the current position (or `at`, relative to this reader). */
  fail(field: string, message: string, at = this.#pos): never {
    throw new ParseError(message, this.base + at, this.#name(field));
  }

  #need(n: number, field: string): number {
    if (!Number.isInteger(n) || n < 0) this.fail(field, `invalid length ${n}`);
    if (n > this.remaining) this.fail(field, `needs ${n} bytes, ${this.remaining} left`);
    const p = this.#pos;
    this.#pos += n;
    return p;
  }

  u8(field: string): number {
    return this.#view.getUint8(this.#need(1, field));
  }
  u16(field: string): number {
    return this.#view.getUint16(this.#need(2, field));
  }
  u24(field: string): number {
    const p = this.#need(3, field);
    return (this.#view.getUint8(p) << 16) | this.#view.getUint16(p + 1);
  }
  u32(field: string): number {
    return this.#view.getUint32(this.#need(4, field));
  }
  u64(field: string): bigint {
    return this.#view.getBigUint64(this.#need(8, field));
  }
  /** Little-endian variants, for IMA and TCG event logs. */
  u16le(field: string): number {
    return this.#view.getUint16(this.#need(2, field), true);
  }
  u32le(field: string): number {
    return this.#view.getUint32(this.#need(4, field), true);
  }
  u64le(field: string): bigint {
    return this.#view.getBigUint64(this.#need(8, field), true);
  }

  /** A view (no copy) of the next n bytes. Callers that keep the bytes beyond the input's life must copy. */
  bytes(n: number, field: string): Uint8Array {
    if (n === 0) return EMPTY;
    const p = this.#need(n, field);
    return this.#buf.subarray(p, p + n);
  }
  /** A copy of the next n bytes. */
  copy(n: number, field: string): Uint8Array {
    return this.bytes(n, field).slice();
  }
  /** Everything that is left. */
  rest(field = 'rest'): Uint8Array {
    return this.bytes(this.remaining, field);
  }
  skip(n: number, field: string): void {
    this.#need(n, field);
  }
  peekU8(field: string): number {
    if (this.remaining < 1) this.fail(field, 'needs 1 byte, 0 left');
    return this.#view.getUint8(this.#pos);
  }

  /** Text in UTF-8 (fatal on invalid sequences). */
  utf8(n: number, field: string): string {
    const start = this.#pos;
    const b = this.bytes(n, field);
    try {
      return UTF8_FATAL.decode(b);
    } catch {
      this.fail(field, 'invalid UTF-8', start);
    }
  }

  /**
   * A sub-reader over the next n bytes, whose errors name `field` and whose offsets stay absolute.
   * The parent advances past the region at once.
   */
  sub(n: number, field: string): Reader {
    const p = this.#need(n, field);
    return new Reader(this.#buf.subarray(p, p + n), this.#name(field), this.base + p);
  }

  /** Asserts that the whole input was consumed: every length must be used up (no trailing garbage). */
  end(field = ''): void {
    if (this.remaining !== 0) this.fail(field, `${this.remaining} trailing bytes`);
  }
}

export type LengthWidth = 1 | 2 | 3 | 4;

export class Writer {
  #buf: Uint8Array;
  #view: DataView;
  #len = 0;

  constructor(initial = 256) {
    this.#buf = new Uint8Array(Math.max(16, initial));
    this.#view = new DataView(this.#buf.buffer);
  }

  get length(): number {
    return this.#len;
  }

  #grow(n: number): number {
    const need = this.#len + n;
    if (need > this.#buf.byteLength) {
      let size = this.#buf.byteLength * 2;
      while (size < need) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.#buf.subarray(0, this.#len));
      this.#buf = next;
      this.#view = new DataView(next.buffer);
    }
    const p = this.#len;
    this.#len = need;
    return p;
  }

  static #check(value: number, bits: number, what: string): void {
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
      throw new LimitError(what, `${value} does not fit in ${bits} bits`);
    }
  }

  u8(v: number): this {
    Writer.#check(v, 8, 'u8');
    const p = this.#grow(1);
    this.#view.setUint8(p, v);
    return this;
  }
  u16(v: number): this {
    Writer.#check(v, 16, 'u16');
    const p = this.#grow(2);
    this.#view.setUint16(p, v);
    return this;
  }
  u24(v: number): this {
    Writer.#check(v, 24, 'u24');
    const p = this.#grow(3);
    this.#view.setUint8(p, v >>> 16);
    this.#view.setUint16(p + 1, v & 0xffff);
    return this;
  }
  u32(v: number): this {
    Writer.#check(v, 32, 'u32');
    const p = this.#grow(4);
    this.#view.setUint32(p, v);
    return this;
  }
  u64(v: bigint): this {
    if (v < 0n || v >= 1n << 64n) throw new LimitError('u64', `${v} does not fit in 64 bits`);
    const p = this.#grow(8);
    this.#view.setBigUint64(p, v);
    return this;
  }
  u16le(v: number): this {
    Writer.#check(v, 16, 'u16');
    const p = this.#grow(2);
    this.#view.setUint16(p, v, true);
    return this;
  }
  u32le(v: number): this {
    Writer.#check(v, 32, 'u32');
    const p = this.#grow(4);
    this.#view.setUint32(p, v, true);
    return this;
  }
  u64le(v: bigint): this {
    if (v < 0n || v >= 1n << 64n) throw new LimitError('u64', `${v} does not fit in 64 bits`);
    const p = this.#grow(8);
    this.#view.setBigUint64(p, v, true);
    return this;
  }
  bytes(b: Uint8Array): this {
    const p = this.#grow(b.byteLength);
    this.#buf.set(b, p);
    return this;
  }
  zeros(n: number): this {
    const p = this.#grow(n);
    this.#buf.fill(0, p, p + n);
    return this;
  }
  utf8(s: string): this {
    return this.bytes(UTF8_ENCODER.encode(s));
  }

  /**
   * Writes a length field of `width` bytes, then the body written by `fn`, and back-patches the length.
   * `adjust` is added to the body length (e.g. the size of a header that the length includes).
   */
  lengthPrefixed(width: LengthWidth, fn: (w: this) => void, adjust = 0): this {
    const at = this.#grow(width);
    const start = this.#len;
    fn(this);
    this.patch(at, width, this.#len - start + adjust);
    return this;
  }

  /** Reserves `width` bytes for a value patched later with `patch`; returns their offset. */
  reserve(width: LengthWidth): number {
    const at = this.#grow(width);
    this.#buf.fill(0, at, at + width);
    return at;
  }

  /** Overwrites `width` bytes at `at` with `value` (big-endian). */
  patch(at: number, width: LengthWidth, value: number): void {
    Writer.#check(value, width * 8, `length at ${at}`);
    if (at < 0 || at + width > this.#len) throw new LimitError('patch', `offset ${at} outside the written bytes`);
    switch (width) {
      case 1:
        this.#view.setUint8(at, value);
        break;
      case 2:
        this.#view.setUint16(at, value);
        break;
      case 3:
        this.#view.setUint8(at, value >>> 16);
        this.#view.setUint16(at + 1, value & 0xffff);
        break;
      case 4:
        this.#view.setUint32(at, value);
        break;
    }
  }

  /** A copy of the bytes written so far. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/** Concatenates byte arrays. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** Byte-wise equality; not constant time (use crypto's `timingSafeEqual` for secrets). */
export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(s: string): Uint8Array {
  const clean = s.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new ParseError('not an even-length hex string', 0, 'hex');
  }
  return new Uint8Array(Buffer.from(clean, 'hex'));
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Overwrites key material in place; called when an SA or session dies. */
export function wipe(...bufs: (Uint8Array | undefined)[]): void {
  for (const b of bufs) b?.fill(0);
}

/** Big-endian 32-bit encoding. */
export function u32be(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0);
  return b;
}
