/**
 * PA-TNC message (RFC 5792 §4.1): header and attribute list, NOSKIP semantics (§4.2) and the PA-TNC Error
 * answers (§4.2.8) for malformed messages, unsupported versions and unsupported NOSKIP attributes.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Version    |                    Reserved                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Message Identifier                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    PA-TNC Attributes ...                      |
 */
import { ParseError, ProtocolError, Reader, Writer } from '../../common/index.ts';
import { isUnknown, readAttributeHeader } from './attribute.ts';
import type { PaAttribute, PaAttributeRegistry } from './attribute.ts';
import type { IetfPaTncError } from './attrs/ietf/pa-tnc-error.ts';
import {
  IetfAttr,
  PA_ATTR_FLAG_NOSKIP,
  PA_TNC_ATTR_HEADER_SIZE,
  PA_TNC_HEADER_SIZE,
  PA_TNC_VERSION,
  PaErrorCode,
  Pen,
} from './constants.ts';
import { defaultPaRegistry } from './registry.ts';

export interface PaMessage {
  /** 32-bit message identifier (random per message, RFC 5792 §4.1). */
  messageId: number;
  attributes: PaAttribute[];
}

/** An attribute of unknown type with NOSKIP set, found at `offset` of the message. */
export interface UnsupportedAttribute {
  offset: number;
  flags: number;
  vendor: number;
  type: number;
}

export interface DecodedPaMessage extends PaMessage {
  /**
   * Unknown attributes with NOSKIP set (also present in `attributes` as `UnknownPaAttribute`). When non-empty the
   * message must not be processed; answer with `paErrorFor(bytes, decoded)` (RFC 5792 §4.2).
   */
  unsupportedNoskip: UnsupportedAttribute[];
}

/** A PA-TNC message whose version is not 1 (answer: PA-TNC Error "Version Not Supported"). */
export class PaVersionError extends ProtocolError {
  readonly version: number;
  constructor(version: number) {
    super('PA-TNC', PaErrorCode.VERSION_NOT_SUPPORTED, `PA-TNC version ${version} not supported`);
    this.version = version;
  }
}

export function encodePaMessage(msg: PaMessage, registry: PaAttributeRegistry = defaultPaRegistry): Uint8Array {
  const w = new Writer(64);
  w.u8(PA_TNC_VERSION)
    .u24(0)
    .u32(msg.messageId >>> 0);
  for (const a of msg.attributes) registry.encode(w, a);
  return w.finish();
}

/**
 * Decodes a PA-TNC message. Throws ParseError (offset from the start of the message: answer Invalid Parameter)
 * or PaVersionError. Unknown attributes decode to `UnknownPaAttribute`; those with NOSKIP are listed in
 * `unsupportedNoskip`.
 */
export function decodePaMessage(
  bytes: Uint8Array,
  registry: PaAttributeRegistry = defaultPaRegistry,
): DecodedPaMessage {
  const r = new Reader(bytes, 'pa');
  if (r.remaining < PA_TNC_HEADER_SIZE) r.fail('header', `${r.remaining} bytes insufficient for the PA-TNC header`);
  const version = r.u8('version');
  r.skip(3, 'reserved');
  const messageId = r.u32('messageId');
  if (version !== PA_TNC_VERSION) throw new PaVersionError(version);
  const attributes: PaAttribute[] = [];
  const unsupportedNoskip: UnsupportedAttribute[] = [];
  for (let i = 0; !r.done; i++) {
    const offset = r.offset;
    const h = readAttributeHeader(r);
    const valueLen = h.length - PA_TNC_ATTR_HEADER_SIZE;
    if (valueLen > r.remaining)
      r.fail(`attribute[${i}].length`, 'insufficient bytes for the attribute value', offset + 8);
    const value = r.sub(valueLen, `attribute[${i}]`);
    let a: PaAttribute;
    try {
      a = registry.decodeValue(h, value);
    } catch (e) {
      // strongSwan suppresses errors while processing a PA-TNC Error attribute (no error about an error).
      if (e instanceof ParseError && h.vendor === Pen.IETF && h.type === IetfAttr.PA_TNC_ERROR) {
        a = {
          kind: 'unknown',
          vendor: h.vendor,
          type: h.type,
          noskip: false,
          value: bytes.slice(offset + 12, offset + h.length),
        } as PaAttribute;
      } else throw e;
    }
    if (isUnknown(a) && (h.flags & PA_ATTR_FLAG_NOSKIP) !== 0) {
      unsupportedNoskip.push({ offset, flags: h.flags, vendor: h.vendor, type: h.type });
    }
    attributes.push(a);
  }
  return { messageId, attributes, unsupportedNoskip };
}

/** The 8-byte header copy carried by IETF PA-TNC errors (zero-padded if the message was shorter). */
function headerCopy(bytes: Uint8Array): Uint8Array {
  const h = new Uint8Array(PA_TNC_HEADER_SIZE);
  h.set(bytes.subarray(0, PA_TNC_HEADER_SIZE));
  return h;
}

/**
 * The PA-TNC Error attributes answering a bad message (RFC 5792 §4.2.8):
 * - a ParseError → Invalid Parameter with its offset;
 * - a PaVersionError → Version Not Supported (max = min = 1);
 * - a decoded message with unsupported NOSKIP attributes → one Attribute Type Not Supported per attribute.
 * Anything else yields no error.
 */
export function paErrorFor(bytes: Uint8Array, problem: unknown): IetfPaTncError[] {
  const messageHeader = headerCopy(bytes);
  const base = { kind: 'ietf/pa-tnc-error' as const, noskip: false, errorVendor: Pen.IETF };
  if (problem instanceof ParseError) {
    return [
      {
        ...base,
        errorCode: PaErrorCode.INVALID_PARAMETER,
        info: { format: 'invalid-parameter', messageHeader, offset: problem.offset },
      },
    ];
  }
  if (problem instanceof PaVersionError) {
    return [
      {
        ...base,
        errorCode: PaErrorCode.VERSION_NOT_SUPPORTED,
        info: {
          format: 'version-not-supported',
          messageHeader,
          maxVersion: PA_TNC_VERSION,
          minVersion: PA_TNC_VERSION,
        },
      },
    ];
  }
  if (typeof problem === 'object' && problem !== null && 'unsupportedNoskip' in problem) {
    return (problem as DecodedPaMessage).unsupportedNoskip.map((u) => ({
      ...base,
      errorCode: PaErrorCode.ATTRIBUTE_TYPE_NOT_SUPPORTED,
      info: { format: 'attribute-type-not-supported', messageHeader, flags: u.flags, vendor: u.vendor, type: u.type },
    }));
  }
  return [];
}

export type PaReceiveResult =
  { ok: true; message: DecodedPaMessage } | { ok: false; errors: IetfPaTncError[]; cause: Error };

/**
 * Decodes and applies NOSKIP semantics in one step, as an IMC/IMV does on receipt: either a message to process, or
 * the PA-TNC Error attributes to send back. Only declared errors are turned into answers; others propagate.
 */
export function receivePaMessage(
  bytes: Uint8Array,
  registry: PaAttributeRegistry = defaultPaRegistry,
): PaReceiveResult {
  let message: DecodedPaMessage;
  try {
    message = decodePaMessage(bytes, registry);
  } catch (e) {
    if (e instanceof ParseError || e instanceof PaVersionError)
      return { ok: false, errors: paErrorFor(bytes, e), cause: e };
    throw e;
  }
  if (message.unsupportedNoskip.length > 0) {
    const u = message.unsupportedNoskip[0]!;
    const cause = new ProtocolError(
      'PA-TNC',
      PaErrorCode.ATTRIBUTE_TYPE_NOT_SUPPORTED,
      `unsupported attribute 0x${u.vendor.toString(16).padStart(6, '0')}/${u.type} with NOSKIP at offset ${u.offset}`,
    );
    return { ok: false, errors: paErrorFor(bytes, message), cause };
  }
  return { ok: true, message };
}
