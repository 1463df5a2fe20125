/**
 * The interface through which IKE hands keys and selectors to a data plane, like charon's kernel interface.
 * IKE knows nothing of how packets are protected; the daemon injects an implementation (userspace ESP over TUN,
 * Linux XFRM, or `none`, which only records what it was given).
 */
import type { Suite } from '../crypto/types.ts';
import type { TrafficSelector } from './payloads/types.ts';

export interface Endpoint {
  address: string;
  port: number;
}

/** Lifetimes of a CHILD_SA; 0 = unlimited. Soft limits ask IKE to rekey, hard limits to delete. */
export interface ChildLifetimes {
  softBytes: number;
  hardBytes: number;
  softPackets: number;
  hardPackets: number;
}

/** Everything a data plane needs to install one CHILD_SA (an inbound and an outbound ESP SA). */
export interface ChildSaInstall {
  /** Name of the child config, for logs. */
  name: string;
  /** Unique id of this CHILD_SA within the daemon. */
  id: number;
  mode: 'tunnel' | 'transport';
  spiIn: number;
  spiOut: number;
  suite: Suite;
  /** Keys for traffic we receive (peer → us) and send. Encryption keys include the AEAD salt. */
  encrIn: Uint8Array;
  integIn: Uint8Array;
  encrOut: Uint8Array;
  integOut: Uint8Array;
  esn: boolean;
  localTs: TrafficSelector[];
  remoteTs: TrafficSelector[];
  local: Endpoint;
  remote: Endpoint;
  /** ESP-in-UDP (RFC 3948) on the IKE port-4500 socket. */
  encap: boolean;
  lifetimes: ChildLifetimes;
}

export interface ChildSaCounters {
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
  replayDrops: number;
  icvFailures: number;
}

/** Events from the data plane to IKE. */
export type DataPlaneEvent =
  | { type: 'soft-expire'; spiIn: number }
  | { type: 'hard-expire'; spiIn: number }
  | { type: 'seq-exhausted'; spiIn: number }
  | { type: 'acquire'; localTs: TrafficSelector; remoteTs: TrafficSelector };

export interface DataPlane {
  readonly name: string;
  /** A fresh inbound SPI (never 0..255, never in use). */
  allocateSpi(): Promise<number>;
  installSa(sa: ChildSaInstall): Promise<void>;
  /** Removes both directions of a CHILD_SA. Idempotent. */
  removeSa(spiIn: number): Promise<void>;
  counters(spiIn: number): ChildSaCounters | undefined;
  /** Registers the IKE layer's handler for lifetime and acquire events. */
  onEvent(handler: (event: DataPlaneEvent) => void): void;
  close(): Promise<void>;
}

/** `data_plane = none`: records SAs and counts nothing. For tests and for IKE-only deployments. */
export class NoneDataPlane implements DataPlane {
  readonly name = 'none';
  readonly installed = new Map<number, ChildSaInstall>();
  /** History of every install and removal, for tests. */
  readonly history: { op: 'install' | 'remove'; spiIn: number; spiOut?: number }[] = [];
  #nextSpi: number;
  #handler: ((e: DataPlaneEvent) => void) | undefined;

  constructor(firstSpi = 0xc0000001) {
    this.#nextSpi = firstSpi;
  }
  async allocateSpi(): Promise<number> {
    let spi: number;
    do spi = this.#nextSpi++ >>> 0;
    while (spi < 256 || this.installed.has(spi));
    return spi;
  }
  async installSa(sa: ChildSaInstall): Promise<void> {
    this.installed.set(sa.spiIn, sa);
    this.history.push({ op: 'install', spiIn: sa.spiIn, spiOut: sa.spiOut });
  }
  async removeSa(spiIn: number): Promise<void> {
    if (this.installed.delete(spiIn)) this.history.push({ op: 'remove', spiIn });
  }
  counters(spiIn: number): ChildSaCounters | undefined {
    return this.installed.has(spiIn)
      ? { bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0, replayDrops: 0, icvFailures: 0 }
      : undefined;
  }
  onEvent(handler: (e: DataPlaneEvent) => void): void {
    this.#handler = handler;
  }
  /** Test hook: simulate a data-plane event. */
  emit(e: DataPlaneEvent): void {
    this.#handler?.(e);
  }
  async close(): Promise<void> {
    this.installed.clear();
  }
}
