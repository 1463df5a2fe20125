/**
 * The generic payload header (RFC 7296 §3.2) and the payload chain it links, plus the handling of unknown payload
 * types (§2.5): an unknown payload with the critical bit set is refused with UNSUPPORTED_CRITICAL_PAYLOAD, one
 * without it is kept as an UnknownPayload and otherwise ignored.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Payload Length includes the 4-byte generic header.
 */
import type { Reader } from '../../common/bytes.ts';
import { Writer } from '../../common/bytes.ts';
import { ProtocolError, StateError } from '../../common/errors.ts';
import { nameOf } from '../../common/names.ts';
import { payloadCodecs } from './registry.ts';
import type { Payload, UnknownPayload } from './types.ts';
import { NotifyType, PayloadType, PayloadTypeNames } from './types.ts';

export const GENERIC_HEADER_LENGTH = 4;
/** The critical bit in the second byte of the generic header. */
export const CRITICAL = 0x80;

export function isUnknown(p: Payload): p is UnknownPayload {
  return 'unknown' in p && p.unknown === true;
}

/** Writes the body of one payload (no generic header). */
export function encodeBody(p: Payload, w: Writer): void {
  if (isUnknown(p)) {
    w.bytes(p.data);
    return;
  }
  const codec = payloadCodecs.get(p.type);
  if (!codec) throw new StateError(`no codec for payload type ${nameOf(PayloadTypeNames, p.type)}`);
  codec.encode(p, w);
}

/** The body bytes of one payload (no generic header). */
export function encodePayloadBody(p: Payload): Uint8Array {
  const w = new Writer();
  encodeBody(p, w);
  return w.finish();
}

/** Writes `payloads` as a chain; the last one's Next Payload is `nextAfterLast` (0 unless an SK follows). */
export function encodeChain(payloads: readonly Payload[], w: Writer, nextAfterLast: number = PayloadType.NONE): void {
  payloads.forEach((p, i) => {
    w.u8(payloads[i + 1]?.type ?? nextAfterLast).u8(p.critical ? CRITICAL : 0);
    w.lengthPrefixed(2, () => encodeBody(p, w), GENERIC_HEADER_LENGTH);
  });
}

/** The chain bytes of `payloads` (the plaintext of an SK payload). */
export function encodePayloads(payloads: readonly Payload[]): Uint8Array {
  const w = new Writer(1024);
  encodeChain(payloads, w);
  return w.finish();
}

/** Decodes one payload body of type `type`, or keeps it raw when the type is unknown (RFC 7296 §2.5). */
export function decodeBody(type: number, critical: boolean, body: Reader): Payload {
  const codec = payloadCodecs.get(type);
  if (!codec) {
    if (critical) {
      throw new ProtocolError(
        'IKE',
        NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD,
        `unsupported critical payload type ${type} at offset ${body.base - GENERIC_HEADER_LENGTH}`,
        new Uint8Array([type]),
      );
    }
    return { type, unknown: true, critical: false, data: body.copy(body.remaining, 'data') };
  }
  const p = codec.decode(body, type);
  body.end();
  if (critical) p.critical = true;
  return p;
}

/** Where an SK or SKF payload sits in a decoded chain. */
export interface EncryptedPart {
  /** PayloadType.SK or PayloadType.SKF. */
  type: number;
  /** The Next Payload field of its generic header: the first inner payload's type (0 in non-first fragments). */
  nextPayload: number;
  /** Offset of its generic header, relative to the chain reader. */
  headerOffset: number;
  /** A reader over its body (after the generic header). */
  body: Reader;
}

export interface Chain {
  payloads: Payload[];
  encrypted?: EncryptedPart;
}

/**
 * Decodes a payload chain from `r`, starting with type `first`, until a Next Payload of 0. When `allowEncrypted`,
 * an SK or SKF payload ends the chain and must be the last bytes of `r`; otherwise it is a parse error.
 * Every length is checked and the reader must be consumed exactly.
 */
export function decodeChain(r: Reader, first: number, allowEncrypted: boolean): Chain {
  const payloads: Payload[] = [];
  let type = first;
  for (let i = 0; type !== PayloadType.NONE; i++) {
    const f = `payload[${i}]`;
    if (r.done) r.fail(f, `chain announces a ${nameOf(PayloadTypeNames, type)} payload but the message ends`);
    const headerOffset = r.offset;
    const next = r.u8(`${f}.next`);
    const critical = (r.u8(`${f}.flags`) & CRITICAL) !== 0;
    const len = r.u16(`${f}.length`);
    if (len < GENERIC_HEADER_LENGTH) r.fail(`${f}.length`, `payload length ${len} < 4`, headerOffset + 2);
    const body = r.sub(len - GENERIC_HEADER_LENGTH, `${f}(${PayloadTypeNames.get(type) ?? type})`);
    if (type === PayloadType.SK || type === PayloadType.SKF) {
      if (!allowEncrypted) r.fail(f, `${PayloadTypeNames.get(type)} payload inside an encrypted payload`, headerOffset);
      if (!r.done) r.fail(f, `${PayloadTypeNames.get(type)} payload is not the last payload`, headerOffset);
      return { payloads, encrypted: { type, nextPayload: next, headerOffset, body } };
    }
    payloads.push(decodeBody(type, critical, body));
    type = next;
  }
  r.end('trailing');
  return { payloads };
}
