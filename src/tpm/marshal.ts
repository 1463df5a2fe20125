/**
 * The one TPM 2.0 marshaling engine (STYLE practice 5), after TPM 2.0 Part 2 ("Structures") §5–§10 and the
 * canonical big-endian encoding rules of Part 1 §18:
 *
 *   u8 / u16 / u32 / u64        fixed-width big-endian integers (UINT8 … UINT64, TPM_ALG_ID, TPM_HANDLE …)
 *   TPM2B_xxx                   u16 size ‖ size bytes (size ≤ a declared maximum), or u16 size ‖ one structure
 *   TPML_xxx                    u32 count ‖ count elements (count ≤ a declared maximum)
 *   TPMU_xxx                    a union member chosen by a selector field decoded earlier in the same structure
 *   TPMA_xxx                    a bit field, decoded to named booleans plus the unnamed bits (kept for round trips)
 *
 * A structure is declared once as a descriptor; its TypeScript type is inferred from the descriptor with `Infer`.
 * All byte access goes through the common Reader/Writer, so every read is bounds-checked and every error names the
 * field path (e.g. `TPMS_ATTEST.attested.pcrSelect[0].pcrSelect`).
 */
import { Reader, Writer } from '../common/bytes.ts';
import { LimitError } from '../common/errors.ts';

/** Values already decoded (or being encoded) in the enclosing structure; unions read their selector from here. */
export type Scope = Readonly<Record<string, unknown>>;

/** A descriptor: a named way to marshal and unmarshal one TPM type. Method syntax keeps descriptors composable. */
export interface Desc<T> {
  readonly name: string;
  encode(w: Writer, value: T, scope: Scope): void;
  decode(r: Reader, field: string, scope: Scope): T;
}

/** The TypeScript type a descriptor stands for. */
export type Infer<D> = D extends Desc<infer T> ? T : never;

const NO_SCOPE: Scope = Object.freeze({});

/** Marshals a value with a descriptor. */
export function marshal<T>(d: Desc<T>, value: T): Uint8Array {
  const w = new Writer();
  d.encode(w, value, NO_SCOPE);
  return w.finish();
}

/** Unmarshals exactly one value; trailing bytes are an error. */
export function unmarshal<T>(d: Desc<T>, bytes: Uint8Array, path = d.name): T {
  const r = new Reader(bytes, path);
  const v = d.decode(r, '', NO_SCOPE);
  r.end();
  return v;
}

function join(field: string, name: string): string {
  return field ? `${field}.${name}` : name;
}

// ---------------------------------------------------------------------------------------------------------------
// Integers
// ---------------------------------------------------------------------------------------------------------------

export const u8: Desc<number> = {
  name: 'UINT8',
  encode: (w, v) => void w.u8(v),
  decode: (r, f) => r.u8(f),
};
export const u16: Desc<number> = {
  name: 'UINT16',
  encode: (w, v) => void w.u16(v),
  decode: (r, f) => r.u16(f),
};
export const u32: Desc<number> = {
  name: 'UINT32',
  encode: (w, v) => void w.u32(v),
  decode: (r, f) => r.u32(f),
};
export const u64: Desc<bigint> = {
  name: 'UINT64',
  encode: (w, v) => void w.u64(v),
  decode: (r, f) => r.u64(f),
};

/** An integer type under its spec name (TPM_ALG_ID, TPM_HANDLE, …). */
export function alias<T>(name: string, d: Desc<T>): Desc<T> {
  return { name, encode: d.encode, decode: d.decode };
}

/** TPMI_YES_NO (Part 2 §9.2): a byte that must be 0 or 1. */
export const TPMI_YES_NO: Desc<boolean> = {
  name: 'TPMI_YES_NO',
  encode: (w, v) => void w.u8(v ? 1 : 0),
  decode: (r, f) => {
    const at = r.offset;
    const b = r.u8(f);
    if (b > 1) r.fail(f, `TPMI_YES_NO must be 0 or 1, got ${b}`, at);
    return b === 1;
  },
};

/** A member present only for some selectors (TPMS_EMPTY, a TPM_ALG_NULL union arm): no bytes, value null. */
export const empty: Desc<null> = {
  name: 'TPMS_EMPTY',
  encode: () => {},
  decode: () => null,
};

/** A fixed number of bytes (e.g. a digest inside TPMT_HA, whose size is implied by the hash algorithm). */
export function fixed(size: number, name = `BYTE[${size}]`): Desc<Uint8Array> {
  return {
    name,
    encode(w, v) {
      if (v.byteLength !== size) throw new LimitError(name, `needs exactly ${size} bytes, got ${v.byteLength}`);
      w.bytes(v);
    },
    decode: (r, f) => r.copy(size, f),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Sized buffers
// ---------------------------------------------------------------------------------------------------------------

/** TPM2B_xxx with a byte buffer: u16 size ‖ bytes, size ≤ max (Part 2 §10.4). */
export function tpm2b(name: string, max: number): Desc<Uint8Array> {
  return {
    name,
    encode(w, v) {
      if (v.byteLength > max) throw new LimitError(name, `${v.byteLength} bytes exceed the maximum ${max}`);
      w.u16(v.byteLength).bytes(v);
    },
    decode(r, f) {
      const at = r.offset;
      const n = r.u16(join(f, 'size'));
      if (n > max) r.fail(f, `${name} size ${n} exceeds the maximum ${max}`, at);
      return r.copy(n, join(f, 'buffer'));
    },
  };
}

/** A buffer with a one-byte size (sizeofSelect ‖ pcrSelect in TPMS_PCR_SELECTION). */
export function sized8(name: string, max: number): Desc<Uint8Array> {
  return {
    name,
    encode(w, v) {
      if (v.byteLength > max) throw new LimitError(name, `${v.byteLength} bytes exceed the maximum ${max}`);
      w.u8(v.byteLength).bytes(v);
    },
    decode(r, f) {
      const at = r.offset;
      const n = r.u8(join(f, 'size'));
      if (n > max) r.fail(f, `${name} size ${n} exceeds the maximum ${max}`, at);
      return r.copy(n, f);
    },
  };
}

/**
 * TPM2B_xxx wrapping a structure (TPM2B_PUBLIC, TPM2B_SENSITIVE_CREATE, TPM2B_NV_PUBLIC, …): u16 size ‖ structure.
 * The structure must fill the size exactly.
 */
export function sized<T>(name: string, inner: Desc<T>): Desc<T> {
  return {
    name,
    encode(w, v) {
      w.lengthPrefixed(2, (x) => inner.encode(x, v, NO_SCOPE));
    },
    decode(r, f) {
      const at = r.offset;
      const n = r.u16(join(f, 'size'));
      if (n === 0) r.fail(f, `${name} is empty`, at);
      const sub = r.sub(n, f);
      const v = inner.decode(sub, '', NO_SCOPE);
      sub.end();
      return v;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Structures, lists, unions, bit fields
// ---------------------------------------------------------------------------------------------------------------

type Fields = Record<string, Desc<unknown>>;
export type StructOf<F extends Fields> = { -readonly [K in keyof F]: Infer<F[K]> };

/** TPMS_xxx / TPMT_xxx: fields in declaration order. Later fields see earlier ones (for union selectors). */
export function struct<F extends Fields>(name: string, fields: F): Desc<StructOf<F>> {
  const entries = Object.entries(fields);
  return {
    name,
    encode(w, v) {
      const scope = v as Scope;
      for (const [k, d] of entries) d.encode(w, scope[k], scope);
    },
    decode(r, f) {
      const out: Record<string, unknown> = {};
      for (const [k, d] of entries) out[k] = d.decode(r, join(f, k), out);
      return out as StructOf<F>;
    },
  };
}

/** TPML_xxx: u32 count ‖ elements, count ≤ max (Part 2 §10.9). */
export function list<T>(name: string, element: Desc<T>, max: number): Desc<T[]> {
  return {
    name,
    encode(w, v) {
      if (v.length > max) throw new LimitError(name, `${v.length} elements exceed the maximum ${max}`);
      w.u32(v.length);
      for (const e of v) element.encode(w, e, NO_SCOPE);
    },
    decode(r, f) {
      const at = r.offset;
      const n = r.u32(join(f, 'count'));
      if (n > max) r.fail(f, `${name} count ${n} exceeds the maximum ${max}`, at);
      const out: T[] = [];
      for (let i = 0; i < n; i++) out.push(element.decode(r, `${f}[${i}]`, NO_SCOPE));
      return out;
    },
  };
}

type Cases = Record<number, Desc<unknown>>;

/**
 * TPMU_xxx: the member chosen by `selector`, a field decoded earlier in the enclosing structure (Part 2 §11.1).
 * An unknown selector is a parse error (a TPM never sends one for a structure it produced).
 */
export function union<C extends Cases>(name: string, selector: string, cases: C): Desc<Infer<C[keyof C]>> {
  const pick = (sel: unknown): Desc<unknown> | undefined => (typeof sel === 'number' ? cases[sel] : undefined);
  return {
    name,
    encode(w, v, scope) {
      const d = pick(scope[selector]);
      if (!d) throw new LimitError(name, `no member for ${selector}=${String(scope[selector])}`);
      d.encode(w, v, scope);
    },
    decode(r, f, scope) {
      const d = pick(scope[selector]);
      if (!d) return r.fail(f, `${name} has no member for ${selector}=0x${Number(scope[selector]).toString(16)}`);
      return d.decode(r, f, scope) as Infer<C[keyof C]>;
    },
  };
}

/** A TPMA_xxx value: each named bit as a boolean, plus `other` holding every bit without a name. */
export type Bits<K extends string> = Record<K, boolean> & { other: number };

export interface BitsDesc<K extends string> extends Desc<Bits<K>> {
  /** A value with exactly the named bits set. */
  of(...set: K[]): Bits<K>;
  /** The integer encoding of a value. */
  toNumber(v: Bits<K>): number;
  fromNumber(n: number): Bits<K>;
}

/** TPMA_xxx over an 8- or 32-bit integer; `bits` maps names to bit positions. */
export function bits<K extends string>(name: string, width: 8 | 32, positions: Record<K, number>): BitsDesc<K> {
  const entries = Object.entries(positions) as [K, number][];
  let named = 0;
  for (const [, b] of entries) named |= 1 << b;
  named >>>= 0;
  const fromNumber = (n: number): Bits<K> => {
    const out = { other: (n & ~named) >>> 0 } as Bits<K>;
    for (const [k, b] of entries) (out as Record<K, boolean>)[k] = ((n >>> b) & 1) === 1;
    return out;
  };
  const toNumber = (v: Bits<K>): number => {
    let n = v.other >>> 0;
    for (const [k, b] of entries) if (v[k]) n |= 1 << b;
    return n >>> 0;
  };
  return {
    name,
    of: (...set) => {
      const v = fromNumber(0);
      for (const k of set) (v as Record<K, boolean>)[k] = true;
      return v;
    },
    toNumber,
    fromNumber,
    encode(w, v) {
      if (width === 8) w.u8(toNumber(v));
      else w.u32(toNumber(v));
    },
    decode: (r, f) => fromNumber(width === 8 ? r.u8(f) : r.u32(f)),
  };
}
