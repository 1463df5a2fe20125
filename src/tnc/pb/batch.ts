/**
 * PB-TNC batch (RFC 5793 §4.1) codec with strongSwan's validation rules (tnccs_20/batch/pb_tnc_batch.c): every
 * problem is a `PbBatchError` that carries the PB-Error to answer with (code and offset, or the bad version).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Version    |D|                 Reserved                | B-Type|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Batch Length                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Version 2; D (0x80) set when the sender is a PB-TNC server; B-Type is the low 4 bits; the length includes the
 * header. Messages follow back to back.
 */
import { LimitError, ParseError, ProtocolError, Reader, Writer } from '../../common/index.ts';
import { Pen } from '../pa/constants.ts';
import {
  PB_BATCH_FLAG_D,
  PB_BATCH_HEADER_SIZE,
  PB_MSG_FLAG_NOSKIP,
  PB_MSG_HEADER_SIZE,
  PB_MSG_TYPE_RESERVED,
  PB_PEN_RESERVED,
  PB_TNC_VERSION,
  PbErrorCode,
  PbErrorCodeName,
  PbMessageType,
  isPbBatchType,
} from './constants.ts';
import type { PbBatchTypeValue } from './constants.ts';
import { noskipOf, pbCodecByType, pbCodecOf } from './message.ts';
import type { KnownPbMessage, PbMessage } from './message.ts';
import { pbErrorWithOffset, pbVersionError } from './messages/error.ts';
import type { PbError } from './messages/error.ts';
import { PB_PA_HEADER_SIZE } from './messages/pa.ts';

export interface PbBatch {
  type: PbBatchTypeValue;
  /** D flag: the sender is a PB-TNC server. */
  fromServer: boolean;
  messages: PbMessage[];
}

export interface DecodedPbBatch extends PbBatch {
  /** Offset of each message in the batch (for PB-Error answers). */
  offsets: number[];
}

/** A batch that must be answered with a PB-Error (always fatal here, as in strongSwan). */
export class PbBatchError extends ProtocolError {
  readonly error: PbError;
  constructor(error: PbError, message: string, cause?: unknown) {
    super('PB-TNC', error.code, `${PbErrorCodeName.get(error.code) ?? error.code}: ${message}`, undefined, { cause });
    this.error = error;
  }
  static at(code: number, offset: number, message: string, cause?: unknown): PbBatchError {
    return new PbBatchError(pbErrorWithOffset(code, offset), `${message} (offset ${offset})`, cause);
  }
}

export interface EncodeBatchOptions {
  /** Largest batch allowed (LimitError beyond). */
  maxSize?: number;
}

export function encodeBatch(batch: PbBatch, opts: EncodeBatchOptions = {}): Uint8Array {
  // Sized up front: a batch of PA messages is up to 64 KiB, which doubling from a small buffer copies many times.
  let size = PB_BATCH_HEADER_SIZE;
  for (const m of batch.messages) size += encodedMessageSize(m);
  const w = new Writer(size);
  w.u8(PB_TNC_VERSION)
    .u8(batch.fromServer ? PB_BATCH_FLAG_D : 0)
    .u8(0)
    .u8(batch.type);
  w.lengthPrefixed(
    4,
    (b) => {
      for (const m of batch.messages) encodeMessage(b, m);
    },
    PB_BATCH_HEADER_SIZE,
  );
  if (opts.maxSize !== undefined && w.length > opts.maxSize) {
    throw new LimitError('PB-TNC batch size', `${w.length} bytes exceed ${opts.maxSize}`);
  }
  return w.finish();
}

/** Bytes one message takes in a batch (its header included): a batch is its 8-byte header plus these. */
export function encodedMessageSize(m: PbMessage): number {
  // PB-PA (RFC 5793 §4.5): fixed headers and the PA-TNC message as is, so no need to copy a body of up to 64 KiB.
  if (m.kind === 'pa') return PB_MSG_HEADER_SIZE + PB_PA_HEADER_SIZE + m.body.byteLength;
  const w = new Writer(64);
  encodeMessage(w, m);
  return w.length;
}

function encodeMessage(w: Writer, m: PbMessage): void {
  const flags = noskipOf(m) ? PB_MSG_FLAG_NOSKIP : 0;
  if (m.kind === 'unknown') {
    w.u8(flags)
      .u24(m.vendor)
      .u32(m.type)
      .u32(PB_MSG_HEADER_SIZE + m.value.byteLength)
      .bytes(m.value);
    return;
  }
  const c = pbCodecOf(m);
  w.u8(flags).u24(c.vendor).u32(c.type);
  w.lengthPrefixed(4, (x) => c.encodeValue(x, m), PB_MSG_HEADER_SIZE);
}

export interface DecodeBatchOptions {
  /** Largest batch accepted: beyond it the answer is PB-Error "local error" (the batch is not parsed). */
  maxSize?: number;
}

/** The D flag and type of a batch without validating it (for routing and logs); null if shorter than a header. */
export function peekBatchHeader(bytes: Uint8Array): { fromServer: boolean; type: number } | null {
  if (bytes.byteLength < PB_BATCH_HEADER_SIZE) return null;
  const r = new Reader(bytes, 'batch');
  r.skip(1, 'version');
  const flags = r.u8('flags');
  r.skip(1, 'reserved');
  return { fromServer: (flags & PB_BATCH_FLAG_D) !== 0, type: r.u8('type') & 0x0f };
}

/** The header fields, checked (version, type, length); throws PbBatchError. */
export function decodeBatchHeader(bytes: Uint8Array): {
  version: number;
  fromServer: boolean;
  type: PbBatchTypeValue;
  length: number;
} {
  if (bytes.byteLength < PB_BATCH_HEADER_SIZE) {
    throw PbBatchError.at(
      PbErrorCode.INVALID_PARAMETER,
      0,
      `${bytes.byteLength} bytes insufficient for a batch header`,
    );
  }
  const r = new Reader(bytes, 'batch');
  const version = r.u8('version');
  const flags = r.u8('flags');
  r.skip(1, 'reserved');
  const type = r.u8('type') & 0x0f;
  const length = r.u32('length');
  if (version !== PB_TNC_VERSION) {
    throw new PbBatchError(pbVersionError(version), `unsupported PB-TNC batch version ${version}`);
  }
  if (!isPbBatchType(type)) throw PbBatchError.at(PbErrorCode.INVALID_PARAMETER, 3, `unknown batch type ${type}`);
  if (length !== bytes.byteLength) {
    throw PbBatchError.at(PbErrorCode.INVALID_PARAMETER, 4, `batch length ${length} but ${bytes.byteLength} bytes`);
  }
  return { version, fromServer: (flags & PB_BATCH_FLAG_D) !== 0, type, length };
}

/** Decodes and validates a batch; every problem is a PbBatchError carrying its PB-Error answer. */
export function decodeBatch(bytes: Uint8Array, opts: DecodeBatchOptions = {}): DecodedPbBatch {
  const h = decodeBatchHeader(bytes);
  if (opts.maxSize !== undefined && bytes.byteLength > opts.maxSize) {
    throw new PbBatchError(
      pbErrorWithOffset(PbErrorCode.LOCAL_ERROR, 0),
      `batch of ${bytes.byteLength} bytes exceeds the limit of ${opts.maxSize}`,
      new LimitError('PB-TNC batch size', `${bytes.byteLength} > ${opts.maxSize}`),
    );
  }
  const r = new Reader(bytes, 'batch');
  r.skip(PB_BATCH_HEADER_SIZE, 'header');
  const messages: PbMessage[] = [];
  const offsets: number[] = [];
  while (!r.done) {
    const offset = r.offset;
    const m = decodeMessage(r, offset);
    if (m) {
      messages.push(m);
      offsets.push(offset);
    }
  }
  return { type: h.type, fromServer: h.fromServer, messages, offsets };
}

const INVALID = PbErrorCode.INVALID_PARAMETER;

function decodeMessage(r: Reader, offset: number): PbMessage {
  if (r.remaining < PB_MSG_HEADER_SIZE)
    throw PbBatchError.at(INVALID, offset, 'insufficient bytes for a message header');
  const flags = r.u8('flags');
  const vendor = r.u24('vendor');
  const type = r.u32('type');
  const length = r.u32('length');
  const noskip = (flags & PB_MSG_FLAG_NOSKIP) !== 0;
  if (length > r.remaining + PB_MSG_HEADER_SIZE)
    throw PbBatchError.at(INVALID, offset + 8, 'message longer than the batch');
  if (vendor === PB_PEN_RESERVED) throw PbBatchError.at(INVALID, offset + 1, 'reserved vendor id');
  if (type === PB_MSG_TYPE_RESERVED) throw PbBatchError.at(INVALID, offset + 4, 'reserved message type');
  const codec = pbCodecByType(vendor, type);
  if (!codec) {
    if (length < PB_MSG_HEADER_SIZE) throw PbBatchError.at(INVALID, offset + 8, `message length ${length} too small`);
    if (noskip) {
      throw PbBatchError.at(
        PbErrorCode.UNSUPPORTED_MANDATORY_MESSAGE,
        offset,
        `unsupported message 0x${vendor.toString(16).padStart(6, '0')}/${type} with NOSKIP`,
      );
    }
    return { kind: 'unknown', vendor, type, noskip, value: r.copy(length - PB_MSG_HEADER_SIZE, 'value') };
  }
  if (vendor === Pen.IETF && type === PbMessageType.EXPERIMENTAL && noskip) {
    throw PbBatchError.at(PbErrorCode.UNSUPPORTED_MANDATORY_MESSAGE, offset, 'PB-Experimental with NOSKIP');
  }
  if (codec.noskip !== 'either' && codec.noskip !== noskip) {
    throw PbBatchError.at(INVALID, offset, `${codec.name} must${codec.noskip ? '' : ' not'} have NOSKIP set`);
  }
  if (length < codec.minLength || (codec.exact && length !== codec.minLength)) {
    throw PbBatchError.at(
      INVALID,
      offset,
      `${codec.name} length ${length} (${codec.exact ? 'exactly' : 'at least'} ${codec.minLength})`,
    );
  }
  const value = r.sub(length - PB_MSG_HEADER_SIZE, codec.name);
  try {
    const body = codec.decodeValue(value);
    value.end();
    const m = { ...body, kind: codec.kind } as KnownPbMessage;
    if (m.kind === 'experimental') m.noskip = noskip;
    return m;
  } catch (e) {
    if (e instanceof ParseError) throw PbBatchError.at(INVALID, e.offset, e.message, e);
    throw e;
  }
}
