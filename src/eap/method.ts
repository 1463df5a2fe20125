/**
 * EAP method interfaces (RFC 3748) as IKE consumes them (RFC 7296 §2.16). The IKE initiator is the EAP peer, the
 * responder the EAP authenticator. Implementations live in this folder (EAP-MD5, EAP-TTLS carrying PT-EAP).
 */

/** EAP codes (RFC 3748 §4). */
export const EapCode = { REQUEST: 1, RESPONSE: 2, SUCCESS: 3, FAILURE: 4 } as const;

/** EAP method types (IANA). */
export const EapType = { IDENTITY: 1, NOTIFICATION: 2, NAK: 3, MD5: 4, TTLS: 21, PT_EAP: 54 } as const;

export type EapOutcome = 'success' | 'failure';

/** The peer side of one EAP conversation. */
export interface EapPeer {
  /** Answers one EAP request packet (whole packet, code 1) with a response packet (code 2). */
  process(request: Uint8Array): Promise<Uint8Array>;
  /** Called with the final Success/Failure packet. */
  finish(outcome: EapOutcome): void;
  /** Master Session Key after success, if the method derives one. */
  msk(): Uint8Array | undefined;
  /**
   * Mutual attestation: our own verdict on the authenticator (our IMVs over PT-EAP), once known. EAP has no way for
   * the peer to refuse after Success, so IKE must check this and fail the SA on 'failure'.
   */
  verdict?(): EapOutcome | undefined;
}

/** The authenticator side of one EAP conversation. */
export interface EapServer {
  /** The first request (usually EAP-Identity or the method's start). */
  start(): Promise<Uint8Array>;
  /** Processes one response; returns the next request, or an outcome with the Success/Failure packet. */
  process(response: Uint8Array): Promise<{ packet: Uint8Array; outcome?: EapOutcome }>;
  msk(): Uint8Array | undefined;
  /** Identity the peer claimed in EAP-Identity, if any. */
  readonly identity?: string;
}

/** Context handed to method factories: who the IKE peer is, for logs and policy. */
export interface EapContext {
  /** Name of the connection. */
  connection: string;
  /** Our EAP identity (peer side). */
  identity?: string;
  /** IKE SA label for logs. */
  label: string;
  /**
   * Peer side: the identity the authenticator's certificate must carry (TTLS server; aaa_id or the responder's IKE
   * identity). Unset = any certificate from a trusted CA.
   */
  serverIdentity?: string;
  /**
   * Server side: the identity the peer claimed in IKE (IDi). Not authenticated by itself: the verifiers use it only
   * to find the device's history (policies' max_age), and judge the device by its attestation key.
   */
  peerIdentity?: string;
}

/** Creates method instances by name (`md5`, `ttls`...) ; injected into IKE by the daemon. */
export interface EapProvider {
  peer(method: string, ctx: EapContext): EapPeer;
  server(method: string, ctx: EapContext): EapServer;
}

// ---------------------------------------------------------------------------------------------------------------
// Method level: what one EAP method does between the framework's Identity/Nak handling and identifiers
// (src/eap/peer.ts, src/eap/server.ts). Methods see and produce only the Type-Data of their own type.

/** One authentication method on the peer side. */
export interface PeerMethod {
  readonly type: number;
  /** Answers the Type-Data of one request with the Type-Data of the response. */
  process(data: Uint8Array, identifier: number): Promise<Uint8Array>;
  finish?(outcome: EapOutcome): void;
  msk(): Uint8Array | undefined;
  /** See EapPeer.verdict. */
  verdict?(): EapOutcome | undefined;
}

/** What a server method does with one response. */
export type ServerStep = { request: Uint8Array } | { outcome: EapOutcome; reason?: string };

/** One authentication method on the authenticator side. */
export interface ServerMethod {
  readonly type: number;
  /** Type-Data of the method's first request. */
  start(): Promise<Uint8Array>;
  /** Takes the Type-Data of a response (and its identifier); returns the next request's Type-Data or the outcome. */
  process(data: Uint8Array, identifier: number): Promise<ServerStep>;
  msk(): Uint8Array | undefined;
  /** Releases resources (TLS sockets) when the conversation ends early. */
  close?(): void;
}

/** Makes a server method once the peer's EAP identity is known. */
export type ServerMethodFactory = (peerIdentity: string | undefined) => ServerMethod;
/** Makes a peer method when the server first asks for its type. */
export type PeerMethodFactory = () => PeerMethod;
