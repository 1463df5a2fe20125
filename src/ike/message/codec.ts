/**
 * The IKEv2 message codec: the fixed header (RFC 7296 §3.1), the payload chain (§3.2), encryption into one SK
 * payload (§3.14, RFC 5282) and fragmentation into SKF payloads with their reassembly (RFC 7383 §2.5, §2.6).
 *
 * IKE header (§3.1):
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Initiator's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Responder's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          Message ID                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                            Length                             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Encrypted and Authenticated payload, SK (§3.14; AEAD layout in RFC 5282 §3). The Next Payload field of its generic
 * header names the first payload inside; it MUST be the last payload of a message. Its body (IV ‖ ciphertext ‖ ICV)
 * is sealed and opened by SkCrypto:
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Initialization Vector                     |
 * |         (length is block size for encryption algorithm)       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Encrypted IKE Payloads                     ~
 * +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               |             Padding (0-255 octets)            |
 * +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
 * |                                               |  Pad Length   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Integrity Checksum Data                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Encrypted messages: the AAD of the SK (SKF) payload is every byte before its IV, i.e. the IKE header and the
 * SK generic header (plus Fragment Number and Total Fragments for SKF), all with their final lengths.
 */
import { concat, Reader, Writer } from '../../common/bytes.ts';
import { LimitError, ParseError, ProtocolError, StateError } from '../../common/errors.ts';
import type { SkCrypto } from '../../crypto/types.ts';
import { decodeChain, encodeChain, encodePayloads, GENERIC_HEADER_LENGTH } from '../payloads/chain.ts';
import { decodeSkf, encodeSkfFields, SKF_FIELDS_LENGTH } from '../payloads/skf.ts';
import type { IkeHeader, IkeMessage } from '../payloads/types.ts';
import { HeaderFlag, NotifyType, PayloadType } from '../payloads/types.ts';

export const IKE_HEADER_LENGTH = 28;
/** Major version 2, minor version 0. */
export const IKE_VERSION = 0x20;

/**
 * Decodes the 28-byte header and checks its Length field against the datagram. A major version above 2 is a
 * ProtocolError INVALID_MAJOR_VERSION (RFC 7296 §2.5); below 2 (IKEv1) a ParseError.
 */
export function decodeHeader(bytes: Uint8Array): IkeHeader {
  const r = new Reader(bytes, 'ike.header');
  const spiI = r.u64('spiI');
  const spiR = r.u64('spiR');
  const nextPayload = r.u8('nextPayload');
  const version = r.u8('version');
  const exchange = r.u8('exchange');
  const flags = r.u8('flags');
  const messageId = r.u32('messageId');
  const length = r.u32('length');
  const major = version >> 4;
  if (major > 2) {
    throw new ProtocolError('IKE', NotifyType.INVALID_MAJOR_VERSION, `IKE major version ${major} is not supported`);
  }
  if (major < 2) r.fail('version', `IKE major version ${major} (IKEv1) is not supported`, 17);
  if (length !== bytes.byteLength) r.fail('length', `Length field ${length} != datagram size ${bytes.byteLength}`, 24);
  return { spiI, spiR, nextPayload, version, exchange, flags, messageId, length };
}

function writeHeader(h: IkeHeader, nextPayload: number, length: number, w: Writer): void {
  w.u64(h.spiI).u64(h.spiR).u8(nextPayload).u8(h.version).u8(h.exchange).u8(h.flags).u32(h.messageId).u32(length);
}

function sealChecked(sk: SkCrypto, aad: Uint8Array, plaintext: Uint8Array, expected: number): Uint8Array {
  const sealed = sk.seal(aad, plaintext);
  if (sealed.byteLength !== expected) {
    throw new StateError(`SkCrypto.seal returned ${sealed.byteLength} bytes, sealedLength promised ${expected}`);
  }
  return sealed;
}

/**
 * Encodes a message. The header's nextPayload and length are computed here. When `msg.encrypted`, all payloads go
 * into one SK payload sealed with `sk`.
 */
export function encodeMessage(msg: IkeMessage, sk?: SkCrypto): Uint8Array {
  const w = new Writer(1024);
  if (!msg.encrypted) {
    writeHeader(msg.header, msg.payloads[0]?.type ?? PayloadType.NONE, 0, w);
    encodeChain(msg.payloads, w);
    const total = w.length;
    w.patch(24, 4, total);
    return w.finish();
  }
  if (!sk) throw new StateError('an encrypted message needs the SK keys of its IKE SA');
  return sealWhole(msg, encodePayloads(msg.payloads), sk);
}

/** Size of the message carrying `innerLength` bytes of payloads in one SK payload. */
function skMessageLength(sk: SkCrypto, innerLength: number): number {
  return IKE_HEADER_LENGTH + GENERIC_HEADER_LENGTH + sk.sealedLength(innerLength);
}

/** The IKE header and one SK payload sealing the encoded inner payload chain. */
function sealWhole(msg: IkeMessage, inner: Uint8Array, sk: SkCrypto): Uint8Array {
  const total = skMessageLength(sk, inner.byteLength);
  const bodyLength = total - IKE_HEADER_LENGTH - GENERIC_HEADER_LENGTH;
  const w = new Writer(IKE_HEADER_LENGTH + GENERIC_HEADER_LENGTH);
  writeHeader(msg.header, PayloadType.SK, total, w);
  w.u8(msg.payloads[0]?.type ?? PayloadType.NONE)
    .u8(0)
    .u16(GENERIC_HEADER_LENGTH + bodyLength);
  const aad = w.finish();
  return concat(aad, sealChecked(sk, aad, inner, bodyLength));
}

/**
 * Encodes an encrypted message as one message if it fits in `maxMessageSize` bytes, else as SKF fragments
 * (RFC 7383 §2.5): each a whole IKE message with one SKF payload carrying a slice of the inner payload chain.
 */
export function encodeFragments(msg: IkeMessage, sk: SkCrypto, maxMessageSize: number): Uint8Array[] {
  if (!msg.encrypted) throw new StateError('only encrypted messages can be fragmented (RFC 7383 §2.5)');
  const inner = encodePayloads(msg.payloads);
  // Sized before sealing: a message that fits is sealed once, one that does not is never sealed whole.
  if (skMessageLength(sk, inner.byteLength) <= maxMessageSize) return [sealWhole(msg, inner, sk)];
  const overhead = IKE_HEADER_LENGTH + GENERIC_HEADER_LENGTH + SKF_FIELDS_LENGTH;
  let chunk = maxMessageSize - overhead - sk.ivLength - sk.icvLength;
  while (chunk > 0 && overhead + sk.sealedLength(chunk) > maxMessageSize) chunk--;
  if (chunk <= 0) throw new LimitError('ike.fragment', `maximum message size ${maxMessageSize} leaves no room`);
  const total = Math.ceil(inner.byteLength / chunk);
  if (total > 0xffff) throw new LimitError('ike.fragment', `${total} fragments exceed 65535`);
  const out: Uint8Array[] = [];
  for (let n = 1; n <= total; n++) {
    const part = inner.subarray((n - 1) * chunk, n * chunk);
    const bodyLength = sk.sealedLength(part.byteLength);
    const w = new Writer(overhead);
    writeHeader(msg.header, PayloadType.SKF, overhead + bodyLength, w);
    w.u8(n === 1 ? (msg.payloads[0]?.type ?? PayloadType.NONE) : PayloadType.NONE)
      .u8(0)
      .u16(GENERIC_HEADER_LENGTH + SKF_FIELDS_LENGTH + bodyLength);
    encodeSkfFields({ number: n, total }, w);
    const aad = w.finish();
    out.push(concat(aad, sealChecked(sk, aad, part, bodyLength)));
  }
  return out;
}

/**
 * The bytes IKE_INTERMEDIATE authentication covers (RFC 9242 §3.3.2, IntAuth_A ‖ IntAuth_P): the IKE header with
 * Next Payload SK, then the SK generic header, then the inner payload chain in the clear — with both length fields
 * counting only those bytes (no IV, padding or ICV), exactly as strongSwan's message_t.get_plain builds it. It does
 * not depend on the cipher or on fragmentation, so sender and receiver compute it from the message value.
 */
export function intermediatePlain(msg: IkeMessage): Uint8Array {
  const inner = encodePayloads(msg.payloads);
  const w = new Writer(IKE_HEADER_LENGTH + GENERIC_HEADER_LENGTH + inner.byteLength);
  writeHeader(msg.header, PayloadType.SK, IKE_HEADER_LENGTH + GENERIC_HEADER_LENGTH + inner.byteLength, w);
  w.u8(msg.payloads[0]?.type ?? PayloadType.NONE)
    .u8(0)
    .u16(GENERIC_HEADER_LENGTH + inner.byteLength)
    .bytes(inner);
  return w.finish();
}

/** One decrypted fragment (RFC 7383); feed it to a FragmentReassembler. */
export interface DecodedFragment {
  kind: 'fragment';
  header: IkeHeader;
  /** Fragment Number, 1-based. */
  number: number;
  /** Total Fragments. */
  total: number;
  /** Next Payload of the SKF generic header: the first inner payload type in fragment 1, else 0. */
  nextPayload: number;
  plaintext: Uint8Array;
}

export interface DecodedMessage {
  kind: 'message';
  message: IkeMessage;
  /** For encrypted messages: the AAD (IKE header ‖ SK generic header) and the decrypted inner payload chain. */
  sk?: { aad: Uint8Array; plaintext: Uint8Array };
}

export type DecodeResult = DecodedMessage | DecodedFragment;

/**
 * Decodes a datagram. When it holds an SK or SKF payload `sk` is required (StateError otherwise): callers first
 * find the IKE SA with decodeHeader. Authentication failures are VerifyErrors from `sk.open`.
 */
export function decodeMessage(bytes: Uint8Array, sk?: SkCrypto): DecodeResult {
  const header = decodeHeader(bytes);
  const r = new Reader(bytes, 'ike');
  r.skip(IKE_HEADER_LENGTH, 'header');
  const chain = decodeChain(r, header.nextPayload, true);
  const enc = chain.encrypted;
  if (!enc) return { kind: 'message', message: { header, encrypted: false, payloads: chain.payloads } };
  if (chain.payloads.length > 0) {
    throw new ParseError('unencrypted payloads before the encrypted payload are not supported', 0, 'ike.payload[0]');
  }
  if (!sk) throw new StateError('encrypted payload received without SK keys');
  if (enc.type === PayloadType.SKF) {
    const skf = decodeSkf(enc.body);
    const aad = bytes.subarray(0, enc.headerOffset + GENERIC_HEADER_LENGTH + SKF_FIELDS_LENGTH);
    const plaintext = sk.open(aad, skf.sealed);
    return { kind: 'fragment', header, number: skf.number, total: skf.total, nextPayload: enc.nextPayload, plaintext };
  }
  const aad = bytes.subarray(0, enc.headerOffset + GENERIC_HEADER_LENGTH);
  const plaintext = sk.open(aad, enc.body.rest('sealed'));
  const inner = decodeChain(new Reader(plaintext, 'ike.sk'), enc.nextPayload, false);
  return {
    kind: 'message',
    message: { header, encrypted: true, payloads: inner.payloads },
    sk: { aad: aad.slice(), plaintext },
  };
}

export interface ReassemblerOptions {
  /** Most fragments accepted for one message (default 64). */
  maxFragments?: number;
  /** Most plaintext bytes accepted for one message (default 64 KiB + 4 KiB). */
  maxBytes?: number;
}

interface Pending {
  messageId: number;
  total: number;
  bytes: number;
  parts: Map<number, Uint8Array>;
  first?: DecodedFragment;
}

/**
 * Reassembles SKF fragments (RFC 7383 §2.6), one message at a time per direction (requests and responses are
 * kept apart). A fragment of a newer message id discards an incomplete older one; fragments of older ids are
 * dropped; duplicates are ignored. A fragment announcing more Total Fragments than the ones collected restarts the
 * collection (the sender re-fragmented), one announcing fewer is rejected.
 */
export class FragmentReassembler {
  readonly #maxFragments: number;
  readonly #maxBytes: number;
  readonly #pending = new Map<boolean, Pending>();

  constructor(opts: ReassemblerOptions = {}) {
    this.#maxFragments = opts.maxFragments ?? 64;
    this.#maxBytes = opts.maxBytes ?? 65536 + 4096;
  }

  /** Number of messages being collected. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Returns the whole message once every fragment is in, else undefined. */
  add(f: DecodedFragment): IkeMessage | undefined {
    if (f.total > this.#maxFragments) {
      throw new LimitError('ike.fragments', `${f.total} fragments exceed the limit of ${this.#maxFragments}`);
    }
    if (f.number < 1 || f.number > f.total) throw new ParseError(`fragment ${f.number} of ${f.total}`, 0, 'skf');
    const key = (f.header.flags & HeaderFlag.RESPONSE) !== 0;
    let p = this.#pending.get(key);
    if (p && f.header.messageId < p.messageId) return undefined;
    if (!p || f.header.messageId > p.messageId || f.total > p.total) {
      p = { messageId: f.header.messageId, total: f.total, bytes: 0, parts: new Map() };
      this.#pending.set(key, p);
    }
    if (f.total < p.total) {
      throw new ParseError(`Total Fragments ${f.total} < ${p.total} of earlier fragments`, 0, 'skf.totalFragments');
    }
    if (p.parts.has(f.number)) return undefined;
    p.bytes += f.plaintext.byteLength;
    if (p.bytes > this.#maxBytes) {
      this.#pending.delete(key);
      throw new LimitError('ike.fragments', `reassembled message exceeds ${this.#maxBytes} bytes`);
    }
    p.parts.set(f.number, f.plaintext.slice());
    if (f.number === 1) p.first = f;
    if (p.parts.size < p.total || !p.first) return undefined;
    this.#pending.delete(key);
    const parts: Uint8Array[] = [];
    for (let n = 1; n <= p.total; n++) parts.push(p.parts.get(n) ?? new Uint8Array(0));
    const inner = decodeChain(new Reader(concat(...parts), 'ike.skf'), p.first.nextPayload, false);
    return { header: p.first.header, encrypted: true, payloads: inner.payloads };
  }

  /** Drops everything collected. */
  clear(): void {
    this.#pending.clear();
  }
}
