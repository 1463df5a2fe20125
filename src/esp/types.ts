/**
 * The ESP data plane's own view of an SA and its events. Structurally the same as the IKE layer's data-plane
 * interface (src/ike/dataplane.ts), which this layer must not import: the daemon hands an ESP plane to IKE and
 * TypeScript's structural typing checks that the shapes agree.
 */
import type { Suite } from '../crypto/types.ts';

export interface EspEndpoint {
  address: string;
  port: number;
}

/** A traffic selector (RFC 7296 §3.13.1): an address range, an IP protocol (0 = any) and a port range. */
export interface EspSelector {
  tsType: number;
  ipProtocol: number;
  startPort: number;
  endPort: number;
  /** 4 or 16 bytes. */
  startAddr: Uint8Array;
  endAddr: Uint8Array;
}

/** Soft limits ask for a rekey, hard limits for a delete; 0 = unlimited. */
export interface EspLifetimes {
  softBytes: number;
  hardBytes: number;
  softPackets: number;
  hardPackets: number;
}

/** One CHILD_SA: an inbound and an outbound ESP SA. */
export interface EspSaConfig {
  name: string;
  id: number;
  mode: 'tunnel' | 'transport';
  spiIn: number;
  spiOut: number;
  suite: Suite;
  /** Keys by direction; encryption keys include the AEAD salt. */
  encrIn: Uint8Array;
  integIn: Uint8Array;
  encrOut: Uint8Array;
  integOut: Uint8Array;
  esn: boolean;
  localTs: EspSelector[];
  remoteTs: EspSelector[];
  local: EspEndpoint;
  remote: EspEndpoint;
  /** ESP-in-UDP (RFC 3948). */
  encap: boolean;
  lifetimes: EspLifetimes;
}

export interface EspCounters {
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
  replayDrops: number;
  icvFailures: number;
}

export type EspEvent =
  | { type: 'soft-expire'; spiIn: number }
  | { type: 'hard-expire'; spiIn: number }
  | { type: 'seq-exhausted'; spiIn: number }
  | { type: 'acquire'; localTs: EspSelector; remoteTs: EspSelector };

/** Why the data plane dropped a packet (engine-wide counters, beside the per-SA ones). */
export const EspDrop = {
  /** Too short, bad lengths or padding, not IP. */
  MALFORMED: 'malformed',
  /** Inbound SPI not in the SAD. */
  NO_SA: 'no-sa',
  /** Outbound packet matching no policy. */
  NO_POLICY: 'no-policy',
  /** Decrypted inner packet outside the SA's selectors (RFC 4301 §5.2). */
  POLICY_MISMATCH: 'policy-mismatch',
  REPLAY: 'replay',
  ICV: 'icv',
  /** Next header 59 (RFC 4303 §2.6). */
  DUMMY: 'dummy',
  /** Larger than the path MTU allows; an ICMP error went back to the sender. */
  TOO_BIG: 'too-big',
  /** Sequence numbers used up, or the hard lifetime reached. */
  EXPIRED: 'expired',
  OVERSIZED: 'oversized',
} as const;
export type EspDropReason = (typeof EspDrop)[keyof typeof EspDrop];
