/**
 * Mutual PB-TNC (strongSwan's half-duplex mode, tnccs_20.c): each side runs a TNC client (its IMCs, assessed by
 * the peer) and a TNC server (its IMVs, assessing the peer) over one transport channel; the D bit of each batch
 * (set = sent by a TNC server) tells which of the two sessions it belongs to.
 *
 * - The transport client (EAP peer, PT-TLS client) offers PB-Mutual-Capability (0x80000000) in its first CDATA;
 *   a mutual transport server echoes it in its first batch. Without the echo both sides stay in plain mode.
 * - The transport server always answers in the session of the batch it received; its TNC client is created by the
 *   first D=1 batch (the peer's TNC server may open with an empty SDATA).
 * - The transport client, after processing a batch of one session, answers in the other unless that one is
 *   finished (its client Decided, or its server at End); once its client is Decided and its server at End it sends
 *   the final CLOSE of its client session.
 *
 *   transport client (A)                                transport server (B)
 *   A.client CDATA [Mutual-Capability, PA]  D=0  ->     B.server
 *                                           D=1  <-     B.server RESULT/SDATA [Mutual-Capability, ...]
 *   A.server SDATA (may be empty)           D=1  ->     B.client (created)
 *                                           D=0  <-     B.client CDATA [PA]
 *   ... alternating until both servers have sent RESULT and both clients CLOSE.
 */
import { ConfigError, silentLogger } from '../../common/index.ts';
import type { Logger } from '../../common/index.ts';
import { peekBatchHeader } from './batch.ts';
import { PbTncSession } from './session.ts';
import type { TncClientHandler, TncDecision, TncResult, TncServerHandler } from './session.ts';
import { PbState } from './state.ts';

export interface MutualPbTncOptions {
  /** Our role in the transport (PT-TLS / EAP). */
  transport: 'client' | 'server';
  /** Offer (transport client) or accept (transport server) mutual mode; default true when both handlers exist. */
  mutual?: boolean;
  /** Our IMC side (needed by a transport client, and by a mutual transport server). */
  client?: TncClientHandler;
  /** Our IMV side (needed by a transport server, and by a mutual transport client). */
  server?: TncServerHandler;
  maxBatchSize?: number;
  /** Language preference sent by our TNC client in its first CDATA (none if unset). */
  languagePreference?: string;
  name?: string;
  log?: Logger;
}

export class MutualPbTnc {
  readonly transport: 'client' | 'server';
  readonly #opts: MutualPbTncOptions;
  readonly #log: Logger;
  #client: PbTncSession | undefined;
  #server: PbTncSession | undefined;
  #mutual = false;

  constructor(opts: MutualPbTncOptions) {
    this.transport = opts.transport;
    this.#opts = opts;
    this.#log = opts.log ?? silentLogger;
    const wantMutual = opts.mutual ?? (opts.client !== undefined && opts.server !== undefined);
    if (opts.transport === 'client') {
      if (!opts.client) throw new ConfigError('a PB-TNC transport client needs a TNC client handler');
      if (wantMutual && !opts.server) throw new ConfigError('mutual PB-TNC needs a TNC server handler too');
      this.#client = this.#newSession('client', wantMutual);
    } else {
      if (!opts.server) throw new ConfigError('a PB-TNC transport server needs a TNC server handler');
      if (wantMutual && !opts.client) throw new ConfigError('mutual PB-TNC needs a TNC client handler too');
      this.#server = this.#newSession('server', wantMutual);
    }
  }

  #newSession(role: 'client' | 'server', mutual: boolean): PbTncSession {
    const o = this.#opts;
    return new PbTncSession({
      role,
      ...(role === 'client' ? { client: o.client } : { server: o.server }),
      ...(o.maxBatchSize !== undefined ? { maxBatchSize: o.maxBatchSize } : {}),
      ...(o.languagePreference !== undefined ? { languagePreference: o.languagePreference } : {}),
      ...(o.name !== undefined ? { name: o.name } : {}),
      offerMutual: role === 'client' && mutual,
      acceptMutual: role === 'server' && mutual,
      log: this.#log,
    });
  }

  /** True once the peer confirmed (or offered) half-duplex mutual mode. */
  get mutual(): boolean {
    return this.#mutual;
  }
  /** Our TNC client's session (the peer assesses us). */
  get clientSession(): PbTncSession | undefined {
    return this.#client;
  }
  /** Our TNC server's session (we assess the peer). */
  get serverSession(): PbTncSession | undefined {
    return this.#server;
  }
  /** The peer's verdict on us. */
  get clientResult(): TncResult | undefined {
    return this.#client?.result;
  }
  /** Our verdict on the peer. */
  get serverDecision(): TncDecision | undefined {
    return this.#server?.decision;
  }
  /** Every session that runs has reached End. */
  get done(): boolean {
    const primary = this.transport === 'client' ? this.#client : this.#server;
    const secondary = this.transport === 'client' ? this.#server : this.#client;
    if (!primary?.done) return false;
    return !this.#mutual || (secondary?.done ?? false);
  }

  /** Transport client: the first batch (CDATA). A transport server speaks only when spoken to: null. */
  async start(): Promise<Uint8Array | null> {
    return this.transport === 'client' ? await this.#client!.start() : null;
  }

  #clientSession(): PbTncSession {
    this.#client ??= this.#newSession('client', false);
    return this.#client;
  }
  #serverSession(): PbTncSession {
    this.#server ??= this.#newSession('server', false);
    return this.#server;
  }

  /** Takes one batch from the peer; returns the batches to send (zero or one). */
  receive(bytes: Uint8Array): Promise<Uint8Array[]> {
    return this.transport === 'client' ? this.#receiveAsTransportClient(bytes) : this.#receiveAsTransportServer(bytes);
  }

  async #receiveAsTransportServer(bytes: Uint8Array): Promise<Uint8Array[]> {
    const server = this.#server!;
    const toOurClient = this.#mutual && (peekBatchHeader(bytes)?.fromServer ?? false);
    const s = toOurClient ? this.#clientSession() : server;
    await s.process(bytes);
    if (!this.#mutual && server.peerMutual) {
      this.#mutual = true;
      this.#log.info('TNC', 'mutual PB-TNC half duplex activated');
    }
    const out = await s.build();
    return out ? [out] : [];
  }

  async #receiveAsTransportClient(bytes: Uint8Array): Promise<Uint8Array[]> {
    const client = this.#client!;
    const toOurClient = !this.#mutual || (peekBatchHeader(bytes)?.fromServer ?? true);
    const s = toOurClient ? client : this.#serverSession();
    await s.process(bytes);
    if (!this.#mutual && client.peerMutual) {
      this.#mutual = true;
      this.#log.info('TNC', 'mutual PB-TNC half duplex activated');
    }
    if (!this.#mutual || s.failing) {
      const out = await s.build();
      return out ? [out] : [];
    }
    const cs = client.state;
    const ss = this.#server?.state ?? PbState.INIT;
    let answerInClient = toOurClient;
    if ((!answerInClient && cs !== PbState.DECIDED) || (answerInClient && ss !== PbState.END)) {
      answerInClient = !answerInClient;
    } else if (cs === PbState.DECIDED && ss === PbState.END) {
      answerInClient = true;
    }
    const first = answerInClient ? client : this.#serverSession();
    const other = answerInClient ? this.#server : client;
    const out = (await first.build()) ?? (await other?.build()) ?? null;
    return out ? [out] : [];
  }
}
