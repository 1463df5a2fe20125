/**
 * The error information of a SWIMA PA-TNC Error (RFC 8412 §5.16): Request ID Copy (32), for
 * SWIMA_RESPONSE_TOO_LARGE a Maximum Allowed Size (32), then a UTF-8 description to the end. Encoded by the
 * collector, read by the verifier; a short or odd body never throws, it just yields less.
 */
import { Reader, Writer } from '../../common/bytes.ts';
import { PaErrorCode } from '../../tnc/pa/index.ts';

export interface SwimaErrorInfo {
  requestId: number;
  /** Only for SWIMA_RESPONSE_TOO_LARGE. */
  maxSize?: number;
  description: string;
}

const hasMaxSize = (errorCode: number) => errorCode === PaErrorCode.SWIMA_RESPONSE_TOO_LARGE;

export function encodeSwimaErrorInfo(errorCode: number, info: SwimaErrorInfo): Uint8Array {
  const w = new Writer(64).u32(info.requestId >>> 0);
  if (hasMaxSize(errorCode)) w.u32(info.maxSize ?? 0);
  return w.utf8(info.description).finish();
}

/** The parts of `data` that are there (an empty description when the body is cut short). */
export function decodeSwimaErrorInfo(errorCode: number, data: Uint8Array): Partial<SwimaErrorInfo> {
  const need = hasMaxSize(errorCode) ? 8 : 4;
  if (data.byteLength < need) return { description: '' };
  const r = new Reader(data, 'swima.errorInfo');
  const requestId = r.u32('requestId');
  const maxSize = hasMaxSize(errorCode) ? r.u32('maxSize') : undefined;
  const description = new TextDecoder('utf-8', { fatal: false }).decode(r.rest());
  return { requestId, ...(maxSize !== undefined ? { maxSize } : {}), description };
}
