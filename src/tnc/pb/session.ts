/**
 * One PB-TNC session (RFC 5793 §3) as pure protocol logic over batches: `process(batch)` takes a received batch,
 * `build()` returns the next batch to send (or null), `receive(batch)` does both. The posture side is injected:
 * a TNC client handler (the IMCs) or a TNC server handler (the IMVs and their recommendation). Behaviour follows
 * strongSwan's tnccs_20_client.c / tnccs_20_server.c:
 *
 *   client                                          server
 *   CDATA [Mutual-Capability?, Language?, PA...] ->
 *                                                <- SDATA [PA...]            (IMV replies; empty if none)
 *   CDATA [PA...]  (empty if the IMCs are silent) ->
 *                                                <- RESULT [PA..., Assessment-Result, Access-Recommendation,
 *                                                           Reason-String..., Remediation-Parameters...]
 *   CLOSE, or CRETRY [PA...] for a new handshake ->
 *
 * The server answers an empty CDATA with the final RESULT (soliciting a recommendation) and a non-empty one with
 * SDATA until its handler has decided.
 *
 * Messages that do not fit into one batch (`maxBatchSize`) are sent over several: a batch takes the pending
 * messages, in order, while they fit, and the rest stays pending for this side's next batch (as strongSwan's
 * TNCCS 2.0 does). The exchange carries on by itself: a client with messages left sends a non-empty CDATA, which
 * the server answers with SDATA (so it never solicits a recommendation while the client has more to say); a
 * server with messages left sends SDATA instead of RESULT, which the client answers with CDATA (empty when its
 * IMCs are silent), and the server's RESULT carries its last PA messages only when they fit beside the decision.
 * A single message larger than a batch cannot be sent: the session closes with a local error.
 *
 * Any problem with a received batch is answered with a CLOSE batch carrying a fatal PB-Error (unexpected batch
 * type, invalid parameter with offset, unsupported mandatory message, version not supported, local error for
 * oversize batches).
 *
 * Handlers may answer synchronously or with a promise (collectors that quote a TPM are asynchronous), so `process`,
 * `build`, `receive` and `start` return promises; a session is driven one batch at a time (await each call).
 */
import { ConfigError, LimitError, publish, silentLogger } from '../../common/index.ts';
import type { Logger } from '../../common/index.ts';
import type { RemediationParameters } from '../pa/attrs/ietf/remediation-instructions.ts';
import {
  PbBatchError,
  decodeBatch,
  decodeBatchHeader,
  encodeBatch,
  encodedMessageSize,
  peekBatchHeader,
} from './batch.ts';
import {
  MaxBatchSize,
  MutualProtocol,
  PB_BATCH_HEADER_SIZE,
  PbBatchType,
  PbBatchTypeName,
  PbErrorCode,
  RecommendationName,
} from './constants.ts';
import type { AssessmentResultValue, PbBatchTypeValue, RecommendationValue } from './constants.ts';
import type { PbMessage } from './message.ts';
import { pbErrorWithOffset } from './messages/error.ts';
import type { PbError } from './messages/error.ts';
import type { PbPaMessage } from './messages/pa.ts';
import { pbCodecOf } from './message.ts';
import { PbState, pbTransition } from './state.ts';
import type { PbRole, PbStateValue } from './state.ts';

export interface ReasonString {
  reason: string;
  language: string;
}

/** What a TNC client learns from a RESULT batch. */
export interface TncResult {
  recommendation: RecommendationValue;
  assessment?: AssessmentResultValue;
  reasons: ReasonString[];
  remediation: RemediationParameters[];
}

/** The final verdict of a TNC server's verifiers. */
export interface TncDecision {
  recommendation: RecommendationValue;
  assessment: AssessmentResultValue;
  reasons?: ReasonString[];
  remediation?: RemediationParameters[];
}

/** The IMC side of a session. */
export interface TncClientHandler {
  /** A handshake starts (or restarts after a retry): the first PA messages to send. */
  beginHandshake(): PbPaMessage[] | Promise<PbPaMessage[]>;
  /** PA messages of one SDATA (possibly none): the replies. */
  receive(messages: PbPaMessage[]): PbPaMessage[] | Promise<PbPaMessage[]>;
  /** The server's result. Return 'retry' to ask for a new handshake (CRETRY) instead of closing. */
  result(result: TncResult): 'retry' | void | Promise<'retry' | void>;
}

export interface TncServerReply {
  reply: PbPaMessage[];
  /** Set when all verifiers are done: the next batch is RESULT. */
  decided?: TncDecision;
  /** Ask the client for a new handshake (SRETRY). */
  retry?: boolean;
}

/** The IMV side of a session. */
export interface TncServerHandler {
  /** A handshake starts (or restarts): PA messages the verifiers send unprompted (often none). */
  beginHandshake(): PbPaMessage[] | Promise<PbPaMessage[]>;
  /** PA messages of one CDATA/CRETRY (possibly none): replies and, when done, the decision. */
  receive(messages: PbPaMessage[]): TncServerReply | Promise<TncServerReply>;
  /** The client has nothing more to say (empty CDATA): a decision is due now. */
  solicitRecommendation(): TncDecision | Promise<TncDecision>;
}

export interface PbTncSessionOptions {
  role: PbRole;
  client?: TncClientHandler;
  server?: TncServerHandler;
  /** Largest batch sent or accepted (default: PT-EAP's 65529). */
  maxBatchSize?: number;
  /** Client: Accept-Language value for a PB-Language-Preference in the first CDATA (none if unset). */
  languagePreference?: string;
  /** Client: offer PB-Mutual-Capability (half duplex) in the first CDATA. */
  offerMutual?: boolean;
  /** Server: accept an offered mutual capability and echo it. */
  acceptMutual?: boolean;
  /** Name for diagnostics (e.g. the connection). */
  name?: string;
  log?: Logger;
}

export class PbTncSession {
  readonly role: PbRole;
  readonly #opts: PbTncSessionOptions;
  readonly #log: Logger;
  readonly #maxBatch: number;
  #state: PbStateValue = PbState.INIT;
  #started = false;
  #pending: PbMessage[] = [];
  #fatal: PbError[] | null = null;
  #retryRequested = false;
  #retryHandshake = false;
  #lastCdataEmpty = false;
  #mutualEchoed = false;
  #decision: TncDecision | undefined;
  #result: TncResult | undefined;
  /** The peer offered (server) or confirmed (client) half-duplex mutual mode. */
  peerMutual = false;
  /** Server: the client's PB-Language-Preference (Accept-Language value), if it sent one. */
  peerLanguage: string | undefined;
  /** PB-Error messages received from the peer. */
  readonly peerErrors: PbError[] = [];
  /** The error we answered with, if the session ended on one. */
  sentError: PbError | undefined;

  constructor(opts: PbTncSessionOptions) {
    this.role = opts.role;
    this.#opts = opts;
    this.#log = opts.log ?? silentLogger;
    this.#maxBatch = opts.maxBatchSize ?? MaxBatchSize.PT_EAP;
    if (opts.role === 'client' && !opts.client) throw new ConfigError('a PB-TNC client session needs a client handler');
    if (opts.role === 'server' && !opts.server) throw new ConfigError('a PB-TNC server session needs a server handler');
  }

  get state(): PbStateValue {
    return this.#state;
  }
  get done(): boolean {
    return this.#state === PbState.END;
  }
  /** Client: the last result received. */
  get result(): TncResult | undefined {
    return this.#result;
  }
  /** Server: the decision sent (or about to be sent) in RESULT. */
  get decision(): TncDecision | undefined {
    return this.#decision;
  }
  /** True when a fatal error is waiting to be sent in a CLOSE batch. */
  get failing(): boolean {
    return this.#fatal !== null;
  }

  async #ensureStarted(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    if (this.role === 'client') {
      if (this.#opts.offerMutual)
        this.#pending.push({ kind: 'mutual-capability', protocols: MutualProtocol.HALF_DUPLEX });
      if (this.#opts.languagePreference !== undefined) {
        this.#pending.push({ kind: 'language-preference', language: this.#opts.languagePreference });
      }
      this.#pending.push(...(await this.#opts.client!.beginHandshake()));
    } else {
      this.#pending.push(...(await this.#opts.server!.beginHandshake()));
    }
  }

  #fail(error: PbError, why: string): void {
    this.#log.info('TNC', `PB-TNC ${this.role}: ${why}; closing`);
    this.#fatal = [...(this.#fatal ?? []), error];
  }

  /** Takes one received batch; problems are queued as a fatal PB-Error for the next `build()`. */
  async process(bytes: Uint8Array): Promise<void> {
    publish('tnc:batch', { dir: 'in', type: this.#batchName(bytes), bytes: bytes.byteLength });
    if (this.#state === PbState.END) {
      this.#log.debug('TNC', `PB-TNC ${this.role}: batch after End ignored`);
      return;
    }
    await this.#ensureStarted();
    let type: PbBatchTypeValue;
    try {
      const h = decodeBatchHeader(bytes);
      if (h.fromServer !== (this.role === 'client')) {
        throw PbBatchError.at(
          PbErrorCode.INVALID_PARAMETER,
          1,
          `batch from a PB-TNC ${h.fromServer ? 'server' : 'client'}`,
        );
      }
      type = h.type;
    } catch (e) {
      if (e instanceof PbBatchError) return this.#fail(e.error, e.message);
      throw e;
    }
    const t = pbTransition(this.#state, this.role, { dir: 'receive', batch: type });
    if (t.error !== undefined) {
      return this.#fail(pbErrorWithOffset(t.error, 0), `unexpected ${PbBatchTypeName.get(type)} in ${this.#state}`);
    }
    this.#state = t.state;
    let messages: PbMessage[];
    try {
      const batch = decodeBatch(bytes, { maxSize: this.#maxBatch });
      messages = [];
      for (let i = 0; i < batch.messages.length; i++) {
        const m = batch.messages[i]!;
        if (m.kind !== 'unknown' && pbCodecOf(m).resultOnly && type !== PbBatchType.RESULT) {
          if (this.role === 'server') {
            throw PbBatchError.at(PbErrorCode.INVALID_PARAMETER, batch.offsets[i]!, `${m.kind} from a PB-TNC client`);
          }
          continue; // a client ignores result messages outside RESULT
        }
        messages.push(m);
      }
    } catch (e) {
      if (e instanceof PbBatchError) return this.#fail(e.error, e.message);
      throw e;
    }
    for (const m of messages) if (m.kind === 'error') this.peerErrors.push(m);
    if (this.role === 'client') await this.#clientProcess(type, messages);
    else await this.#serverProcess(type, messages);
  }

  async #clientProcess(type: PbBatchTypeValue, messages: PbMessage[]): Promise<void> {
    const handler = this.#opts.client!;
    const pa = messages.filter((m): m is PbPaMessage => m.kind === 'pa');
    for (const m of messages) {
      if (
        m.kind === 'mutual-capability' &&
        this.#opts.offerMutual &&
        (m.protocols & MutualProtocol.HALF_DUPLEX) !== 0
      ) {
        this.peerMutual = true;
      }
    }
    switch (type) {
      case PbBatchType.SDATA:
        this.#pending.push(...(await handler.receive(pa)));
        return;
      case PbBatchType.SRETRY:
        this.#pending = [...(await handler.beginHandshake()), ...(await handler.receive(pa))];
        return;
      case PbBatchType.RESULT: {
        const dropped = await handler.receive(pa);
        if (dropped.length) this.#log.debug('TNC', `PB-TNC client: ${dropped.length} PA replies to RESULT dropped`);
        const result: TncResult = { recommendation: 2, reasons: [], remediation: [] };
        let haveRec = false;
        for (const m of messages) {
          if (m.kind === 'access-recommendation') {
            result.recommendation = m.recommendation;
            haveRec = true;
          } else if (m.kind === 'assessment-result') result.assessment = m.result;
          else if (m.kind === 'reason-string') result.reasons.push({ reason: m.reason, language: m.language });
          else if (m.kind === 'remediation-parameters') result.remediation.push(m.parameters);
        }
        if (!haveRec) this.#log.info('TNC', 'PB-TNC client: RESULT without access recommendation, taken as denied');
        this.#result = result;
        this.#log.info('TNC', `PB-TNC access recommendation is '${RecommendationName.get(result.recommendation)}'`);
        this.#pending = [];
        this.#retryRequested = (await handler.result(result)) === 'retry';
        return;
      }
      case PbBatchType.CLOSE:
        return;
      case PbBatchType.CDATA:
      case PbBatchType.CRETRY:
        return; // rejected by the state machine before
    }
  }

  async #serverProcess(type: PbBatchTypeValue, messages: PbMessage[]): Promise<void> {
    const handler = this.#opts.server!;
    for (const m of messages) {
      if (m.kind === 'language-preference') this.peerLanguage = m.language;
      if (
        m.kind === 'mutual-capability' &&
        this.#opts.acceptMutual &&
        (m.protocols & MutualProtocol.HALF_DUPLEX) !== 0
      ) {
        this.peerMutual = true;
        if (!this.#mutualEchoed) {
          this.#mutualEchoed = true;
          this.#pending.unshift({ kind: 'mutual-capability', protocols: MutualProtocol.HALF_DUPLEX });
        }
      }
    }
    if (type === PbBatchType.CLOSE) return;
    if (type === PbBatchType.CRETRY || (type === PbBatchType.CDATA && this.#retryHandshake)) {
      this.#retryHandshake = false;
      this.#decision = undefined;
      this.#pending.push(...(await handler.beginHandshake()));
    }
    this.#lastCdataEmpty = messages.length === 0;
    const pa = messages.filter((m): m is PbPaMessage => m.kind === 'pa');
    const r = await handler.receive(pa);
    this.#pending.push(...r.reply);
    if (r.decided) this.#decision = r.decided;
    if (r.retry) this.#retryRequested = true;
  }

  /** The next batch to send, or null when this side has nothing to say in its state. */
  async build(): Promise<Uint8Array | null> {
    if (this.#fatal) {
      const errors = this.#fatal;
      this.#fatal = null;
      this.sentError = errors[0];
      this.#pending = [];
      return this.#emit(PbBatchType.CLOSE, errors);
    }
    await this.#ensureStarted();
    const plan = this.role === 'client' ? await this.#clientPlan() : await this.#serverPlan();
    if (!plan) return null;
    return this.#emit(plan.type, plan.messages);
  }

  async #clientPlan(): Promise<{ type: PbBatchTypeValue; messages: PbMessage[] } | null> {
    switch (this.#state) {
      case PbState.INIT:
      case PbState.CLIENT_WORKING:
        return { type: PbBatchType.CDATA, messages: this.#takeFitting() };
      case PbState.DECIDED:
        if (this.#retryRequested) {
          this.#retryRequested = false;
          this.#pending = await this.#opts.client!.beginHandshake();
          return { type: PbBatchType.CRETRY, messages: this.#takeFitting() };
        }
        return { type: PbBatchType.CLOSE, messages: [] };
      case PbState.SERVER_WORKING:
      case PbState.END:
        return null;
    }
  }

  async #serverPlan(): Promise<{ type: PbBatchTypeValue; messages: PbMessage[] } | null> {
    switch (this.#state) {
      case PbState.INIT:
        return { type: PbBatchType.SDATA, messages: this.#takeFitting() };
      case PbState.SERVER_WORKING: {
        if (this.#retryRequested) {
          this.#retryRequested = false;
          this.#retryHandshake = true;
          // PA replies of the abandoned handshake are dropped; a pending mutual-capability echo still goes out.
          const keep = this.#take().filter((m) => m.kind === 'mutual-capability');
          return { type: PbBatchType.SRETRY, messages: keep };
        }
        if (!this.#decision && this.#pending.length === 0 && this.#lastCdataEmpty) {
          this.#decision = await this.#opts.server!.solicitRecommendation();
        }
        const d = this.#decision;
        if (!d) return { type: PbBatchType.SDATA, messages: this.#takeFitting() };
        const verdict: PbMessage[] = [
          { kind: 'assessment-result', result: d.assessment },
          { kind: 'access-recommendation', recommendation: d.recommendation },
        ];
        for (const r of d.reasons ?? [])
          verdict.push({ kind: 'reason-string', reason: r.reason, language: r.language });
        for (const p of d.remediation ?? []) verdict.push({ kind: 'remediation-parameters', parameters: p });
        // PA messages that do not fit beside the verdict go first in SDATA; RESULT follows once they are out.
        if (this.#fitting(verdict) < this.#pending.length) {
          return { type: PbBatchType.SDATA, messages: this.#takeFitting() };
        }
        const messages = [...this.#take(), ...verdict];
        publish('tnc:recommendation', {
          connection: this.#opts.name ?? '',
          recommendation: RecommendationName.get(d.recommendation) ?? String(d.recommendation),
          reasons: (d.reasons ?? []).map((r) => r.reason),
        });
        return { type: PbBatchType.RESULT, messages };
      }
      case PbState.CLIENT_WORKING:
      case PbState.DECIDED:
      case PbState.END:
        return null;
    }
  }

  #take(): PbMessage[] {
    const m = this.#pending;
    this.#pending = [];
    return m;
  }

  /** How many pending messages, from the first, fit in one batch together with `trailer`. */
  #fitting(trailer: readonly PbMessage[] = []): number {
    let size = PB_BATCH_HEADER_SIZE;
    for (const m of trailer) size += encodedMessageSize(m);
    let n = 0;
    for (const m of this.#pending) {
      size += encodedMessageSize(m);
      if (size > this.#maxBatch) break;
      n++;
    }
    return n;
  }

  /**
   * The pending messages that fit in one batch, in order; the rest stays pending for the next one. A first message
   * too large for any batch is taken alone (encoding it then fails: the session closes with a local error).
   */
  #takeFitting(): PbMessage[] {
    const n = Math.max(1, this.#fitting());
    if (n >= this.#pending.length) return this.#take();
    const taken = this.#pending.slice(0, n);
    this.#pending = this.#pending.slice(n);
    this.#log.debug(
      'TNC',
      `PB-TNC ${this.role}: ${n} messages fit in a batch of at most ${this.#maxBatch} bytes, ${this.#pending.length} left for the next`,
    );
    return taken;
  }

  #emit(type: PbBatchTypeValue, messages: PbMessage[]): Uint8Array {
    const fromServer = this.role === 'server';
    let bytes: Uint8Array;
    try {
      bytes = encodeBatch({ type, fromServer, messages }, { maxSize: this.#maxBatch });
    } catch (e) {
      if (!(e instanceof LimitError)) throw e;
      this.#log.error('TNC', `PB-TNC ${this.role}: ${e.message}; closing with a local error`);
      const err = pbErrorWithOffset(PbErrorCode.LOCAL_ERROR, 0);
      this.sentError = err;
      type = PbBatchType.CLOSE;
      bytes = encodeBatch({ type, fromServer, messages: [err] });
    }
    const t = pbTransition(this.#state, this.role, { dir: 'send', batch: type });
    if (t.error === undefined) this.#state = t.state;
    publish('tnc:batch', { dir: 'out', type: PbBatchTypeName.get(type) ?? String(type), bytes: bytes.byteLength });
    this.#log.debug('TNC', `PB-TNC ${this.role}: sending ${PbBatchTypeName.get(type)} (${bytes.byteLength} bytes)`);
    return bytes;
  }

  #batchName(bytes: Uint8Array): string {
    const h = peekBatchHeader(bytes);
    return h ? (PbBatchTypeName.get(h.type) ?? String(h.type)) : 'short';
  }

  /** process + build: the batches to send in answer (zero or one). */
  async receive(bytes: Uint8Array): Promise<Uint8Array[]> {
    await this.process(bytes);
    const out = await this.build();
    return out ? [out] : [];
  }

  /** The first batch of the side that speaks first (client: CDATA; a mutual-mode server: SDATA). */
  async start(): Promise<Uint8Array | null> {
    return this.#state === PbState.INIT ? await this.build() : null;
  }
}
