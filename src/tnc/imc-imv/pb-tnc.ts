/**
 * One side of a TNC connection with its collectors and/or verifiers on top of PB-TNC: builds the hosts for a
 * connection and the MutualPbTnc that drives them (plain or strongSwan's half-duplex mutual mode).
 */
import { ConfigError, LimitError } from '../../common/index.ts';
import { MaxBatchSize, MutualPbTnc } from '../pb/index.ts';
import type { TncDecision, TncResult } from '../pb/index.ts';
import type { ConnectionContext, ImcModule, ImvModule, ImvVerdict } from './api.ts';
import { createTncClient } from './client.ts';
import type { TncClient } from './client.ts';
import type { HostOptions } from './host.ts';
import { createTncServer } from './server.ts';
import type { TncServer } from './server.ts';
import type { RecommendationPolicyValue } from './policy.ts';

export interface TncSideOptions extends HostOptions {
  /** Our role in the transport (PT-TLS/EAP client or server). */
  transport: 'client' | 'server';
  /** Our collectors (the peer assesses us). Required for a transport client. */
  imcs?: readonly ImcModule[];
  /** Our verifiers (we assess the peer). Required for a transport server. */
  imvs?: readonly ImvModule[];
  policy?: RecommendationPolicyValue;
  /** Offer (client) / accept (server) mutual mode; default: when both IMCs and IMVs are given. */
  mutual?: boolean;
  context: ConnectionContext;
  /** Default: PT-TLS's 2 MiB batches. PT-EAP passes MaxBatchSize.PT_EAP. */
  maxBatchSize?: number;
  languagePreference?: string;
}

/** What one side concluded after the exchange. */
export interface TncOutcome {
  /** The peer's verdict on us (our TNC client's RESULT), if we were assessed. */
  assessedBy: TncResult | undefined;
  /** Our verdict on the peer as sent, if we assessed it. */
  decision: TncDecision | undefined;
  /** Our combined verdict before mapping onto PB-TNC, with the reasons. */
  verdict: ImvVerdict | undefined;
  mutual: boolean;
  done: boolean;
}

export interface TncSide {
  readonly pb: MutualPbTnc;
  readonly client: TncClient | undefined;
  readonly server: TncServer | undefined;
  outcome(): TncOutcome;
}

export function createTncSide(opts: TncSideOptions): TncSide {
  const maxBatchSize = opts.maxBatchSize ?? MaxBatchSize.PT_TLS;
  const hostOpts: HostOptions = {
    ...(opts.registry ? { registry: opts.registry } : {}),
    ...(opts.messageIds ? { messageIds: opts.messageIds } : {}),
    ...(opts.rng ? { rng: opts.rng } : {}),
    ...(opts.firstId !== undefined ? { firstId: opts.firstId } : {}),
    // PA messages are split to fit the batches PB-TNC sends
    maxBatchSize,
  };
  const haveImcs = opts.imcs !== undefined && opts.imcs.length > 0;
  const haveImvs = opts.imvs !== undefined && opts.imvs.length > 0;
  if (opts.transport === 'client' && !haveImcs) throw new ConfigError('a TNC transport client needs at least one IMC');
  if (opts.transport === 'server' && !haveImvs) throw new ConfigError('a TNC transport server needs at least one IMV');
  const mutual = opts.mutual ?? (haveImcs && haveImvs);
  const client = haveImcs ? createTncClient({ ...hostOpts, imcs: opts.imcs!, context: opts.context }) : undefined;
  const server = haveImvs
    ? createTncServer({
        ...hostOpts,
        imvs: opts.imvs!,
        context: opts.context,
        ...(opts.policy ? { policy: opts.policy } : {}),
      })
    : undefined;
  const pb = new MutualPbTnc({
    transport: opts.transport,
    mutual,
    ...(client && (opts.transport === 'client' || mutual) ? { client } : {}),
    ...(server && (opts.transport === 'server' || mutual) ? { server } : {}),
    maxBatchSize,
    ...(opts.languagePreference !== undefined ? { languagePreference: opts.languagePreference } : {}),
    name: opts.context.id,
    log: opts.context.log,
  });
  return {
    pb,
    client,
    server,
    outcome: () => ({
      assessedBy: pb.clientResult,
      decision: pb.serverDecision,
      verdict: pb.serverDecision ? server?.final : undefined,
      mutual: pb.mutual,
      done: pb.done,
    }),
  };
}

/**
 * Runs two sides against each other in process (no transport), for tests and the in-process interop scenarios.
 * Throws if the exchange does not end within `maxBatches`.
 */
export async function runInProcess(a: TncSide, b: TncSide, maxBatches = 256): Promise<number> {
  if (a.pb.transport !== 'client' || b.pb.transport !== 'server') {
    throw new ConfigError('runInProcess needs a transport client and a transport server');
  }
  let batches = 0;
  let inFlight = await a.pb.start();
  let toServer = true;
  while (inFlight) {
    if (++batches > maxBatches)
      throw new LimitError('tnc.maxBatches', `in-process TNC exchange exceeded ${maxBatches} batches`);
    const out = await (toServer ? b : a).pb.receive(inFlight);
    inFlight = out[0] ?? null;
    toServer = !toServer;
  }
  return batches;
}
