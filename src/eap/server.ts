/**
 * The EAP authenticator (RFC 3748 §2, §4): EAP-Identity, method selection with Nak (§5.3), identifiers, and the
 * final Success/Failure. Methods only see their own Type-Data (method.ts `ServerMethod`).
 *
 *   server                                  peer
 *   Request/Identity (id n)          →
 *                                    ←      Response/Identity (id n) "carol"
 *   Request/<method> (id n+1)        →
 *                                    ←      Response/<method>  or  Response/Nak [types]
 *   ... (a Nak switches to the next configured method the peer listed, or ends in Failure)
 *   Success / Failure (id of the last response)
 *
 * What is discarded (§4.1: the authenticator silently discards responses whose Identifier does not match, and
 * malformed packets): a discard answers with the pending request again (the authenticator's retransmission; over
 * IKE every request needs an answer), at most `maxDiscards` times, then the conversation ends in Failure.
 * A response of a type other than the pending request's (and not a Nak) ends in Failure.
 */
import { AttestdError, StateError } from '../common/errors.ts';
import type { Logger } from '../common/log.ts';
import { silentLogger } from '../common/log.ts';
import { nameOf } from '../common/names.ts';
import { randomU32, systemRng } from '../common/rng.ts';
import type { Rng } from '../common/rng.ts';
import { EapCode, EapType } from './method.ts';
import type { EapOutcome, EapServer, ServerMethod, ServerMethodFactory } from './method.ts';
import { decodeNak } from './nak.ts';
import { EapTypeName, decodeEap, failure, request, success } from './packet.ts';
import type { EapPacket } from './packet.ts';

export interface EapServerOptions {
  /** Methods in order of preference; the first is proposed, a Nak may pick a later one. None = identity only. */
  methods: { type: number; create: ServerMethodFactory }[];
  /** Ask for the EAP identity first (default true). */
  requestIdentity?: boolean;
  /** Discarded responses tolerated before Failure (default 3). */
  maxDiscards?: number;
  rng?: Rng;
  log?: Logger;
  label?: string;
}

type Phase = 'init' | 'identity' | 'method' | 'done';

export class EapServerSession implements EapServer {
  readonly #opts: EapServerOptions;
  readonly #log: Logger;
  #phase: Phase = 'init';
  #identifier: number;
  #pending: Uint8Array | undefined;
  #method: ServerMethod | undefined;
  readonly #tried = new Set<number>();
  #discards = 0;
  #identity: string | undefined;
  #outcome: EapOutcome | undefined;
  /** Why the conversation failed, for logs and tests. */
  reason: string | undefined;

  constructor(opts: EapServerOptions) {
    this.#opts = opts;
    this.#log = opts.log ?? silentLogger;
    this.#identifier = randomU32(opts.rng ?? systemRng) & 0xff;
  }

  get identity(): string | undefined {
    return this.#identity;
  }
  get outcome(): EapOutcome | undefined {
    return this.#outcome;
  }
  /** The method that ran last (after Success: the one that authenticated the peer). */
  get method(): ServerMethod | undefined {
    return this.#method;
  }

  #request(type: number, data: Uint8Array): Uint8Array {
    this.#identifier = (this.#identifier + 1) & 0xff;
    this.#pending = request(this.#identifier, type, data);
    this.#log.debug('EAP', `${this.#opts.label ?? ''} sending EAP request ${nameOf(EapTypeName, type)}`, {
      id: this.#identifier,
    });
    return this.#pending;
  }

  async start(): Promise<Uint8Array> {
    if (this.#phase !== 'init') throw new StateError('EAP server already started');
    if (this.#opts.requestIdentity ?? true) {
      this.#phase = 'identity';
      return this.#request(EapType.IDENTITY, new Uint8Array(0));
    }
    const r = await this.#startMethod(0);
    if ('outcome' in r) throw new StateError('no EAP method configured');
    return r.packet;
  }

  /** Starts the first configured method not tried yet that `offered` allows (undefined = any). */
  async #startMethod(
    identifier: number,
    offered?: number[],
  ): Promise<{ packet: Uint8Array } | { packet: Uint8Array; outcome: EapOutcome }> {
    if (this.#opts.methods.length === 0) return this.#finish('success', identifier);
    const next = this.#opts.methods.find((m) => !this.#tried.has(m.type) && (!offered || offered.includes(m.type)));
    if (!next) return this.#finish('failure', identifier, 'the peer accepts none of our EAP methods');
    this.#tried.add(next.type);
    this.#method?.close?.();
    this.#method = next.create(this.#identity);
    this.#phase = 'method';
    return { packet: this.#request(next.type, await this.#method.start()) };
  }

  #finish(outcome: EapOutcome, identifier: number, reason?: string): { packet: Uint8Array; outcome: EapOutcome } {
    this.#phase = 'done';
    this.#outcome = outcome;
    this.#pending = undefined;
    if (outcome === 'failure') {
      this.reason = reason ?? 'EAP method failed';
      this.#method?.close?.();
      this.#log.info('EAP', `${this.#opts.label ?? ''} EAP authentication failed: ${this.reason}`);
    } else {
      this.#log.info('EAP', `${this.#opts.label ?? ''} EAP authentication of '${this.#identity ?? ''}' successful`);
    }
    return { packet: outcome === 'success' ? success(identifier) : failure(identifier), outcome };
  }

  #discard(why: string): { packet: Uint8Array; outcome?: EapOutcome } {
    this.#log.info('EAP', `${this.#opts.label ?? ''} discarding EAP packet: ${why}`);
    if (this.#pending && ++this.#discards <= (this.#opts.maxDiscards ?? 3)) return { packet: this.#pending };
    return this.#finish('failure', this.#identifier, `too many invalid EAP packets (last: ${why})`);
  }

  async process(bytes: Uint8Array): Promise<{ packet: Uint8Array; outcome?: EapOutcome }> {
    if (this.#phase === 'done') throw new StateError('EAP conversation is over');
    let p: EapPacket;
    try {
      p = decodeEap(bytes);
    } catch (e) {
      if (e instanceof AttestdError) return this.#discard(e.message);
      throw e;
    }
    if (p.code !== EapCode.RESPONSE) return this.#discard(`code ${p.code} where a Response was expected`);
    // A tunnel's phase 2 may open with an unsolicited Response/Identity (strongSwan's TTLS peer does).
    const unsolicited = this.#phase === 'init' && p.type === EapType.IDENTITY;
    if (this.#phase === 'init' && !unsolicited) return this.#discard('response before any request');
    if (!unsolicited && p.identifier !== this.#identifier)
      return this.#discard(`identifier ${p.identifier}, expected ${this.#identifier}`);
    if (unsolicited) this.#identifier = p.identifier;
    this.#discards = 0;
    try {
      return await this.#step(p);
    } catch (e) {
      if (e instanceof AttestdError) return this.#finish('failure', p.identifier, e.message);
      throw e;
    }
  }

  async #step(p: Extract<EapPacket, { data: Uint8Array }>): Promise<{ packet: Uint8Array; outcome?: EapOutcome }> {
    if (this.#phase === 'init' || this.#phase === 'identity') {
      if (p.type !== EapType.IDENTITY) return this.#finish('failure', p.identifier, 'expected Response/Identity');
      this.#identity = new TextDecoder().decode(p.data).replace(/\0+$/, '');
      this.#log.info('EAP', `${this.#opts.label ?? ''} received EAP identity '${this.#identity}'`);
      return this.#startMethod(p.identifier);
    }
    const method = this.#method!;
    if (p.type === EapType.NAK) {
      const offered = decodeNak(p.data);
      this.#log.info('EAP', `${this.#opts.label ?? ''} peer does not support ${nameOf(EapTypeName, method.type)}`, {
        offered: offered.join(','),
      });
      return this.#startMethod(p.identifier, offered);
    }
    if (p.type !== method.type)
      return this.#finish('failure', p.identifier, `response of type ${p.type} to a ${method.type} request`);
    const step = await method.process(p.data, p.identifier);
    if ('request' in step) return { packet: this.#request(method.type, step.request) };
    return this.#finish(step.outcome, p.identifier, step.reason);
  }

  msk(): Uint8Array | undefined {
    return this.#outcome === 'success' ? this.#method?.msk() : undefined;
  }
}
