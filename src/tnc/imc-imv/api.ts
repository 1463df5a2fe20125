/**
 * The IMC/IMV plugin API, modelled on TCG IF-IMC 1.3 and IF-IMV 1.4 but in TypeScript terms: a collector (IMC) or
 * verifier (IMV) is a module that subscribes to PA message types (vendor, subtype) and, per connection, returns the
 * PA-TNC attributes it wants to send instead of calling TNC_TNCC_SendMessage. The host (client.ts, server.ts)
 * decodes and encodes PA-TNC messages, answers malformed ones with PA-TNC Errors, assigns collector/validator ids,
 * routes by the exclusive flag and ids (RFC 5793 §4.5), and combines the verifiers' verdicts by a policy.
 *
 * Every connection method may return its answer or a Promise of it (a TPM quote or a file walk is asynchronous);
 * the hosts await it. Nothing here knows the transport: the hosts implement the PB-TNC handler interfaces of src/tnc/pb, which run over
 * PT-TLS (pt-tls-assess.ts) or PT-EAP alike.
 */
import type { Logger } from '../../common/index.ts';
import type { PaAttribute, PaAttributeCodec } from '../pa/index.ts';
import type { ActionRecommendationValue, AssessmentResultValue, TncResult } from '../pb/index.ts';

/** IF-IMC/IF-IMV wildcards for subscriptions (IF-IMC 1.3 long types: TNC_VENDORID_ANY, TNC_SUBTYPE_ANY). */
export const ANY_VENDOR = 0xffffff;
export const ANY_SUBTYPE = 0xffffffff;

/** A PA message type: vendor (SMI PEN) and PA subtype. */
export interface PaMessageType {
  vendor: number;
  subtype: number;
}

/** Who the peer is, as far as the transport established it. */
export type PeerIdentity =
  | { method: 'certificate'; subject: string }
  | { method: 'sasl-plain'; authcid: string; authzid: string }
  | { method: 'eap'; identity: string }
  | { method: 'none' };

/** What a collector or verifier knows about the connection it works on (IF-IMC/IF-IMV connection attributes). */
export interface ConnectionContext {
  /** Unique per TNC connection within this process (IF-IMC TNC_ConnectionID). */
  id: string;
  peer: PeerIdentity;
  /** 'pt-tls', 'pt-eap', 'in-process', ... */
  transport: string;
  /** Transport facts (remote address, TLS version), for logs and policy. */
  details?: Record<string, string | number | boolean>;
  log: Logger;
}

/** A received PA-TNC message, decoded, as handed to an IMC or IMV. */
export interface IncomingPa {
  vendor: number;
  subtype: number;
  messageId: number;
  attributes: PaAttribute[];
  exclusive: boolean;
  /** The sender's id (IMV id for an IMC, IMC id for an IMV). */
  sourceId: number;
  /** The receiver's id as addressed (0xFFFF when addressed to any). */
  destinationId: number;
}

/** A PA-TNC message to send. Without `to` it goes to any subscriber (id 0xFFFF, E clear); with `to`, exclusively. */
export interface OutgoingPa {
  vendor: number;
  subtype: number;
  attributes: PaAttribute[];
  /** The peer IMC/IMV id to address exclusively (E set), usually `msg.sourceId` of the message answered. */
  to?: number;
}

/** One collector on one connection (IF-IMC 1.3: BeginHandshake, ReceiveMessage, NotifyConnectionChange). */
export interface ImcConnection {
  /** A handshake starts (again after a retry): the messages to send unprompted. */
  beginHandshake(): OutgoingPa[] | Promise<OutgoingPa[]>;
  /** One message of a subscribed type: the replies. */
  receive(msg: IncomingPa): OutgoingPa[] | Promise<OutgoingPa[]>;
  /** The server's verdict; return 'retry' to ask for a new handshake (TNC_TNCC_RequestHandshakeRetry). */
  result?(result: TncResult): 'retry' | void | Promise<'retry' | void>;
}

/** A collector or verifier module: its name, the types it receives, and a factory per connection. */
export interface PaModule<Connection> {
  readonly name: string;
  readonly subscriptions: readonly PaMessageType[];
  /** Attribute codecs the module needs beyond the host's registry (e.g. the TCG PTS attributes); the host adds them. */
  readonly attributeCodecs?: readonly PaAttributeCodec<PaAttribute>[];
  connect(ctx: ConnectionContext): Connection;
}

/** A collector module. */
export type ImcModule = PaModule<ImcConnection>;

/** An IMV's action recommendation and evaluation (IF-IMV 1.4 TNC_TNCS_ProvideRecommendation) with its reasons. */
export interface ImvVerdict {
  recommendation: ActionRecommendationValue;
  evaluation: AssessmentResultValue;
  /** Human-readable reasons (IF-IMV TNC_ATTRIBUTEID_REASON_STRING), one per finding. */
  reasons: string[];
  /** The device the verdict is about, when the verifier identified it (AIK key id, hex). */
  device?: string;
}

export interface ImvReply {
  reply: OutgoingPa[];
  /** Set once the verifier has decided (TNC_TNCS_ProvideRecommendation). */
  verdict?: ImvVerdict;
  /** Ask for a new handshake (TNC_TNCS_RequestHandshakeRetry). */
  retry?: boolean;
}

/** One verifier on one connection (IF-IMV 1.4: BeginHandshake, ReceiveMessage, SolicitRecommendation). */
export interface ImvConnection {
  /** A handshake starts: messages the verifier sends unprompted (e.g. an Attribute Request). */
  beginHandshake(): OutgoingPa[] | Promise<OutgoingPa[]>;
  /** One message of a subscribed type. */
  receive(msg: IncomingPa): ImvReply | Promise<ImvReply>;
  /** The client has nothing more to say: a verdict is due now. */
  solicitRecommendation(): ImvVerdict | Promise<ImvVerdict>;
}

/** A verifier module. */
export type ImvModule = PaModule<ImvConnection>;

/** What a module file loaded by path exports (built-ins export the same). */
export interface ImcModuleFile {
  createImc(config: Record<string, unknown>): ImcModule;
}
export interface ImvModuleFile {
  createImv(config: Record<string, unknown>): ImvModule;
}
