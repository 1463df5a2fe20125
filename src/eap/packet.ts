/**
 * EAP packet (RFC 3748 §4).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Code      |  Identifier   |            Length             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Type      |  Type-Data ...                 (Request/Response only, §4.1)
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Length covers the whole packet. Success and Failure (§4.2) are exactly 4 bytes. Octets beyond Length are link
 * padding and ignored (§4); a Length larger than what arrived is malformed. Expanded types (254) are decoded as an
 * ordinary type with their vendor bytes left in the type data.
 */
import { Reader, Writer } from '../common/bytes.ts';
import { reverse } from '../common/names.ts';
import { EapCode, EapType } from './method.ts';

export const EapCodeName = reverse(EapCode);
export const EapTypeName = reverse(EapType);

export type EapPacket =
  | { code: typeof EapCode.REQUEST | typeof EapCode.RESPONSE; identifier: number; type: number; data: Uint8Array }
  | { code: typeof EapCode.SUCCESS | typeof EapCode.FAILURE; identifier: number };

/** Largest EAP packet (the Length field is 16 bits). */
export const EAP_MAX_LENGTH = 0xffff;

export function encodeEap(p: EapPacket): Uint8Array {
  const w = new Writer(8 + ('data' in p ? p.data.byteLength : 0));
  w.u8(p.code).u8(p.identifier);
  w.lengthPrefixed(
    2,
    () => {
      if (p.code === EapCode.REQUEST || p.code === EapCode.RESPONSE) w.u8(p.type).bytes(p.data);
    },
    4,
  );
  return w.finish();
}

export function decodeEap(bytes: Uint8Array, path = 'eap'): EapPacket {
  const r = new Reader(bytes, path);
  const code = r.u8('code');
  const identifier = r.u8('identifier');
  const length = r.u16('length');
  if (length < 4) r.fail('length', `length ${length} is below the 4-byte header`, 2);
  const body = r.sub(length - 4, 'body');
  switch (code) {
    case EapCode.REQUEST:
    case EapCode.RESPONSE: {
      const type = body.u8('type');
      return { code, identifier, type, data: body.rest('data').slice() };
    }
    case EapCode.SUCCESS:
    case EapCode.FAILURE:
      body.end('body');
      return { code, identifier };
    default:
      return r.fail('code', `unknown code ${code}`, 0);
  }
}

export const request = (identifier: number, type: number, data: Uint8Array): Uint8Array =>
  encodeEap({ code: EapCode.REQUEST, identifier, type, data });
export const response = (identifier: number, type: number, data: Uint8Array): Uint8Array =>
  encodeEap({ code: EapCode.RESPONSE, identifier, type, data });
export const success = (identifier: number): Uint8Array => encodeEap({ code: EapCode.SUCCESS, identifier });
export const failure = (identifier: number): Uint8Array => encodeEap({ code: EapCode.FAILURE, identifier });
