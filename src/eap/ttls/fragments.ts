/**
 * Fragmentation and reassembly of TLS data in EAP-TTLS packets (RFC 5281 §9.2.2), with strongSwan's behaviour
 * (libtls tls_eap.c): the whole EAP packet of a fragment is at most `fragmentSize` bytes (default 1024); the first
 * fragment of a fragmented message carries L and the total length, and with `includeLength` (default) even an
 * unfragmented message carries L; each fragment with M is acknowledged by an empty packet (flags = version).
 *
 * Limits: a reassembled message is capped at 4 × (16384 + 2048) bytes (strongSwan's TLS_MAX_MESSAGE_LEN), a
 * declared L length must cover the data and stay under the cap, and the number of packets one side processes is
 * capped (`maxMessageCount`, strongSwan's eap-ttls.max_message_count, default 32; 0 = no cap).
 */
import { concat } from '../../common/bytes.ts';
import { LimitError, ProtocolError } from '../../common/errors.ts';
import { EapType } from '../method.ts';
import { EAP_MAX_LENGTH } from '../packet.ts';
import { TTLS_VERSION, TtlsFlag, decodeTtls, encodeTtls, isTtlsAck } from './packet.ts';

/** strongSwan's TLS_MAX_MESSAGE_LEN: 4 × (TLS_MAX_FRAGMENT_LEN + 2048). */
export const TTLS_MAX_MESSAGE = 4 * (16384 + 2048);
/** EAP header (4) + Type (1) + flags (1). */
const HEADER = 6;

/** Most fragments of one message: a maximal message in fragments of 64 bytes on average. */
export const MAX_FRAGMENTS = Math.ceil(TTLS_MAX_MESSAGE / 64);

export interface TtlsFramerOptions {
  fragmentSize?: number;
  includeLength?: boolean;
  maxMessageLength?: number;
  maxMessageCount?: number;
}

/** What one received TTLS packet amounts to. */
export type TtlsIncoming =
  { kind: 'start' } | { kind: 'ack' } | { kind: 'fragment' } | { kind: 'message'; data: Uint8Array };

export class TtlsFramer {
  readonly #fragmentSize: number;
  readonly #includeLength: boolean;
  readonly #maxLength: number;
  readonly #maxCount: number;
  #count = 0;
  #parts: Uint8Array[] = [];
  #have = 0;
  #declared: number | undefined;
  #out: Uint8Array = new Uint8Array(0);
  #outPos = 0;

  constructor(opts: TtlsFramerOptions = {}) {
    this.#fragmentSize = opts.fragmentSize ?? 1024;
    if (this.#fragmentSize < HEADER + 4 + 1 || this.#fragmentSize > EAP_MAX_LENGTH)
      throw new LimitError('ttls.fragmentSize', `${this.#fragmentSize} is outside 11..65535`);
    this.#includeLength = opts.includeLength ?? true;
    this.#maxLength = opts.maxMessageLength ?? TTLS_MAX_MESSAGE;
    this.#maxCount = opts.maxMessageCount ?? 32;
  }

  /** Takes the Type-Data of one received packet. */
  receive(typeData: Uint8Array): TtlsIncoming {
    if (this.#maxCount && ++this.#count > this.#maxCount)
      throw new LimitError('ttls.maxMessageCount', `more than ${this.#maxCount} EAP-TTLS packets`);
    const p = decodeTtls(typeData);
    if (p.version !== TTLS_VERSION)
      throw new ProtocolError('EAP', EapType.TTLS, `unsupported EAP-TTLS version ${p.version}`);
    if (p.flags & TtlsFlag.START) return { kind: 'start' };
    if (isTtlsAck(p)) {
      if (this.#parts.length) throw new ProtocolError('EAP', EapType.TTLS, 'acknowledgement while reassembling');
      return { kind: 'ack' };
    }
    if (p.messageLength !== undefined) {
      if (this.#parts.length === 0) {
        if (p.messageLength > this.#maxLength)
          throw new LimitError('ttls.messageLength', `declared ${p.messageLength} bytes (max ${this.#maxLength})`);
        if (p.messageLength < p.data.byteLength)
          throw new ProtocolError('EAP', EapType.TTLS, `declared length ${p.messageLength} below the data`);
        this.#declared = p.messageLength;
      }
    }
    this.#have += p.data.byteLength;
    if (this.#have > this.#maxLength) throw new LimitError('ttls.messageLength', `over ${this.#maxLength} bytes`);
    if (this.#declared !== undefined && this.#have > this.#declared)
      throw new ProtocolError('EAP', EapType.TTLS, `fragments exceed the declared ${this.#declared} bytes`);
    this.#parts.push(p.data);
    if (p.flags & TtlsFlag.MORE) {
      // Each fragment costs a round trip and state: tiny fragments must not stretch one message without end.
      if (this.#parts.length > MAX_FRAGMENTS)
        throw new LimitError('ttls.fragments', `more than ${MAX_FRAGMENTS} fragments for one message`);
      return { kind: 'fragment' };
    }
    const data = concat(...this.#parts);
    this.#parts = [];
    this.#have = 0;
    this.#declared = undefined;
    return { kind: 'message', data };
  }

  /** True while a message is partly received. */
  get reassembling(): boolean {
    return this.#parts.length > 0;
  }

  /** Queues TLS data to send (replaces anything not yet sent). */
  send(data: Uint8Array): void {
    this.#out = data;
    this.#outPos = 0;
  }

  get pending(): boolean {
    return this.#outPos < this.#out.byteLength;
  }

  /** Type-Data of the next fragment of the queued data. */
  next(): Uint8Array {
    const total = this.#out.byteLength;
    const first = this.#outPos === 0;
    const room = this.#fragmentSize - HEADER - (first ? 4 : 0);
    const chunk = this.#out.subarray(this.#outPos, this.#outPos + room);
    this.#outPos += chunk.byteLength;
    const more = this.#outPos < total;
    let flags = TTLS_VERSION;
    if (more) flags |= TtlsFlag.MORE;
    if (first && (more || this.#includeLength)) flags |= TtlsFlag.LENGTH;
    return encodeTtls({ flags, messageLength: total, data: chunk });
  }

  ack(): Uint8Array {
    return Uint8Array.of(TTLS_VERSION);
  }

  start(): Uint8Array {
    return Uint8Array.of(TtlsFlag.START | TTLS_VERSION);
  }
}
