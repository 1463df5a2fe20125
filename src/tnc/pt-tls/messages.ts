/**
 * Whole PT-TLS messages (RFC 6876 §3.5): the header plus a value decoded through the registry of IETF message
 * types (STYLE practice 2). Unknown types (another vendor ID, Experimental, unassigned numbers) decode to an
 * UnknownPtTlsMessage that keeps the raw value; the protocol logic answers them with Type Not Supported.
 */
import { Reader, Writer } from '../../common/bytes.ts';
import { ParseError } from '../../common/errors.ts';
import type { PtTlsValueCodec } from './codec.ts';
import { IETF_PEN, PT_TLS_HEADER_LENGTH, PtTlsErrorCode } from './constants.ts';
import { PtTlsError } from './errors.ts';
import { decodePtTlsHeader, encodePtTlsHeader } from './header.ts';
import type { PtTlsHeader } from './header.ts';
import { pbTncBatchCodec } from './pb-tnc-batch.ts';
import type { PbTncBatchMessage } from './pb-tnc-batch.ts';
import { ptTlsErrorCodec } from './pt-tls-error.ts';
import type { PtTlsErrorMessage } from './pt-tls-error.ts';
import { saslAuthenticationDataCodec } from './sasl-authentication-data.ts';
import type { SaslAuthenticationData } from './sasl-authentication-data.ts';
import { saslMechanismSelectionCodec } from './sasl-mechanism-selection.ts';
import type { SaslMechanismSelection } from './sasl-mechanism-selection.ts';
import { saslMechanismsCodec } from './sasl-mechanisms.ts';
import type { SaslMechanisms } from './sasl-mechanisms.ts';
import { saslResultCodec } from './sasl-result.ts';
import type { SaslResultMessage } from './sasl-result.ts';
import { versionRequestCodec } from './version-request.ts';
import type { VersionRequest } from './version-request.ts';
import { versionResponseCodec } from './version-response.ts';
import type { VersionResponse } from './version-response.ts';

/** A message of a type this implementation does not know: kept raw. */
export interface UnknownPtTlsMessage {
  readonly kind: 'Unknown';
  /** Message Type Vendor ID. */
  vendor: number;
  /** Message Type. */
  type: number;
  value: Uint8Array;
}

export type KnownPtTlsValue =
  | VersionRequest
  | VersionResponse
  | SaslMechanisms
  | SaslMechanismSelection
  | SaslAuthenticationData
  | SaslResultMessage
  | PbTncBatchMessage
  | PtTlsErrorMessage;

/** Any message value; `kind` tells which. */
export type PtTlsValue = KnownPtTlsValue | UnknownPtTlsMessage;

type AnyCodec = PtTlsValueCodec<KnownPtTlsValue>;
const codecs = [
  versionRequestCodec,
  versionResponseCodec,
  saslMechanismsCodec,
  saslMechanismSelectionCodec,
  saslAuthenticationDataCodec,
  saslResultCodec,
  pbTncBatchCodec,
  ptTlsErrorCodec,
] as unknown as readonly AnyCodec[];

/** Registry of the IETF (vendor 0) message types. */
const byType: ReadonlyMap<number, AnyCodec> = new Map(codecs.map((c) => [c.type, c]));
const byKind: ReadonlyMap<string, AnyCodec> = new Map(codecs.map((c) => [c.kind, c]));

/** A decoded message: its header, and its value. */
export interface PtTlsMessage {
  header: PtTlsHeader;
  value: PtTlsValue;
}

/** Message Type Vendor ID and Message Type of a value, as they go into the header. */
export function ptTlsTypeOf(v: PtTlsValue): { vendor: number; type: number } {
  if (v.kind === 'Unknown') return { vendor: v.vendor, type: v.type };
  const c = byKind.get(v.kind);
  if (!c) throw new ParseError(`no codec for ${v.kind}`, 0, 'pt-tls.kind');
  return { vendor: IETF_PEN, type: c.type };
}

/** Encodes one whole message (header + value). */
export function encodePtTlsMessage(identifier: number, v: PtTlsValue): Uint8Array {
  const { vendor, type } = ptTlsTypeOf(v);
  const w = new Writer(PT_TLS_HEADER_LENGTH + 64);
  const at = w.length;
  encodePtTlsHeader(w, { reserved: 0, vendor, type, length: 0, identifier });
  if (v.kind === 'Unknown') w.bytes(v.value);
  else (byKind.get(v.kind) as AnyCodec).encode(w, v);
  w.patch(at + 8, 4, w.length - at);
  return w.finish();
}

/**
 * Decodes exactly one whole message. A header whose length is below 16 is an Invalid Parameter; a length that
 * does not match the input, or a value that does not parse, is a Malformed Message. Both are PtTlsErrors carrying
 * the copy of the original message for the PT-TLS Error answer.
 */
export function decodePtTlsMessage(bytes: Uint8Array): PtTlsMessage {
  if (bytes.byteLength < PT_TLS_HEADER_LENGTH) {
    throw new PtTlsError(
      PtTlsErrorCode.MALFORMED_MESSAGE,
      `${bytes.byteLength} bytes are shorter than a header`,
      bytes,
    );
  }
  const header = decodePtTlsHeader(bytes);
  if (header.length !== bytes.byteLength) {
    throw new PtTlsError(
      PtTlsErrorCode.MALFORMED_MESSAGE,
      `message length ${header.length} but ${bytes.byteLength} bytes`,
      bytes,
    );
  }
  const r = new Reader(bytes.subarray(PT_TLS_HEADER_LENGTH), 'pt-tls.value', PT_TLS_HEADER_LENGTH);
  const codec = header.vendor === IETF_PEN ? byType.get(header.type) : undefined;
  if (!codec) {
    return {
      header,
      value: { kind: 'Unknown', vendor: header.vendor, type: header.type, value: r.copy(r.remaining, 'value') },
    };
  }
  try {
    const value = codec.decode(r);
    r.end(codec.kind);
    return { header, value };
  } catch (e) {
    if (e instanceof ParseError)
      throw new PtTlsError(PtTlsErrorCode.MALFORMED_MESSAGE, e.message, bytes, false, { cause: e });
    throw e;
  }
}
