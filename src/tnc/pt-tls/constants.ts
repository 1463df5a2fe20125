/**
 * PT-TLS (RFC 6876) numbers: message types (§3.6, IANA "PT-TLS Message Types"), error codes (§3.9.1, IANA
 * "PT-TLS Error Codes"), SASL result codes (§3.8.7), version, port and header size.
 */
import { reverse } from '../../common/names.ts';

/** The only PT-TLS version (§3.7). */
export const PT_TLS_VERSION = 1;
/** IANA-assigned TCP port. */
export const PT_TLS_PORT = 271;
/** Every message starts with a 16-byte header (§3.5). */
export const PT_TLS_HEADER_LENGTH = 16;
/** IETF SMI Private Enterprise Number: the vendor ID of the standard message types and error codes. */
export const IETF_PEN = 0;
/** A PT-TLS Error carries at most this many bytes of the offending message (§3.9). */
export const PT_TLS_ERROR_COPY_MAX = 1024;
/**
 * Default cap on a whole message, header included: strongSwan's PT_TLS_MAX_MESSAGE_LEN is 128 TLS records of
 * 16384 bytes minus the header, for the value alone.
 */
export const PT_TLS_DEFAULT_MAX_MESSAGE_SIZE = 128 * 16384;

/** Message types under vendor ID 0 (§3.6, IANA registry). */
export const PtTlsType = {
  EXPERIMENTAL: 0,
  VERSION_REQUEST: 1,
  VERSION_RESPONSE: 2,
  SASL_MECHANISMS: 3,
  SASL_MECHANISM_SELECTION: 4,
  SASL_AUTHENTICATION_DATA: 5,
  SASL_RESULT: 6,
  PB_TNC_BATCH: 7,
  PT_TLS_ERROR: 8,
  RESERVED: 0xffffffff,
} as const;
export const PtTlsTypeName = reverse(PtTlsType);

/**
 * Error codes under vendor ID 0 (§3.9.1). Numbers as in the RFC and the IANA registry: 3 is Type Not Supported and
 * 5 SASL Mechanism Error (not the other way round).
 */
export const PtTlsErrorCode = {
  /** The Error message SHOULD be ignored (debugging aid). */
  RESERVED: 0,
  /** Fatal: the basic sanity check of a message failed. */
  MALFORMED_MESSAGE: 1,
  /** Fatal: no version in the requested range is supported. */
  VERSION_NOT_SUPPORTED: 2,
  /** Not fatal: the message type (vendor ID, type) is unknown; the message is ignored. */
  TYPE_NOT_SUPPORTED: 3,
  /** Fatal: the message is not valid in the current protocol state. */
  INVALID_MESSAGE: 4,
  /** Fatal: client authentication cannot go on (e.g. no offered mechanism is usable). */
  SASL_MECHANISM_ERROR: 5,
  /** Fatal: an invalid or unsupported value in the PT-TLS header (e.g. a Message Length below 16). */
  INVALID_PARAMETER: 6,
} as const;
export const PtTlsErrorCodeName = reverse(PtTlsErrorCode);

/** SASL Result codes (§3.8.7). */
export const SaslResult = {
  SUCCESS: 0,
  FAILURE: 1,
  ABORT: 2,
  MECHANISM_FAILURE: 3,
} as const;
export const SaslResultName = reverse(SaslResult);
