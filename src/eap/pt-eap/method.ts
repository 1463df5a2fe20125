/**
 * PT-EAP (RFC 7171) methods: the EAP transport of PB-TNC batches, run inside EAP-TTLS. The EAP peer is the PB-TNC
 * transport client, the EAP server the transport server. Each packet carries at most one batch.
 *
 *   server                                          peer
 *   Request  [S|v1]                          →
 *                                            ←      Response [v1] CDATA (Mutual-Capability, PA…)   endpoint.start()
 *   Request  [v1] batch                      →      (endpoint.receive)
 *                                            ←      Response [v1] batch, or [v1] empty when it has nothing to say
 *   ... until the server's endpoint is done: Success (allow/isolate) or Failure (deny), from `outcome()`.
 *
 * The PB-TNC side is injected as a `PtEapEndpoint` (a MutualPbTnc fits through `mutualPbTncEndpoint`), so this layer
 * knows nothing of IMCs and IMVs.
 */
import { ProtocolError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import { silentLogger } from '../../common/log.ts';
import type { MutualPbTnc } from '../../tnc/pb/mutual.ts';
import { Recommendation } from '../../tnc/pb/constants.ts';
import { EapType } from '../method.ts';
import type { EapOutcome, PeerMethod, ServerMethod, ServerStep } from '../method.ts';
import { PT_EAP_VERSION, decodePtEap, encodePtEap } from './packet.ts';

/** The PB-TNC layer as PT-EAP sees it. */
export interface PtEapEndpoint {
  /** Transport client: the first batch (CDATA); a transport server returns null. */
  start(): Uint8Array | null | Promise<Uint8Array | null>;
  /** One batch from the peer in, the batches to answer with out (zero or one). */
  receive(batch: Uint8Array): Uint8Array[] | Promise<Uint8Array[]>;
  /** This side's PB-TNC conversation is over. */
  done(): boolean;
  /** Our verdict on the other side as an EAP outcome (transport server: on the peer; client: on the server). */
  outcome?(): EapOutcome | undefined;
}

/**
 * Adapts strongSwan-style mutual PB-TNC to PT-EAP: allowed and quarantined peers succeed, denied ones fail. On the
 * transport client the verdict is that of its own IMVs on the server (mutual mode), undefined without one.
 */
export function mutualPbTncEndpoint(m: MutualPbTnc): PtEapEndpoint {
  return {
    start: () => m.start(),
    receive: (b) => m.receive(b),
    done: () => m.done,
    outcome: () => {
      const d = m.serverDecision;
      if (!d) return m.transport === 'server' ? 'failure' : undefined;
      const r = d.recommendation;
      return r === Recommendation.ACCESS_ALLOWED || r === Recommendation.QUARANTINED ? 'success' : 'failure';
    },
  };
}

/** Any flags-only packet is an empty one (strongSwan sends 0x00); otherwise the version must be 1. */
function check(p: { version: number; start: boolean; batch?: Uint8Array }): void {
  if (!p.start && !p.batch) return;
  if (p.version !== PT_EAP_VERSION)
    throw new ProtocolError('EAP', EapType.PT_EAP, `unsupported PT-EAP version ${p.version}`);
}

function single(batches: Uint8Array[]): Uint8Array | undefined {
  if (batches.length > 1) throw new ProtocolError('EAP', EapType.PT_EAP, 'PT-EAP carries one batch per packet');
  return batches[0];
}

export class PtEapPeer implements PeerMethod {
  readonly type = EapType.PT_EAP;
  readonly endpoint: PtEapEndpoint;
  readonly #log: Logger;
  #started = false;

  constructor(endpoint: PtEapEndpoint, log: Logger = silentLogger) {
    this.endpoint = endpoint;
    this.#log = log;
  }

  async process(data: Uint8Array): Promise<Uint8Array> {
    const p = decodePtEap(data);
    check(p);
    let batch: Uint8Array | undefined;
    if (p.start || !this.#started) {
      this.#started = true;
      batch = (await this.endpoint.start()) ?? undefined;
      if (p.batch) batch = single(await this.endpoint.receive(p.batch)) ?? batch;
    } else if (p.batch) {
      batch = single(await this.endpoint.receive(p.batch));
    }
    this.#log.debug('TNC', `PT-EAP peer answers with ${batch ? `${batch.byteLength}-byte batch` : 'an empty packet'}`);
    return encodePtEap(batch ? { batch } : {});
  }
  msk(): undefined {
    return undefined;
  }
  /** Our IMVs' verdict on the server once the PB-TNC exchange is over. */
  verdict(): EapOutcome | undefined {
    return this.endpoint.done() ? this.endpoint.outcome?.() : undefined;
  }
}

export class PtEapServer implements ServerMethod {
  readonly type = EapType.PT_EAP;
  readonly endpoint: PtEapEndpoint;
  readonly #maxEmpty: number;
  #empty = 0;

  constructor(endpoint: PtEapEndpoint, opts: { maxEmpty?: number } = {}) {
    this.endpoint = endpoint;
    this.#maxEmpty = opts.maxEmpty ?? 4;
  }

  start(): Promise<Uint8Array> {
    return Promise.resolve(encodePtEap({ start: true }));
  }

  async process(data: Uint8Array): Promise<ServerStep> {
    const p = decodePtEap(data);
    check(p);
    const out = p.batch ? single(await this.endpoint.receive(p.batch)) : undefined;
    if (out) {
      this.#empty = 0;
      return { request: encodePtEap({ batch: out }) };
    }
    if (this.endpoint.done()) {
      // No decision from an endpoint that can decide means no access.
      const outcome = this.endpoint.outcome ? (this.endpoint.outcome() ?? 'failure') : 'success';
      return outcome === 'success' ? { outcome } : { outcome, reason: 'PB-TNC access recommendation denies the peer' };
    }
    // Neither side has anything to say yet: poll with an empty packet, a bounded number of times.
    if (++this.#empty > this.#maxEmpty) return { outcome: 'failure', reason: 'PB-TNC exchange stalled' };
    return { request: encodePtEap({}) };
  }

  msk(): undefined {
    return undefined;
  }
}
