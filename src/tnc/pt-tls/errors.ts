/**
 * A PT-TLS protocol failure mapped to its wire answer (STYLE practice 6): a ProtocolError in the `PT-TLS` code space
 * whose `wireCode` is a PtTlsErrorCode and whose `data` is the copy of the offending message (up to 1024 bytes,
 * RFC 6876 §3.9) that goes into the PT-TLS Error message.
 */
import { ProtocolError } from '../../common/errors.ts';
import type { ErrorOptions } from '../../common/errors.ts';
import { nameOf } from '../../common/names.ts';
import { PT_TLS_ERROR_COPY_MAX, PtTlsErrorCodeName } from './constants.ts';

export class PtTlsError extends ProtocolError {
  /** Whether the error message was sent by the peer (true) or is ours to send (false). */
  readonly remote: boolean;
  constructor(wireCode: number, message: string, original?: Uint8Array, remote = false, options?: ErrorOptions) {
    super(
      'PT-TLS',
      wireCode,
      `${nameOf(PtTlsErrorCodeName, wireCode)}: ${message}`,
      original === undefined ? undefined : original.slice(0, PT_TLS_ERROR_COPY_MAX),
      options,
    );
    this.remote = remote;
  }
}
