/**
 * What the TNC client and server hosts share: PA message routing (RFC 5793 §4.5, IF-TNCCS), PA-TNC encoding with
 * fresh message ids, and the PA-TNC Error answer to a message that cannot be processed (RFC 5792 §4.2.8).
 *
 * Ids: a collector's message carries its own id as Posture Collector Identifier and the addressed IMV (or 0xFFFF)
 * as Posture Validator Identifier; a verifier's message the other way round. With the exclusive flag set only the
 * addressed IMC/IMV receives the message; without it every module subscribed to the (vendor, subtype) does.
 */
import { randomU32, systemRng } from '../../common/index.ts';
import type { Logger, Rng } from '../../common/index.ts';
import { defaultPaRegistry, encodePaMessage, receivePaMessage } from '../pa/index.ts';
import type { PaAttribute, PaAttributeCodec, PaAttributeRegistry } from '../pa/index.ts';
import { PB_PA_ID_ANY } from '../pb/index.ts';
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
}

export type Side = 'imc' | 'imv';

export function subscribes(subs: readonly PaMessageType[], vendor: number, subtype: number): boolean {
  return subs.some(
    (s) => (s.vendor === ANY_VENDOR || s.vendor === vendor) && (s.subtype === ANY_SUBTYPE || s.subtype === subtype),
  );
}

export class PaCodec {
  readonly registry: PaAttributeRegistry;
  readonly #ids: () => number;
  readonly #log: Logger;

  /** `extra`: codecs the hosted modules declare; those the registry lacks (by kind) are added to it. */
  constructor(opts: HostOptions, log: Logger, extra: readonly PaAttributeCodec<PaAttribute>[] = []) {
    const base = opts.registry ?? defaultPaRegistry;
    const missing = new Map<string, PaAttributeCodec<PaAttribute>>();
    for (const c of extra) if (!base.byKind(c.kind) && !missing.has(c.kind)) missing.set(c.kind, c);
    this.registry = missing.size > 0 ? base.with(...missing.values()) : base;
    const rng = opts.rng ?? systemRng;
    this.#ids = opts.messageIds ?? (() => randomU32(rng));
    this.#log = log;
  }

  /** A module's message as a PB-PA message. */
  encode(side: Side, selfId: number, out: OutgoingPa): PbPaMessage {
    const body = encodePaMessage({ messageId: this.#ids(), attributes: out.attributes }, this.registry);
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
}

/** The modules (with their ids) a received message goes to. */
export function recipients<T extends { id: number; subscriptions: readonly PaMessageType[] }>(
  side: Side,
  modules: readonly T[],
  m: PbPaMessage,
): T[] {
  const { destination } = PaCodec.ids(side, m);
  return modules.filter(
    (x) => subscribes(x.subscriptions, m.paVendor, m.paSubtype) && (!m.exclusive || x.id === destination),
  );
}
