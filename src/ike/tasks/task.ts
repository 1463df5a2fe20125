/**
 * IKE as small tasks (STYLE practice 7, after charon): each task contributes payloads to one exchange and reads the
 * answer. An initiator task builds a request and processes the response; a responder task processes the request and
 * builds the response. A task that needs another exchange of the same type (EAP rounds, RFC 4739 rounds, a COOKIE
 * or INVALID_KE retry) returns `again`.
 */
import type { Clock } from '../../common/clock.ts';
import { ProtocolError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import type { Rng } from '../../common/rng.ts';
import { selectProposal, type SelectedProposal } from '../../crypto/index.ts';
import type { Transform } from '../../crypto/types.ts';
import type { EapProvider } from '../../eap/method.ts';
import type { CredentialStore, IkeConnection } from '../config.ts';
import type { DataPlane } from '../dataplane.ts';
import type { IkeMessage, NotifyPayload, Payload, SaPayload } from '../payloads/types.ts';
import { NotifyType, PayloadType } from '../payloads/types.ts';
import type { ChildSa } from '../sa/child-sa.ts';
import type { IkeSa } from '../sa/ike-sa.ts';

export type TaskStatus = 'done' | 'again';

/** Verdict of the authorization hook run after the peer authenticated (attestation enforcement plugs in here). */
export interface Authorization {
  decision: 'allow' | 'isolate' | 'deny';
  reasons: string[];
  /** For `isolate`: the remote traffic selectors the peer is confined to. */
  isolateTs?: string[];
}

/** What tasks may use; provided by the engine. */
export interface IkeServices {
  rng: Rng;
  clock: Clock;
  log: Logger;
  dataplane: DataPlane;
  creds: CredentialStore;
  eap?: EapProvider;
  /** Connections to choose from as responder. */
  connections(): IkeConnection[];
  /** Called once all authentication rounds have completed, before any CHILD_SA is installed. */
  authorize?(sa: IkeSa): Promise<Authorization>;
}

/** Engine operations tasks may trigger. */
export interface TaskEngine {
  /** Queue a group of tasks as one exchange on this SA (initiator side). */
  queue(sa: IkeSa, group: Task[]): void;
  /** Register a new IKE SA that replaced `old` in a rekey. */
  adoptRekeyed(old: IkeSa, fresh: IkeSa): void;
  /** Child SA installed / removed: timers and bookkeeping. */
  childInstalled(sa: IkeSa, child: ChildSa): void;
  childRemoved(sa: IkeSa, child: ChildSa): void;
  /** Destroys the SA after the current exchange completes. */
  destroyLater(sa: IkeSa, reason: string): void;
  /** Allocate a fresh, unused local IKE SPI. */
  newSpi(): bigint;
}

export interface TaskContext {
  sa: IkeSa;
  svc: IkeServices;
  engine: TaskEngine;
  /** Raw bytes of the message being processed (first fragment's header for reassembled ones). */
  raw?: Uint8Array;
}

export interface Task {
  readonly name: string;
  readonly exchange: number;
  /** Initiator: add payloads to the request. Responder: add payloads to the response (return `again` to stay). */
  build(ctx: TaskContext, out: Payload[]): Promise<TaskStatus | void> | TaskStatus | void;
  /** Initiator: read the response (return `again` for another exchange). Responder: read the request. */
  process(ctx: TaskContext, msg: IkeMessage): Promise<TaskStatus | void> | TaskStatus | void;
  /** Called when the exchange failed (error notify, timeout, SA destroyed). */
  failed?(ctx: TaskContext, reason: string): void;
}

export function notifyPayload(
  notifyType: number,
  data: Uint8Array = new Uint8Array(0),
  protocol = 0,
  spi: Uint8Array = new Uint8Array(0),
): NotifyPayload {
  return { type: PayloadType.NOTIFY, protocol, spi, notifyType, data };
}

/**
 * The responder's SA payload in answer to our offer (RFC 7296 §2.7, §3.3): exactly one proposal, one we offered,
 * whose SPI has the size the exchange needs (4 for a CHILD_SA, 8 for an IKE_SA rekey; not checked when undefined,
 * as in IKE_SA_INIT). NO_PROPOSAL_CHOSEN otherwise.
 */
export function acceptedProposal(
  sa: SaPayload,
  offered: readonly Transform[][],
  spiSize: number | undefined,
  what: string,
): { chosen: SelectedProposal; spi: Uint8Array } {
  const refuse = (why: string): never => {
    throw new ProtocolError('IKE', NotifyType.NO_PROPOSAL_CHOSEN, `${what}: ${why}`);
  };
  const only = sa.proposals.length === 1 ? sa.proposals[0] : undefined;
  if (!only) return refuse(`peer must choose exactly one proposal, not ${sa.proposals.length}`);
  const chosen = selectProposal([only], offered) ?? refuse('peer chose a proposal we did not offer');
  if (spiSize !== undefined && only.spi.byteLength !== spiSize) {
    refuse(`SPI of ${only.spi.byteLength} bytes instead of ${spiSize}`);
  }
  return { chosen, spi: only.spi };
}

/**
 * The responder's pick from the initiator's SA payload (RFC 7296 §2.7): among the proposals for `protocol` whose SPI
 * has `spiSize` bytes (any size when undefined, as in IKE_SA_INIT), the first of ours one of them allows. Returns it
 * with that proposal's SPI; NO_PROPOSAL_CHOSEN when there is none.
 */
export function chooseProposal(
  sa: SaPayload,
  ours: readonly Transform[][],
  protocol: number,
  spiSize: number | undefined,
  what: string,
): { chosen: SelectedProposal; spi: Uint8Array } {
  const offers = sa.proposals.filter(
    (p) => p.protocol === protocol && (spiSize === undefined || p.spi.byteLength === spiSize),
  );
  const chosen = selectProposal(offers, ours, { preferOurs: true });
  const offer = chosen && offers.find((p) => p.num === chosen.num);
  if (!chosen || !offer) throw new ProtocolError('IKE', NotifyType.NO_PROPOSAL_CHOSEN, `no acceptable ${what}`);
  return { chosen, spi: offer.spi };
}

/** u16 big-endian bytes. */
export function u16(v: number): Uint8Array {
  return new Uint8Array([(v >>> 8) & 0xff, v & 0xff]);
}

/** u32 big-endian bytes. */
export function u32(v: number): Uint8Array {
  return new Uint8Array([(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
}

export function readU32(b: Uint8Array): number {
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

export function readU16(b: Uint8Array): number {
  return (b[0]! << 8) | b[1]!;
}
