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
}

/** Creates method instances by name (`md5`, `ttls`...) ; injected into IKE by the daemon. */
export interface EapProvider {
  peer(method: string, ctx: EapContext): EapPeer;
  server(method: string, ctx: EapContext): EapServer;
}
