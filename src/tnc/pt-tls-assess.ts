/**
 * PT-TLS assessments: PB-TNC (with our collectors and verifiers) as the BatchEndpoint of a PT-TLS session, for both
 * roles, one-way or in strongSwan's mutual mode, over TLS 1.2/1.3 with SASL PLAIN or client certificates.
 *
 * Ending (src/tnc/pt-tls): `done()` is true only when every PB-TNC session on the channel is finished. The transport
 * client's final batch is its TNC client's CLOSE; it gets no reply and both sides then close the TLS session.
 */
import { silentLogger } from '../common/index.ts';
import type { Logger } from '../common/index.ts';
import type { ConnectionContext, ImcModule, ImvModule, ImvVerdict, PeerIdentity } from './imc-imv/api.ts';
import type { HostOptions } from './imc-imv/host.ts';
import { createTncSide } from './imc-imv/pb-tnc.ts';
import type { TncOutcome, TncSide } from './imc-imv/pb-tnc.ts';
import type { RecommendationPolicyValue } from './imc-imv/policy.ts';
import type { MutualPbTnc } from './pb/index.ts';
import { ptTlsConnect, startPtTlsServer } from './pt-tls/index.ts';
import type {
  BatchEndpoint,
  PtTlsClientConfig,
  PtTlsClientResult,
  PtTlsPeerIdentity,
  PtTlsServer,
  PtTlsServerConfig,
  PtTlsSessionOutcome,
} from './pt-tls/index.ts';

/** PB-TNC over PT-TLS: the PT-TLS side of a MutualPbTnc. */
export function pbTncEndpoint(pb: MutualPbTnc): BatchEndpoint {
  return {
    first: () => pb.start(),
    receive: (batch) => pb.receive(batch),
    done: () => pb.done,
  };
}

function peerOf(id: PtTlsPeerIdentity): PeerIdentity {
  switch (id.method) {
    case 'certificate':
      return { method: 'certificate', subject: id.subject };
    case 'sasl-plain':
      return { method: 'sasl-plain', authcid: id.authcid, authzid: id.authzid };
    case 'none':
      return { method: 'none' };
  }
}

let connectionCounter = 0;
const nextConnectionId = (prefix: string) => `${prefix}-${++connectionCounter}`;

export interface AssessmentServerConfig extends Omit<PtTlsServerConfig, 'endpointFor' | 'onSessionEnd'>, HostOptions {
  imvs: readonly ImvModule[];
  /** Our collectors, for mutual mode (the client assesses us too). */
  imcs?: readonly ImcModule[];
  policy?: RecommendationPolicyValue;
  /** Accept mutual mode when the client offers it (default: when IMCs are given). */
  mutual?: boolean;
  /** Called when a session ends, with what PB-TNC concluded (undefined if it never got that far). */
  onAssessment?: (a: {
    connection: string;
    peer: PeerIdentity | undefined;
    outcome: TncOutcome | undefined;
    /** Each of our verifiers' verdict on the client (empty if PB-TNC never started). */
    verdicts: { imv: string; verdict: ImvVerdict | undefined }[];
    session: PtTlsSessionOutcome;
  }) => void;
}

export interface AssessmentServer extends PtTlsServer {
  /** TNC connections whose PB-TNC exchange is under way. */
  readonly active: number;
}

/** A PT-TLS server that assesses every client with `imvs` (and lets mutual clients assess it with `imcs`). */
export async function startAssessmentServer(config: AssessmentServerConfig): Promise<AssessmentServer> {
  const log: Logger = config.log ?? silentLogger;
  const byRemote = new Map<string, { id: string; side: TncSide; peer: PeerIdentity }>();
  const server = await startPtTlsServer({
    ...config,
    endpointFor(info) {
      const id = nextConnectionId('pt-tls');
      const context: ConnectionContext = {
        id,
        peer: peerOf(info.identity),
        transport: 'pt-tls',
        details: info.transport,
        log,
      };
      const side = createTncSide({
        ...config,
        transport: 'server',
        context,
      });
      byRemote.set(String(info.transport.remote ?? id), { id, side, peer: context.peer });
      return pbTncEndpoint(side.pb);
    },
    onSessionEnd(session) {
      const entry = byRemote.get(session.remote);
      byRemote.delete(session.remote);
      const outcome = entry?.side.outcome();
      if (!session.ok) log.info('TNC', `PT-TLS assessment of ${session.remote} failed: ${session.error.message}`);
      config.onAssessment?.({
        connection: entry?.id ?? session.remote,
        peer: entry?.peer,
        outcome,
        verdicts: entry?.side.server?.verdicts() ?? [],
        session,
      });
    },
  });
  return {
    host: server.host,
    port: server.port,
    get connections() {
      return server.connections;
    },
    get active() {
      return byRemote.size;
    },
    close: () => server.close(),
  };
}

export interface AssessClientConfig extends Omit<PtTlsClientConfig, 'endpoint'>, HostOptions {
  imcs: readonly ImcModule[];
  /** Our verifiers, for mutual mode (we assess the server too). */
  imvs?: readonly ImvModule[];
  policy?: RecommendationPolicyValue;
  /** Offer mutual mode (default: when IMVs are given). */
  mutual?: boolean;
  languagePreference?: string;
}

export interface AssessClientResult {
  outcome: TncOutcome;
  session: PtTlsClientResult;
  connection: string;
}

/** Connects to a PT-TLS server and lets it assess us (and, in mutual mode, assesses it). */
export async function ptTlsAssess(config: AssessClientConfig): Promise<AssessClientResult> {
  const log: Logger = config.log ?? silentLogger;
  const id = nextConnectionId('pt-tls-client');
  const side = createTncSide({
    ...config,
    transport: 'client',
    context: {
      id,
      peer: { method: 'certificate', subject: config.servername ?? config.host },
      transport: 'pt-tls',
      log,
    },
  });
  const session = await ptTlsConnect({ ...config, endpoint: pbTncEndpoint(side.pb) });
  return { outcome: side.outcome(), session, connection: id };
}
