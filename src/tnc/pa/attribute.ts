/**
 * PA-TNC attributes (RFC 5792 §4.2): the common header, the codec interface every attribute file implements, and
 * the registry keyed by (vendor, type).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Flags     |          PA-TNC Attribute Vendor ID           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     PA-TNC Attribute Type                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    PA-TNC Attribute Length                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Attribute Value (Variable Length)             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Flags: NOSKIP 0x80. Length includes the 12-byte header.
 */
import type { Reader } from '../../common/index.ts';
import { ConfigError, Writer } from '../../common/index.ts';
import { PA_ATTR_FLAG_NOSKIP, PA_ATTR_TYPE_RESERVED, PA_TNC_ATTR_HEADER_SIZE, PEN_RESERVED } from './constants.ts';

/** Every attribute value has a `kind` naming its codec; `noskip` is the header flag (default false). */
export interface PaAttribute {
  readonly kind: string;
  noskip?: boolean;
}

/** An attribute whose (vendor, type) has no codec in the registry: raw value and flag are kept. */
export interface UnknownPaAttribute extends PaAttribute {
  readonly kind: 'unknown';
  vendor: number;
  type: number;
  value: Uint8Array;
}

/** Codec of one attribute type. `decodeValue` gets a reader over exactly the value and must consume all of it. */
export interface PaAttributeCodec<A extends PaAttribute> {
  readonly kind: A['kind'];
  readonly vendor: number;
  readonly type: number;
  /** Spec name for logs. */
  readonly name: string;
  encodeValue(w: Writer, a: A): void;
  decodeValue(r: Reader): Omit<A, 'kind' | 'noskip'>;
}

/** Type guard: is `a` the attribute of `codec`? */
export function isAttr<A extends PaAttribute>(codec: PaAttributeCodec<A>, a: PaAttribute): a is A {
  return a.kind === codec.kind;
}

/** Header fields of an attribute on the wire. */
export interface PaAttributeHeader {
  flags: number;
  vendor: number;
  type: number;
  /** Length including the header. */
  length: number;
}

const key = (vendor: number, type: number) => `${vendor}:${type}`;

export class PaAttributeRegistry {
  readonly #byType = new Map<string, PaAttributeCodec<PaAttribute>>();
  readonly #byKind = new Map<string, PaAttributeCodec<PaAttribute>>();

  constructor(codecs: readonly PaAttributeCodec<PaAttribute>[] = []) {
    for (const c of codecs) this.register(c);
  }

  register(codec: PaAttributeCodec<PaAttribute>): this {
    if (codec.kind === 'unknown') throw new ConfigError('attribute kind "unknown" is reserved');
    const k = key(codec.vendor, codec.type);
    if (this.#byType.has(k) || this.#byKind.has(codec.kind)) {
      throw new ConfigError(`PA-TNC attribute ${codec.kind} (${k}) registered twice`);
    }
    this.#byType.set(k, codec);
    this.#byKind.set(codec.kind, codec);
    return this;
  }

  /** A copy with more codecs (e.g. the PTS attributes on top of the defaults). */
  with(...codecs: PaAttributeCodec<PaAttribute>[]): PaAttributeRegistry {
    return new PaAttributeRegistry([...this.#byType.values(), ...codecs]);
  }

  byType(vendor: number, type: number): PaAttributeCodec<PaAttribute> | undefined {
    return this.#byType.get(key(vendor, type));
  }
  byKind(kind: string): PaAttributeCodec<PaAttribute> | undefined {
    return this.#byKind.get(kind);
  }

  /** (vendor, type) of an attribute value, known or not. */
  typeOf(a: PaAttribute): { vendor: number; type: number } {
    if (isUnknown(a)) return { vendor: a.vendor, type: a.type };
    const c = this.#byKind.get(a.kind);
    if (!c) throw new ConfigError(`no PA-TNC attribute codec for kind ${a.kind}`);
    return { vendor: c.vendor, type: c.type };
  }

  /** Writes one attribute (header + value). */
  encode(w: Writer, a: PaAttribute): void {
    const flags = a.noskip ? PA_ATTR_FLAG_NOSKIP : 0;
    if (isUnknown(a)) {
      w.u8(flags)
        .u24(a.vendor)
        .u32(a.type)
        .u32(PA_TNC_ATTR_HEADER_SIZE + a.value.byteLength)
        .bytes(a.value);
      return;
    }
    const c = this.#byKind.get(a.kind);
    if (!c) throw new ConfigError(`no PA-TNC attribute codec for kind ${a.kind}`);
    w.u8(flags).u24(c.vendor).u32(c.type);
    w.lengthPrefixed(4, (inner) => c.encodeValue(inner, a), 4 + 8);
  }

  /** One attribute, header and value, as bytes. */
  encodeOne(a: PaAttribute): Uint8Array {
    const w = new Writer();
    this.encode(w, a);
    return w.finish();
  }

  /** Decodes the value of an attribute whose header was read; unknown types keep their raw value. */
  decodeValue(h: PaAttributeHeader, value: Reader): PaAttribute {
    const noskip = (h.flags & PA_ATTR_FLAG_NOSKIP) !== 0;
    const c = this.#byType.get(key(h.vendor, h.type));
    if (!c) {
      const u: UnknownPaAttribute = {
        kind: 'unknown',
        vendor: h.vendor,
        type: h.type,
        noskip,
        value: value.copy(value.remaining, 'value'),
      };
      return u;
    }
    const body = c.decodeValue(value);
    value.end('value');
    return { ...body, kind: c.kind, noskip };
  }
}

export function isUnknown(a: PaAttribute): a is UnknownPaAttribute {
  return a.kind === 'unknown';
}

/**
 * Reads an attribute header and checks it like strongSwan's attribute manager (offsets relative to the reader's
 * outermost buffer): reserved vendor (+1), reserved type (+4), length below 12 or beyond the data (+8).
 */
export function readAttributeHeader(r: Reader): PaAttributeHeader {
  const start = r.offset;
  if (r.remaining < PA_TNC_ATTR_HEADER_SIZE) r.fail('attribute', 'insufficient bytes for PA-TNC attribute header');
  const flags = r.u8('flags');
  const vendor = r.u24('vendor');
  const type = r.u32('type');
  const length = r.u32('length');
  if (length < PA_TNC_ATTR_HEADER_SIZE)
    r.fail('length', `${length} bytes too small for PA-TNC attribute length`, start + 8);
  if (vendor === PEN_RESERVED) r.fail('vendor', 'reserved vendor id', start + 1);
  if (type === PA_ATTR_TYPE_RESERVED) r.fail('type', 'reserved attribute type', start + 4);
  return { flags, vendor, type, length };
}
