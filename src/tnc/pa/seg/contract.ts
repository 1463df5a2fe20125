/**
 * TCG IF-M Segmentation contract (TCG IF-M Segmentation 1.0 rev 5; behaviour after strongSwan's
 * src/libimcv/seg/seg_contract.c and seg_env.c):
 *
 * Sending: an attribute longer than the peer's max segment size travels in Segmentation Envelopes under a 24-bit
 * base message id. The first envelope (S|M) carries the complete 12-byte header of the original attribute (length =
 * the full length) and the first `maxSegmentSize - 12` value bytes; each Next Segment request from the peer gets
 * the next `maxSegmentSize` bytes (M while more remain). A Next Segment with C, or a Cancel, drops the exchange.
 *
 *   sender                                      receiver
 *   Envelope(S|M, id, hdr+part1)      ------>
 *                                     <------   Next Segment(id)
 *   Envelope(M, id, part2)            ------>
 *                                     <------   Next Segment(id)
 *   Envelope(id, last part)           ------>   → original attribute
 *
 * Receiving: envelopes are reassembled per base message id with limits (declared length, number of exchanges under
 * way); problems are answered with a PA-TNC Error (Invalid Parameter) whose message-info is 0xffffffff ‖ base id,
 * as strongSwan does, and the exchange is dropped.
 */
import { LimitError, ParseError, Reader, Writer, concat } from '../../../common/index.ts';
import { readAttributeHeader } from '../attribute.ts';
import type { PaAttribute, PaAttributeRegistry } from '../attribute.ts';
import type { IetfPaTncError } from '../attrs/ietf/pa-tnc-error.ts';
import { PA_TNC_ATTR_HEADER_SIZE, PaErrorCode, Pen } from '../constants.ts';
import { defaultPaRegistry } from '../registry.ts';
import type { TcgCancel } from './cancel.ts';
import { SEG_NO_LIMIT } from './max-attribute-size.ts';
import type { TcgMaxAttributeSizeRequest, TcgMaxAttributeSizeResponse } from './max-attribute-size.ts';
import type { TcgNextSegment } from './next-segment.ts';
import type { TcgSegmentationEnvelope } from './segmentation-envelope.ts';

export interface SegmentationContractOptions {
  /** Peer's maximum PA-TNC message size (Max Attribute Size Response); 0xffffffff = no limit. */
  maxMessageSize?: number;
  /** Peer's maximum segment size; 0xffffffff = no segmentation. */
  maxSegmentSize?: number;
  /** Our limit on one reassembled attribute (default 4 MiB). */
  maxReassembledSize?: number;
  /** Our limit on incoming exchanges under way at once (default 16). */
  maxPending?: number;
  registry?: PaAttributeRegistry;
}

export interface SegmentReceipt {
  /** The reassembled attribute, after the last segment. */
  attribute?: PaAttribute;
  /** The Next Segment request to send back while more segments are expected. */
  next?: TcgNextSegment;
  /** A PA-TNC Error to send back; the exchange was dropped. */
  error?: IetfPaTncError;
}

interface Incoming {
  header: { flags: number; vendor: number; type: number; length: number };
  parts: Uint8Array[];
  received: number;
}

const MAX_BASE_ID = 0xffffff;

export class SegmentationContract {
  readonly maxMessageSize: number;
  readonly maxSegmentSize: number;
  readonly #maxReassembled: number;
  readonly #maxPending: number;
  readonly #registry: PaAttributeRegistry;
  readonly #outgoing = new Map<number, Uint8Array>();
  readonly #incoming = new Map<number, Incoming>();
  #lastBaseId = 0;

  constructor(opts: SegmentationContractOptions = {}) {
    this.maxMessageSize = opts.maxMessageSize ?? SEG_NO_LIMIT;
    this.maxSegmentSize = opts.maxSegmentSize ?? SEG_NO_LIMIT;
    this.#maxReassembled = opts.maxReassembledSize ?? 4 * 1024 * 1024;
    this.#maxPending = opts.maxPending ?? 16;
    this.#registry = opts.registry ?? defaultPaRegistry;
  }

  /** True if no limit applies (a "null contract"). */
  get isNull(): boolean {
    return this.maxMessageSize === SEG_NO_LIMIT && this.maxSegmentSize === SEG_NO_LIMIT;
  }

  /** Exchanges under way in each direction. */
  get pending(): { outgoing: number; incoming: number } {
    return { outgoing: this.#outgoing.size, incoming: this.#incoming.size };
  }

  /** Does this attribute need envelopes? Throws LimitError if it exceeds the peer's maximum message size. */
  needsSegmentation(a: PaAttribute): boolean {
    const len = this.#registry.encodeOne(a).byteLength;
    if (this.maxMessageSize !== SEG_NO_LIMIT && len > this.maxMessageSize) {
      throw new LimitError(
        'IF-M max message size',
        `attribute of ${len} bytes exceeds the peer's ${this.maxMessageSize}`,
      );
    }
    return this.maxSegmentSize !== SEG_NO_LIMIT && len > this.maxSegmentSize;
  }

  /**
   * Starts sending `a` in envelopes: returns the first one. The rest is handed out by `nextSegment`.
   * `a` must need segmentation (`needsSegmentation`), and the segment size must hold the 12-byte header.
   */
  firstSegment(a: PaAttribute): TcgSegmentationEnvelope {
    const bytes = this.#registry.encodeOne(a);
    if (this.maxSegmentSize === SEG_NO_LIMIT || bytes.byteLength <= this.maxSegmentSize) {
      throw new LimitError('IF-M segmentation', `attribute of ${bytes.byteLength} bytes needs no segmentation`);
    }
    if (this.maxSegmentSize < PA_TNC_ATTR_HEADER_SIZE + 1) {
      throw new LimitError(
        'IF-M segmentation',
        `segment size ${this.maxSegmentSize} cannot carry the attribute header`,
      );
    }
    if (this.#outgoing.size >= MAX_BASE_ID) throw new LimitError('IF-M segmentation', 'too many exchanges under way');
    do this.#lastBaseId = (this.#lastBaseId % MAX_BASE_ID) + 1;
    while (this.#outgoing.has(this.#lastBaseId));
    const id = this.#lastBaseId;
    this.#outgoing.set(id, bytes.subarray(this.maxSegmentSize));
    const tcgSeg: TcgSegmentationEnvelope = {
      kind: 'tcg/segmentation-envelope',
      noskip: false,
      start: true,
      more: true,
      baseMessageId: id,
      segment: bytes.slice(0, this.maxSegmentSize),
    };
    return tcgSeg;
  }

  /** Answers a Next Segment request: the next envelope, or null (cancelled, unknown or finished exchange). */
  nextSegment(req: TcgNextSegment): TcgSegmentationEnvelope | null {
    const rest = this.#outgoing.get(req.baseMessageId);
    if (!rest) return null;
    if (req.cancel) {
      this.#outgoing.delete(req.baseMessageId);
      return null;
    }
    const n = Math.min(this.maxSegmentSize, rest.byteLength);
    const segment = rest.slice(0, n);
    const more = rest.byteLength > n;
    if (more) this.#outgoing.set(req.baseMessageId, rest.subarray(n));
    else this.#outgoing.delete(req.baseMessageId);
    return {
      kind: 'tcg/segmentation-envelope',
      noskip: false,
      start: false,
      more,
      baseMessageId: req.baseMessageId,
      segment,
    };
  }

  /** All envelopes of an attribute at once (for transports that need no Next Segment round trips, and tests). */
  segmentAll(a: PaAttribute): TcgSegmentationEnvelope[] {
    const out = [this.firstSegment(a)];
    const id = out[0]!.baseMessageId;
    for (;;) {
      const next = this.nextSegment({ kind: 'tcg/next-segment', cancel: false, baseMessageId: id });
      if (!next) return out;
      out.push(next);
    }
  }

  /** The sender abandons an outgoing exchange; returns the Cancel attribute to send. */
  cancelOutgoing(baseMessageId: number): TcgCancel {
    this.#outgoing.delete(baseMessageId);
    return { kind: 'tcg/cancel', noskip: false, baseMessageId };
  }

  /** The receiver abandons an incoming exchange; returns the Next Segment (C) to send. */
  cancelIncoming(baseMessageId: number): TcgNextSegment {
    this.#incoming.delete(baseMessageId);
    return { kind: 'tcg/next-segment', noskip: false, cancel: true, baseMessageId };
  }

  /** The peer cancelled an exchange it was sending to us. */
  receiveCancel(c: TcgCancel): void {
    this.#incoming.delete(c.baseMessageId);
  }

  #error(baseMessageId: number, offset: number): IetfPaTncError {
    const messageHeader = new Writer(8).u32(0xffffffff).u32(baseMessageId).finish();
    return {
      kind: 'ietf/pa-tnc-error',
      noskip: false,
      errorVendor: Pen.IETF,
      errorCode: PaErrorCode.INVALID_PARAMETER,
      info: { format: 'invalid-parameter', messageHeader, offset },
    };
  }

  /** Takes one received envelope. */
  receive(env: TcgSegmentationEnvelope): SegmentReceipt {
    const id = env.baseMessageId;
    let cur = this.#incoming.get(id);
    if (env.start) {
      if (cur) {
        this.#incoming.delete(id);
        return { error: this.#error(id, 0) };
      }
      if (this.#incoming.size >= this.#maxPending) return { error: this.#error(id, 0) };
      let header: Incoming['header'];
      try {
        header = readAttributeHeader(new Reader(env.segment, 'segment'));
      } catch (e) {
        if (e instanceof ParseError) return { error: this.#error(id, e.offset) };
        throw e;
      }
      if (header.length > this.#maxReassembled) return { error: this.#error(id, 8) };
      cur = { header, parts: [env.segment], received: env.segment.byteLength };
    } else {
      if (!cur) return { error: this.#error(id, 0) };
      this.#incoming.delete(id);
      cur.parts.push(env.segment);
      cur.received += env.segment.byteLength;
    }
    if (cur.received > cur.header.length) {
      this.#incoming.delete(id);
      return { error: this.#error(id, 8) };
    }
    if (env.more) {
      this.#incoming.set(id, cur);
      return { next: { kind: 'tcg/next-segment', noskip: false, cancel: false, baseMessageId: id } };
    }
    this.#incoming.delete(id);
    if (cur.received !== cur.header.length) return { error: this.#error(id, 8) };
    const bytes = concat(...cur.parts);
    const r = new Reader(bytes, 'segmented');
    try {
      const h = readAttributeHeader(r);
      return { attribute: this.#registry.decodeValue(h, r.sub(h.length - PA_TNC_ATTR_HEADER_SIZE, 'value')) };
    } catch (e) {
      if (e instanceof ParseError) return { error: this.#error(id, e.offset) };
      throw e;
    }
  }
}

/**
 * The responder's side of the contract negotiation (strongSwan imc_msg.c / imv_msg.c): a Max Attribute Size
 * Request states the limits the issuer wants for what it receives; the responder keeps the maximum message size,
 * lowers the segment size to what it can put in one PA-TNC message (`mySegmentLimit`), answers with a Max
 * Attribute Size Response, and segments what it sends under the resulting contract.
 */
export function acceptMaxAttributeSize(
  req: TcgMaxAttributeSizeRequest,
  mySegmentLimit: number,
  registry?: PaAttributeRegistry,
): { response: TcgMaxAttributeSizeResponse; contract: SegmentationContract } {
  let maxSegmentSize = req.maxSegmentSize;
  if (maxSegmentSize !== SEG_NO_LIMIT && maxSegmentSize > mySegmentLimit) maxSegmentSize = mySegmentLimit;
  const response: TcgMaxAttributeSizeResponse = {
    kind: 'tcg/max-attribute-size-response',
    noskip: false,
    maxMessageSize: req.maxMessageSize,
    maxSegmentSize,
  };
  const contract = new SegmentationContract({
    maxMessageSize: req.maxMessageSize,
    maxSegmentSize,
    ...(registry ? { registry } : {}),
  });
  return { response, contract };
}
