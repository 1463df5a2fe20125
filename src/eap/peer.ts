/**
 * The EAP peer (RFC 3748 §2, §4, §5): answers Identity and Notification itself, hands method requests to the
 * method of that type, and answers a type it does not do with a Nak listing the types it does (§5.3.1).
 *
 * A request repeating the previous one (same Identifier and bytes) is answered with the previous response
 * (§4.1 retransmission). Malformed packets and anything but a Request are refused with a declared error, which
 * ends the IKE exchange (the peer's "silent discard": there is nothing to answer).
 */
import { equal } from '../common/bytes.ts';
import { ProtocolError, StateError } from '../common/errors.ts';
import type { Logger } from '../common/log.ts';
import { silentLogger } from '../common/log.ts';
import { nameOf } from '../common/names.ts';
import { EapCode, EapType } from './method.ts';
import type { EapOutcome, EapPeer, PeerMethod, PeerMethodFactory } from './method.ts';
import { encodeNak } from './nak.ts';
import { EapTypeName, decodeEap, response } from './packet.ts';

export interface EapPeerOptions {
  /** Sent in Response/Identity. */
  identity: string;
  methods: Map<number, PeerMethodFactory>;
  log?: Logger;
  label?: string;
}

export class EapPeerSession implements EapPeer {
  readonly #opts: EapPeerOptions;
  readonly #log: Logger;
  #method: PeerMethod | undefined;
  #last: { request: Uint8Array; response: Uint8Array } | undefined;
  #outcome: EapOutcome | undefined;

  constructor(opts: EapPeerOptions) {
    this.#opts = opts;
    this.#log = opts.log ?? silentLogger;
  }

  get method(): PeerMethod | undefined {
    return this.#method;
  }
  get outcome(): EapOutcome | undefined {
    return this.#outcome;
  }

  /** Response/Identity with our identity. */
  identityResponse(identifier: number): Uint8Array {
    return response(identifier, EapType.IDENTITY, new TextEncoder().encode(this.#opts.identity));
  }

  async process(bytes: Uint8Array): Promise<Uint8Array> {
    if (this.#outcome) throw new StateError('EAP conversation is over');
    if (this.#last && equal(this.#last.request, bytes)) return this.#last.response;
    const p = decodeEap(bytes);
    if (p.code !== EapCode.REQUEST) throw new ProtocolError('EAP', p.code, 'expected an EAP Request');
    const out = await this.#answer(p.identifier, p.type, p.data);
    this.#last = { request: bytes.slice(), response: out };
    return out;
  }

  async #answer(identifier: number, type: number, data: Uint8Array): Promise<Uint8Array> {
    switch (type) {
      case EapType.IDENTITY:
        return this.identityResponse(identifier);
      case EapType.NOTIFICATION:
        this.#log.info('EAP', `${this.#opts.label ?? ''} EAP notification: ${new TextDecoder().decode(data)}`);
        return response(identifier, EapType.NOTIFICATION, new Uint8Array(0));
      case EapType.NAK:
        throw new ProtocolError('EAP', type, 'a Nak is never a request');
    }
    if (this.#method?.type !== type) {
      const make = this.#opts.methods.get(type);
      if (!make) {
        this.#log.info('EAP', `${this.#opts.label ?? ''} server requested ${nameOf(EapTypeName, type)}: sending Nak`);
        return response(identifier, EapType.NAK, encodeNak([...this.#opts.methods.keys()]));
      }
      this.#log.info('EAP', `${this.#opts.label ?? ''} server requested ${nameOf(EapTypeName, type)} authentication`);
      this.#method = make();
    }
    return response(identifier, type, await this.#method.process(data, identifier));
  }

  finish(outcome: EapOutcome): void {
    this.#outcome = outcome;
    this.#method?.finish?.(outcome);
  }

  msk(): Uint8Array | undefined {
    return this.#outcome === 'success' ? this.#method?.msk() : undefined;
  }

  verdict(): EapOutcome | undefined {
    return this.#method?.verdict?.();
  }
}
