/**
 * PT-TLS protocol logic for both roles (RFC 6876 §3.2 phases: negotiation, client authentication, data transport),
 * as straight-line async code over a PtTlsChannel (STYLE practice 7). No sockets here: tls.ts adapts node:tls,
 * channel.ts has an in-memory pair.
 *
 *   client                                   server
 *   Version Request (min, max, pref)   →
 *                                      ←     Version Response (1)          or PT-TLS Error Version Not Supported
 *                                      ←     SASL Mechanisms [PLAIN]       or [] when TLS authenticated the client
 *   SASL Mechanism Selection PLAIN
 *     + authzid NUL authcid NUL passwd →
 *                                      ←     SASL Result Success           (Abort ends the session)
 *                                      ←     SASL Mechanisms []            = authentication complete
 *   PB-TNC Batch                       →
 *                                      ←     PB-TNC Batch ...  until both BatchEndpoints are done, then TLS close
 *
 * Message identifiers increase by one per message per sender. A message of an unknown type is answered with
 * Type Not Supported and skipped; a known type out of order is answered with Invalid Message and ends the session;
 * a malformed message with Malformed Message. Every failure path sends the PT-TLS Error it maps to (if any), closes
 * the channel and rejects with a declared error.
 */
import { utf8, wipe } from '../../common/bytes.ts';
import { AttestdError, ConfigError, LimitError, StateError, VerifyError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import { silentLogger } from '../../common/log.ts';
import { nameOf } from '../../common/names.ts';
import type { PtTlsChannel } from './channel.ts';
import {
  IETF_PEN,
  PT_TLS_VERSION,
  PtTlsErrorCode,
  PtTlsErrorCodeName,
  SaslResult,
  SaslResultName,
} from './constants.ts';
import { PtTlsError } from './errors.ts';
import { decodePtTlsMessage, encodePtTlsMessage } from './messages.ts';
import type { KnownPtTlsValue, PtTlsValue } from './messages.ts';
import type { SaslResultForm } from './sasl-result.ts';

/** The PB-TNC layer as PT-TLS sees it: opaque batches in, opaque batches out. */
export interface BatchEndpoint {
  /** Client only: the batch that opens the exchange, or null to wait for the server. */
  first?(): Uint8Array | null | Promise<Uint8Array | null>;
  /** Processes one received batch; returns the batches to send in answer (one for half-duplex PB-TNC, or none). */
  receive(batch: Uint8Array): Uint8Array[] | Promise<Uint8Array[]>;
  /** True once this side's PB-TNC conversation is over; with no batch pending, the session then closes. */
  done(): boolean;
}

/** SASL PLAIN credentials (RFC 4616). */
export interface PlainCredentials {
  /** Authorization identity; empty or absent = same as authcid. */
  authzid?: string;
  /** Authentication identity. */
  authcid: string;
  password: string;
}

/** How the server knows who the client is. */
export type PtTlsPeerIdentity =
  | { method: 'certificate'; subject: string }
  | { method: 'sasl-plain'; authzid: string; authcid: string }
  | { method: 'none' };

/** What the server tells `endpointFor` about an authenticated session. */
export interface PtTlsSessionInfo {
  identity: PtTlsPeerIdentity;
  version: number;
  /** Transport facts from the adapter (remote address, TLS version, cipher), for logs and policy. */
  transport: Record<string, string | number | boolean>;
}

export interface PtTlsSessionSummary {
  identity: PtTlsPeerIdentity;
  batchesSent: number;
  batchesReceived: number;
}

/** Client authentication policy, as strongSwan's pt_tls_auth_t. */
export type PtTlsClientAuth = 'tls-or-sasl' | 'tls' | 'sasl' | 'none';

interface CommonOptions {
  /** Identifier of our first message (default 0; strongSwan starts at 0). */
  firstIdentifier?: number;
  /** Most PB-TNC batches per session, both directions together (default 4096). */
  maxBatches?: number;
  log?: Logger;
}

export interface PtTlsServerOptions extends CommonOptions {
  /** What the TLS layer established about the client certificate. */
  tlsClient: { verified: boolean; subject?: string };
  /** Default 'tls-or-sasl': a verified client certificate skips SASL, else SASL PLAIN. */
  clientAuth?: PtTlsClientAuth;
  /** Checks SASL PLAIN credentials (required unless clientAuth is 'tls' or 'none'). */
  authenticate?: (authzid: string, authcid: string, password: string) => boolean | Promise<boolean>;
  /** The PB-TNC endpoint for an authenticated session. */
  endpointFor: (session: PtTlsSessionInfo) => BatchEndpoint | Promise<BatchEndpoint>;
  /** Wire form of SASL Result (default 'octet', the form strongSwan's client reads correctly; see sasl-result.ts). */
  saslResultForm?: SaslResultForm;
  /** Passed through to PtTlsSessionInfo.transport. */
  transport?: Record<string, string | number | boolean>;
}

export interface PtTlsClientOptions extends CommonOptions {
  endpoint: BatchEndpoint;
  /** SASL PLAIN credentials, used if the server offers PLAIN. */
  credentials?: PlainCredentials;
  /** Versions offered (default 1, 1, 1). */
  versions?: { min: number; max: number; preferred: number };
  /** Most SASL rounds before giving up (default 4). */
  maxSaslRounds?: number;
}

const DEFAULT_MAX_BATCHES = 4096;
/** Most messages of unknown type plus non-fatal PT-TLS Errors accepted in one session. */
const MAX_SKIPPED = 16;

type Kind = KnownPtTlsValue['kind'];
type OfKind<K extends Kind> = Extract<KnownPtTlsValue, { kind: K }>;

/** One side of a PT-TLS session: identifiers, logging, reading with the rules that hold in every phase. */
class Conversation {
  readonly ch: PtTlsChannel;
  readonly log: Logger;
  readonly role: 'client' | 'server';
  #next: number;
  #skipped = 0;

  constructor(ch: PtTlsChannel, role: 'client' | 'server', opts: CommonOptions) {
    this.ch = ch;
    this.role = role;
    this.log = opts.log ?? silentLogger;
    this.#next = (opts.firstIdentifier ?? 0) >>> 0;
  }

  /**
   * Sends one message with the next identifier. A `secret` message (SASL credentials) is never dumped and is
   * wiped once written.
   */
  async send(v: PtTlsValue, secret = false): Promise<void> {
    const id = this.#next;
    this.#next = (this.#next + 1) >>> 0;
    const bytes = encodePtTlsMessage(id, v);
    this.log.debug('TNC', `PT-TLS ${this.role} sends ${v.kind}`, { id, bytes: bytes.byteLength });
    if (!secret) this.log.dump('TNC', `PT-TLS ${v.kind}`, bytes);
    try {
      await this.ch.write(bytes);
    } finally {
      if (secret) wipe(bytes);
    }
  }

  /**
   * The next message of a known type, or null at the peer's clean close. Unknown types are answered with Type
   * Not Supported and skipped; a PT-TLS Error from the peer ends the session unless it is Reserved or Type Not
   * Supported (both non-fatal, §3.9.1).
   */
  async next(): Promise<{ raw: Uint8Array; value: KnownPtTlsValue } | null> {
    for (;;) {
      const raw = await this.ch.read();
      if (raw === null) return null;
      const { header, value } = decodePtTlsMessage(raw);
      this.log.debug('TNC', `PT-TLS ${this.role} received ${value.kind}`, {
        id: header.identifier,
        bytes: raw.byteLength,
      });
      if (value.kind === 'Unknown' || value.kind === 'PtTlsError') {
        // Skipped messages do not advance the session: cap them so a peer cannot keep it busy with them.
        if (++this.#skipped > MAX_SKIPPED) {
          throw new LimitError('pt-tls.skippedMessages', `more than ${MAX_SKIPPED} unknown types or non-fatal errors`);
        }
      }
      if (value.kind === 'Unknown') {
        this.log.info('TNC', 'PT-TLS message type not supported', { vendor: value.vendor, type: value.type });
        await this.sendError(new PtTlsError(PtTlsErrorCode.TYPE_NOT_SUPPORTED, 'unknown message type', raw));
        continue;
      }
      if (value.kind === 'PtTlsError') {
        const name = nameOf(PtTlsErrorCodeName, value.code);
        if (
          value.vendor === IETF_PEN &&
          (value.code === PtTlsErrorCode.RESERVED || value.code === PtTlsErrorCode.TYPE_NOT_SUPPORTED)
        ) {
          this.log.info('TNC', `PT-TLS peer reported ${name}; going on`);
          continue;
        }
        throw new PtTlsError(value.code, `reported by the peer (vendor ${value.vendor})`, value.original, true);
      }
      return { raw, value };
    }
  }

  /** The next message, which must be one of `kinds`; anything else known is an Invalid Message. */
  async expect<K extends Kind>(kinds: readonly K[], phase: string): Promise<{ raw: Uint8Array; value: OfKind<K> }> {
    const m = await this.next();
    if (m === null) throw new StateError(`PT-TLS peer closed the session during ${phase}`);
    if (!(kinds as readonly string[]).includes(m.value.kind)) {
      throw new PtTlsError(PtTlsErrorCode.INVALID_MESSAGE, `${m.value.kind} during ${phase}`, m.raw);
    }
    return m as { raw: Uint8Array; value: OfKind<K> };
  }

  async sendError(e: PtTlsError): Promise<void> {
    await this.send({ kind: 'PtTlsError', vendor: IETF_PEN, code: e.wireCode, original: e.data ?? new Uint8Array(0) });
  }

  /** Runs a session body: on failure, sends the PT-TLS Error the failure maps to, closes, rethrows (declared). */
  async guard<T>(body: () => Promise<T>): Promise<T> {
    try {
      const out = await body();
      await this.ch.close();
      return out;
    } catch (e) {
      const err = declared(e);
      const answer = wireAnswer(err);
      if (answer) {
        this.log.info('TNC', `PT-TLS ${this.role} sends error ${nameOf(PtTlsErrorCodeName, answer.wireCode)}`, {
          reason: err.message,
        });
        await this.sendError(answer).catch(() => undefined);
      } else {
        this.log.info('TNC', `PT-TLS ${this.role} session failed`, { reason: err.message });
      }
      await this.ch.close().catch(() => undefined);
      throw err;
    }
  }
}

/** Errors from injected callbacks that are not ours become StateErrors (the cause is kept). */
function declared(e: unknown): AttestdError {
  if (e instanceof AttestdError) return e;
  return new StateError(`PT-TLS session failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

/** The PT-TLS Error to send for a failure, if any: our own PtTlsErrors, and framing limits. */
function wireAnswer(e: AttestdError): PtTlsError | undefined {
  if (e instanceof PtTlsError) return e.remote ? undefined : e;
  if (e instanceof LimitError && e.cause instanceof PtTlsError) return e.cause;
  return undefined;
}

// ---- client ---------------------------------------------------------------------------------------------------

/** Runs the client side of a session over `ch`; resolves when the PB-TNC exchange is complete and closed. */
export function runPtTlsClient(ch: PtTlsChannel, opts: PtTlsClientOptions): Promise<PtTlsSessionSummary> {
  const conv = new Conversation(ch, 'client', opts);
  return conv.guard(async () => {
    // Negotiation phase (§3.7).
    const offer = opts.versions ?? { min: PT_TLS_VERSION, max: PT_TLS_VERSION, preferred: PT_TLS_VERSION };
    await conv.send({ kind: 'VersionRequest', ...offer });
    const { raw, value } = await conv.expect(['VersionResponse'], 'version negotiation');
    if (value.version !== PT_TLS_VERSION || value.version < offer.min || value.version > offer.max) {
      throw new PtTlsError(PtTlsErrorCode.VERSION_NOT_SUPPORTED, `server chose version ${value.version}`, raw);
    }
    // Client authentication phase (§3.8).
    const identity = await clientAuthentication(conv, opts);
    // Data transport phase.
    const counts = await exchangeBatches(conv, opts.endpoint, true, opts.maxBatches ?? DEFAULT_MAX_BATCHES);
    return { identity, ...counts };
  });
}

async function clientAuthentication(conv: Conversation, opts: PtTlsClientOptions): Promise<PtTlsPeerIdentity> {
  const rounds = opts.maxSaslRounds ?? 4;
  let identity: PtTlsPeerIdentity = { method: 'none' };
  for (let round = 0; ; round++) {
    const { raw, value } = await conv.expect(['SaslMechanisms'], 'client authentication');
    if (value.mechanisms.length === 0) return identity;
    if (round >= rounds)
      throw new LimitError('pt-tls.maxSaslRounds', `server asked for more than ${rounds} SASL rounds`);
    const creds = opts.credentials;
    if (!creds || !value.mechanisms.includes('PLAIN')) {
      throw new PtTlsError(
        PtTlsErrorCode.SASL_MECHANISM_ERROR,
        `no usable SASL mechanism among [${value.mechanisms.join(', ')}]${creds ? '' : ' (no credentials)'}`,
        raw,
      );
    }
    const initial = encodePlain(creds);
    try {
      await conv.send({ kind: 'SaslMechanismSelection', mechanism: 'PLAIN', initialData: initial }, true);
    } finally {
      wipe(initial);
    }
    const answer = await conv.expect(['SaslResult', 'SaslAuthenticationData'], 'SASL PLAIN');
    if (answer.value.kind === 'SaslAuthenticationData') {
      // PLAIN is one message from the client, sent above as initial data: a challenge makes no sense.
      throw new PtTlsError(PtTlsErrorCode.SASL_MECHANISM_ERROR, 'SASL PLAIN got a server challenge', answer.raw);
    }
    const result = answer.value.result;
    if (result !== SaslResult.SUCCESS) {
      throw new VerifyError('SASL PLAIN', `server answered ${nameOf(SaslResultName, result)} for ${creds.authcid}`);
    }
    identity = { method: 'sasl-plain', authzid: creds.authzid ?? '', authcid: creds.authcid };
  }
}

/** RFC 4616 message: [authzid] NUL authcid NUL passwd. */
export function encodePlain(c: PlainCredentials): Uint8Array {
  for (const [k, v] of [
    ['authzid', c.authzid ?? ''],
    ['authcid', c.authcid],
    ['password', c.password],
  ] as const) {
    if (v.includes('\0')) throw new ConfigError(`SASL PLAIN ${k} contains NUL`);
  }
  if (!c.authcid || !c.password) throw new ConfigError('SASL PLAIN needs a non-empty authcid and password');
  return utf8(`${c.authzid ?? ''}\0${c.authcid}\0${c.password}`);
}

/** Parses an RFC 4616 message; null if it is not exactly three NUL-separated UTF-8 fields with non-empty authcid/passwd. */
export function decodePlain(data: Uint8Array): PlainCredentials | null {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return null;
  }
  const parts = text.split('\0');
  if (parts.length !== 3) return null;
  const [authzid, authcid, password] = parts as [string, string, string];
  if (!authcid || !password || authcid.length > 255 || password.length > 255 || authzid.length > 255) return null;
  return { authzid, authcid, password };
}

// ---- server ---------------------------------------------------------------------------------------------------

/** Runs the server side of a session over `ch`; resolves when the PB-TNC exchange is complete and closed. */
export function runPtTlsServer(ch: PtTlsChannel, opts: PtTlsServerOptions): Promise<PtTlsSessionSummary> {
  const conv = new Conversation(ch, 'server', opts);
  const auth = opts.clientAuth ?? 'tls-or-sasl';
  return conv.guard(async () => {
    if ((auth === 'sasl' || auth === 'tls-or-sasl') && !opts.authenticate) {
      throw new ConfigError(`PT-TLS clientAuth ${auth} needs an authenticate callback`);
    }
    // Negotiation phase (§3.7): the client's range must contain our one version.
    const { raw, value } = await conv.expect(['VersionRequest'], 'version negotiation');
    if (value.min > PT_TLS_VERSION || value.max < PT_TLS_VERSION) {
      throw new PtTlsError(PtTlsErrorCode.VERSION_NOT_SUPPORTED, `client offers ${value.min}..${value.max}`, raw);
    }
    await conv.send({ kind: 'VersionResponse', version: PT_TLS_VERSION });
    // Client authentication phase (§3.8).
    const identity = await serverAuthentication(conv, opts, auth);
    conv.log.info('TNC', 'PT-TLS client authenticated', { method: identity.method });
    // Data transport phase.
    const endpoint = await opts.endpointFor({ identity, version: PT_TLS_VERSION, transport: opts.transport ?? {} });
    const counts = await exchangeBatches(conv, endpoint, false, opts.maxBatches ?? DEFAULT_MAX_BATCHES);
    return { identity, ...counts };
  });
}

async function serverAuthentication(
  conv: Conversation,
  opts: PtTlsServerOptions,
  auth: PtTlsClientAuth,
): Promise<PtTlsPeerIdentity> {
  const complete = () => conv.send({ kind: 'SaslMechanisms', mechanisms: [] });
  if (auth === 'none') {
    await complete();
    return { method: 'none' };
  }
  if (opts.tlsClient.verified && auth !== 'sasl') {
    await complete();
    return { method: 'certificate', subject: opts.tlsClient.subject ?? '' };
  }
  if (auth === 'tls') {
    throw new PtTlsError(PtTlsErrorCode.SASL_MECHANISM_ERROR, 'a verified TLS client certificate is required');
  }
  await conv.send({ kind: 'SaslMechanisms', mechanisms: ['PLAIN'] });
  const sel = await conv.expect(['SaslMechanismSelection'], 'client authentication');
  if (sel.value.mechanism !== 'PLAIN') {
    throw new PtTlsError(
      PtTlsErrorCode.SASL_MECHANISM_ERROR,
      `mechanism ${sel.value.mechanism} was not offered`,
      sel.raw,
    );
  }
  let data = sel.value.initialData;
  let raw = sel.raw;
  if (data.byteLength === 0) {
    // No initial response: send the empty challenge, the client answers with the PLAIN message (RFC 4422 §5).
    await conv.send({ kind: 'SaslAuthenticationData', data: new Uint8Array(0) });
    const answer = await conv.expect(['SaslAuthenticationData'], 'SASL PLAIN');
    ({ raw } = answer);
    data = answer.value.data;
  }
  const creds = decodePlain(data);
  // The password lives on only in `creds` (strings cannot be wiped).
  wipe(data, raw);
  const form = opts.saslResultForm ?? 'octet';
  const ok =
    creds !== null &&
    (await (opts.authenticate as NonNullable<PtTlsServerOptions['authenticate']>)(
      creds.authzid ?? '',
      creds.authcid,
      creds.password,
    ));
  if (!ok) {
    // Abort, as strongSwan: the client may not retry.
    await conv.send({ kind: 'SaslResult', result: SaslResult.ABORT, data: new Uint8Array(0), form });
    throw new VerifyError(
      'SASL PLAIN',
      `authentication failed${creds ? ` for ${creds.authcid}` : ' (malformed PLAIN message)'}`,
    );
  }
  await conv.send({ kind: 'SaslResult', result: SaslResult.SUCCESS, data: new Uint8Array(0), form });
  await complete();
  return { method: 'sasl-plain', authzid: creds.authzid ?? '', authcid: creds.authcid };
}

// ---- data transport -------------------------------------------------------------------------------------------

async function exchangeBatches(
  conv: Conversation,
  endpoint: BatchEndpoint,
  isClient: boolean,
  maxBatches: number,
): Promise<{ batchesSent: number; batchesReceived: number }> {
  let batchesSent = 0;
  let batchesReceived = 0;
  const count = () => {
    if (batchesSent + batchesReceived >= maxBatches) {
      throw new LimitError('pt-tls.maxBatches', `more than ${maxBatches} PB-TNC batches in one session`);
    }
  };
  const send = async (batch: Uint8Array) => {
    count();
    await conv.send({ kind: 'PbTncBatch', batch });
    batchesSent++;
  };
  if (isClient && endpoint.first) {
    const b = await endpoint.first();
    if (b) await send(b);
  }
  while (!endpoint.done()) {
    const m = await conv.next();
    if (m === null) throw new StateError('PT-TLS peer closed the session before the PB-TNC exchange was done');
    if (m.value.kind !== 'PbTncBatch') {
      throw new PtTlsError(PtTlsErrorCode.INVALID_MESSAGE, `${m.value.kind} in the data transport phase`, m.raw);
    }
    count();
    batchesReceived++;
    for (const reply of await endpoint.receive(m.value.batch)) await send(reply);
  }
  return { batchesSent, batchesReceived };
}
