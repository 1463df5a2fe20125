/**
 * Error classes by kind (STYLE practice 6). Each carries a stable `code`, and the layers above map kinds to their
 * protocol's own answer: an IKE Notify, a PB-TNC Error, a PA-TNC Error with offset, an EAP failure.
 */

export interface ErrorOptions {
  cause?: unknown;
}

/** Base class: every error this project throws on purpose is one of these. */
export class AttestdError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** Malformed input: a field out of bounds, a length that does not fit, a value outside its domain. */
export class ParseError extends AttestdError {
  /** Offset into the outermost buffer being decoded. */
  readonly offset: number;
  /** Dotted path of the field being read, e.g. `ike.payload[2].length`. */
  readonly field: string;
  constructor(message: string, offset: number, field: string, options?: ErrorOptions) {
    super('ERR_PARSE', `${field} at offset ${offset}: ${message}`, options);
    this.offset = offset;
    this.field = field;
  }
}

/** A cryptographic or evidence check failed: ICV, signature, replay, quote, AUTH payload. */
export class VerifyError extends AttestdError {
  readonly what: string;
  constructor(what: string, message: string, options?: ErrorOptions) {
    super('ERR_VERIFY', `${what}: ${message}`, options);
    this.what = what;
  }
}

/** A message arrived in a state that does not accept it. */
export class StateError extends AttestdError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_STATE', message, options);
  }
}

/**
 * A protocol-level refusal with a wire code, e.g. IKE NO_PROPOSAL_CHOSEN (14) or PB-TNC error 3.
 * `protocol` names the code space so the right layer turns it into its answer.
 */
export class ProtocolError extends AttestdError {
  readonly protocol: string;
  readonly wireCode: number;
  /** Optional data for the answer (e.g. the accepted DH group of INVALID_KE_PAYLOAD, an error offset). */
  readonly data: Uint8Array | undefined;
  constructor(protocol: string, wireCode: number, message: string, data?: Uint8Array, options?: ErrorOptions) {
    super('ERR_PROTOCOL', `${protocol} ${wireCode}: ${message}`, options);
    this.protocol = protocol;
    this.wireCode = wireCode;
    this.data = data;
  }
}

/** A configured or built-in limit was exceeded (sizes, counts, rates). */
export class LimitError extends AttestdError {
  readonly limit: string;
  constructor(limit: string, message: string, options?: ErrorOptions) {
    super('ERR_LIMIT', `${limit}: ${message}`, options);
    this.limit = limit;
  }
}

/** Configuration that cannot be used, with the place it came from. */
export class ConfigError extends AttestdError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_CONFIG', message, options);
  }
}

/** An operation did not complete in time. */
export class TimeoutError extends AttestdError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_TIMEOUT', message, options);
  }
}

/** True for errors the project declares; fuzz targets assert that nothing else escapes a parser. */
export function isDeclaredError(e: unknown): e is AttestdError {
  return e instanceof AttestdError;
}
