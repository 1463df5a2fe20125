/**
 * What the TNC client and server hosts share: PA message routing (RFC 5793 §4.5, IF-TNCCS), PA-TNC encoding with
 * fresh message ids, and the PA-TNC Error answer to a message that cannot be processed (RFC 5792 §4.2.8).
 *
 * Ids: a collector's message carries its own id as Posture Collector Identifier and the addressed IMV (or 0xFFFF)
 * as Posture Validator Identifier; a verifier's message the other way round. With the exclusive flag set only the
 * addressed IMC/IMV receives the message; without it every module subscribed to the (vendor, subtype) does.
 *
 * A module's message whose attributes encode to more than one batch can carry (`maxBatchSize` less the PB-TNC
 * headers) is sent as several PA-TNC messages of the same vendor, subtype and addressing, each with its own message
 * id, the attributes kept in order and each message as full as it goes; PB-TNC then sends them in successive
 * batches. Receivers see several messages where the module returned one (the PTS verifier accumulates). An
 * attribute that alone exceeds the limit goes in a message of its own (PB-TNC then closes with a local error).
 */
import { randomU32, systemRng } from '../../common/index.ts';
import type { Logger, Rng } from '../../common/index.ts';
import { PA_TNC_HEADER_SIZE, defaultPaRegistry, encodePaMessage, receivePaMessage } from '../pa/index.ts';
import type { PaAttribute, PaAttributeCodec, PaAttributeRegistry } from '../pa/index.ts';
import { MaxBatchSize, PB_PA_ID_ANY, maxPaMessageBody } from '../pb/index.ts';
import type { PbPaMessage } from '../pb/index.ts';
import { ANY_SUBTYPE, ANY_VENDOR } from './api.ts';
import type { IncomingPa, OutgoingPa, PaMessageType } from './api.ts';

/** Options both hosts take. */
export interface HostOptions {
  /** Attribute codecs for decoding (default: the PA-TNC defaults; add PTS/SWIMA codecs here). */
  registry?: PaAttributeRegistry;
  /** PA-TNC message ids (default: random from `rng`); fixed sequences replay captured exchanges. */
  messageIds?: () => number;
  rng?: Rng;
  /** First IMC/IMV id (default 1, as strongSwan numbers its IMCs and IMVs). */
  firstId?: number;
  /** Largest PB-TNC batch the PA messages travel in (default PT-EAP's 65529): larger messages are split. */
  maxBatchSize?: number;
}

export type Side = 'imc' | 'imv';

/** A PA-TNC message from its encoded header and attributes (`size`: header plus attributes). */
function join(header: Uint8Array, attrs: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(header.subarray(0, PA_TNC_HEADER_SIZE), 0);
  let o = PA_TNC_HEADER_SIZE;
  for (const a of attrs) {
    out.set(a, o);
    o += a.byteLength;
  }
  return out;
}

export function subscribes(subs: readonly PaMessageType[], vendor: number, subtype: number): boolean {
  return subs.some(
    (s) => (s.vendor === ANY_VENDOR || s.vendor === vendor) && (s.subtype === ANY_SUBTYPE || s.subtype === subtype),
  );
}

export class PaCodec {
  readonly registry: PaAttributeRegistry;
  readonly #ids: () => number;
  readonly #log: Logger;
  /** Largest PA-TNC message (header and attributes) sent in one PB-PA message. */
  readonly maxBody: number;

  /** `extra`: codecs the hosted modules declare; those the registry lacks (by kind) are added to it. */
  constructor(opts: HostOptions, log: Logger, extra: readonly PaAttributeCodec<PaAttribute>[] = []) {
    const base = opts.registry ?? defaultPaRegistry;
    const missing = new Map<string, PaAttributeCodec<PaAttribute>>();
    for (const c of extra) if (!base.byKind(c.kind) && !missing.has(c.kind)) missing.set(c.kind, c);
    this.registry = missing.size > 0 ? base.with(...missing.values()) : base;
    const rng = opts.rng ?? systemRng;
    this.#ids = opts.messageIds ?? (() => randomU32(rng));
    this.#log = log;
    this.maxBody = maxPaMessageBody(opts.maxBatchSize ?? MaxBatchSize.PT_EAP);
  }

  /**
   * A module's message as PB-PA messages: one, or several when its attributes do not fit in one batch (each with
   * the same vendor, subtype and addressing, the attributes in order).
   */
  encode(side: Side, selfId: number, out: OutgoingPa): PbPaMessage[] {
    const messageId = this.#ids();
    if (out.attributes.length < 2)
      return [this.#pb(side, selfId, out, encodePaMessage({ messageId, attributes: out.attributes }, this.registry))];
    const first = encodePaMessage({ messageId, attributes: [] }, this.registry);
    // Each attribute is encoded once: the sizes decide the split, the bytes are copied into the messages.
    const attrs = out.attributes.map((a) => this.registry.encodeOne(a));
    const total = attrs.reduce((n, a) => n + a.byteLength, PA_TNC_HEADER_SIZE);
    const bodies = total <= this.maxBody ? [join(first, attrs, total)] : this.#split(first, attrs);
    if (bodies.length > 1)
      this.#log.info(
        side === 'imc' ? 'IMC' : 'IMV',
        `PA-TNC message of ${total} bytes (${out.attributes.length} attributes) sent as ${bodies.length} messages of at most ${this.maxBody} bytes`,
      );
    return bodies.map((b) => this.#pb(side, selfId, out, b));
  }

  /** Greedy split of encoded attributes into messages of at most `maxBody` bytes (the first with `first`'s id). */
  #split(first: Uint8Array, attrs: readonly Uint8Array[]): Uint8Array[] {
    const bodies: Uint8Array[] = [];
    let group: Uint8Array[] = [];
    let size = PA_TNC_HEADER_SIZE;
    const flush = () => {
      // the first message keeps the id already drawn, the others get fresh ones
      bodies.push(join(bodies.length === 0 ? first : this.#header(), group, size));
      group = [];
      size = PA_TNC_HEADER_SIZE;
    };
    for (const a of attrs) {
      if (group.length && size + a.byteLength > this.maxBody) flush();
      group.push(a);
      size += a.byteLength;
    }
    if (group.length) flush();
    return bodies;
  }

  #header(): Uint8Array {
    return encodePaMessage({ messageId: this.#ids(), attributes: [] }, this.registry);
  }

  #pb(side: Side, selfId: number, out: OutgoingPa, body: Uint8Array): PbPaMessage {
    const peer = out.to ?? PB_PA_ID_ANY;
    return {
      kind: 'pa',
      exclusive: out.to !== undefined,
      paVendor: out.vendor,
      paSubtype: out.subtype,
      collectorId: side === 'imc' ? selfId : peer,
      validatorId: side === 'imc' ? peer : selfId,
      body,
    };
  }

  /** Ids of a received PB-PA message seen from `side`: the sender's and ours as addressed. */
  static ids(side: Side, m: PbPaMessage): { source: number; destination: number } {
    return side === 'imc'
      ? { source: m.validatorId, destination: m.collectorId }
      : { source: m.collectorId, destination: m.validatorId };
  }

  /**
   * Decodes a received PB-PA message. A malformed one, or one with unsupported NOSKIP attributes, is not delivered:
   * the answer is a PA-TNC Error message from `selfId` to the sender, exclusively.
   */
  decode(side: Side, m: PbPaMessage): { ok: true; msg: IncomingPa } | { ok: false; answer: OutgoingPa } {
    const { source, destination } = PaCodec.ids(side, m);
    const r = receivePaMessage(m.body, this.registry);
    if (!r.ok) {
      this.#log.info(side === 'imc' ? 'IMC' : 'IMV', `PA-TNC message rejected: ${r.cause.message}`);
      return { ok: false, answer: { vendor: m.paVendor, subtype: m.paSubtype, attributes: r.errors, to: source } };
    }
    return {
      ok: true,
      msg: {
        vendor: m.paVendor,
        subtype: m.paSubtype,
        messageId: r.message.messageId,
        attributes: r.message.attributes,
        exclusive: m.exclusive,
        sourceId: source,
        destinationId: destination,
      },
    };
  }

  /**
   * A received PB-PA message: the modules it goes to with the decoded message; the PA-TNC Error answer from the
   * first of them when it cannot be decoded; undefined (logged) when no module takes it.
   */
  route<T extends { id: number; subscriptions: readonly PaMessageType[] }>(
    side: Side,
    modules: readonly T[],
    m: PbPaMessage,
  ): { to: T[]; msg: IncomingPa } | { answer: PbPaMessage[] } | undefined {
    const to = recipients(side, modules, m);
    const first = to[0];
    if (!first) {
      const kind = side === 'imc' ? 'IMC' : 'IMV';
      this.#log.debug(kind, `no ${kind} for PA message 0x${m.paVendor.toString(16)}/${m.paSubtype}`);
      return undefined;
    }
    const d = this.decode(side, m);
    return d.ok ? { to, msg: d.msg } : { answer: this.encode(side, first.id, d.answer) };
  }
}

/** The modules (with their ids) a received message goes to. */
function recipients<T extends { id: number; subscriptions: readonly PaMessageType[] }>(
  side: Side,
  modules: readonly T[],
  m: PbPaMessage,
): T[] {
  const { destination } = PaCodec.ids(side, m);
  return modules.filter(
    (x) => subscribes(x.subscriptions, m.paVendor, m.paSubtype) && (!m.exclusive || x.id === destination),
  );
}
