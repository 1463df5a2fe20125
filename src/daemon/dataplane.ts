/**
 * The daemon's data planes, given to IKE as its `DataPlane` (structurally: src/esp defines its own types).
 *
 * - `tun`: userspace ESP. The TUN device (default attestd0) carries inner packets; routes to the remote selectors
 *   point at it. Outbound packets go through the ESP engine and leave as ESP-in-UDP from the IKE port-4500 socket
 *   (`sendEsp`); ESP from that socket (`onEsp`) is opened and written to the device. NAT keepalives every 20 s
 *   (RFC 3948 §2.3) while an encapsulated SA exists. UDP encapsulation is required (like charon's kernel-libipsec).
 * - `xfrm`: the kernel (src/esp/xfrm.ts), probed at start-up.
 * - `none`: nothing is protected (IKE only).
 */
import { ConfigError } from '../common/errors.ts';
import type { Logger } from '../common/log.ts';
import type { Clock, Timer } from '../common/clock.ts';
import { randomU32, systemRng } from '../common/rng.ts';
import type { Rng } from '../common/rng.ts';
import { EspEngine, worstCaseInnerMtu } from '../esp/engine.ts';
import type { EspStats } from '../esp/engine.ts';
import { selectorPrefixes } from '../esp/spd.ts';
import { TunDevice } from '../esp/tun.ts';
import type { EspCounters, EspEndpoint, EspEvent, EspSaConfig } from '../esp/types.ts';

export const KEEPALIVE_MS = 20_000;

/** A random first SPI to allocate from, so that SPIs of a restarted daemon (or of two in one process) differ. */
export function randomFirstSpi(rng: Rng): number {
  return (0xc0000000 | (randomU32(rng) & 0x3fffff00)) >>> 0;
}

export interface EspTransport {
  sendEsp(data: Uint8Array, local: EspEndpoint, remote: EspEndpoint): void;
  sendKeepalive(local: EspEndpoint, remote: EspEndpoint): void;
}

export interface TunDataPlaneOptions {
  log: Logger;
  clock: Clock;
  transport: EspTransport;
  rng?: Rng;
  /** TUN device name (default attestd0). */
  device?: string;
  /** Outer path MTU (default 1500); the device MTU is derived from it. */
  pathMtu?: number;
  replayWindow?: number;
  /** Lower sequence-number limit, for tests of seq-exhausted. */
  seqLimit?: number;
}

export class TunDataPlane {
  readonly name = 'tun';
  readonly engine: EspEngine;
  readonly #opts: TunDataPlaneOptions;
  #tun: TunDevice | undefined;
  #nextSpi: number;
  readonly #routes = new Map<string, number>();
  readonly #routesOf = new Map<number, string[]>();
  #keepalive: Timer | undefined;
  #handler: ((e: EspEvent) => void) | undefined;

  constructor(opts: TunDataPlaneOptions) {
    this.#opts = opts;
    this.engine = new EspEngine({
      rng: opts.rng ?? systemRng,
      ...(opts.replayWindow ? { replayWindow: opts.replayWindow } : {}),
      ...(opts.pathMtu ? { pathMtu: opts.pathMtu } : {}),
      ...(opts.seqLimit ? { seqLimit: opts.seqLimit } : {}),
      onEvent: (e) => {
        opts.log.info('ESP', `${e.type}${'spiIn' in e ? ` ${e.spiIn.toString(16)}` : ''}`);
        this.#handler?.(e);
      },
    });
    this.#nextSpi = randomFirstSpi(opts.rng ?? systemRng);
  }

  get device(): TunDevice | undefined {
    return this.#tun;
  }

  get stats(): EspStats {
    return this.engine.stats;
  }

  /** Opens the TUN device. */
  async start(): Promise<void> {
    const mtu = worstCaseInnerMtu(this.#opts.pathMtu ?? 1500);
    this.#tun = await TunDevice.open({
      name: this.#opts.device ?? 'attestd0',
      mtu,
      onPackets: (data, lengths) => this.#fromTun(data, lengths),
    });
    this.#opts.log.info('ESP', `TUN device ${this.#tun.name} up, MTU ${mtu}`);
  }

  #fromTun(data: Uint8Array, lengths: Uint32Array): void {
    const tun = this.#tun;
    let off = 0;
    for (const len of lengths) {
      const packet = data.subarray(off, off + len);
      off += len;
      const r = this.engine.outbound(packet);
      if (r.kind === 'esp') this.#opts.transport.sendEsp(r.packet, r.route.local, r.route.remote);
      else if (r.kind === 'icmp') tun?.write(r.packet);
    }
  }

  /** ESP-in-UDP from the port-4500 socket (the IKE sockets' `onEsp`). */
  onEsp(data: Uint8Array): void {
    const r = this.engine.inbound(data);
    if (r.kind === 'ip') this.#tun?.write(r.packet);
  }

  async allocateSpi(): Promise<number> {
    let spi: number;
    do spi = this.#nextSpi++ >>> 0;
    while (spi < 256 || this.engine.has(spi));
    return spi;
  }

  async installSa(sa: EspSaConfig): Promise<void> {
    if (!sa.encap)
      throw new ConfigError(
        `CHILD_SA ${sa.name}: the tun data plane sends ESP in UDP only (set encap = yes, or use data_plane = xfrm)`,
      );
    this.engine.install(sa);
    const prefixes: string[] = [];
    const src = sa.localTs.length === 1 && sa.localTs[0] ? singleAddress(sa.localTs[0]) : undefined;
    if (this.#tun) {
      for (const ts of sa.remoteTs)
        for (const p of selectorPrefixes(ts)) {
          prefixes.push(p);
          const n = this.#routes.get(p) ?? 0;
          this.#routes.set(p, n + 1);
          if (n === 0)
            await this.#tun
              .addRoute(p, src)
              .catch((e: unknown) => this.#opts.log.error('ESP', `route ${p}: ${(e as Error).message}`));
        }
    }
    this.#routesOf.set(sa.spiIn, prefixes);
    this.#keepalives();
    this.#opts.log.info(
      'ESP',
      `installed SA ${sa.name}{${sa.id}} in ${sa.spiIn.toString(16)} out ${sa.spiOut.toString(16)}`,
    );
  }

  async removeSa(spiIn: number): Promise<void> {
    if (!this.engine.remove(spiIn)) return;
    for (const p of this.#routesOf.get(spiIn) ?? []) {
      const n = (this.#routes.get(p) ?? 1) - 1;
      if (n > 0) this.#routes.set(p, n);
      else {
        this.#routes.delete(p);
        await this.#tun?.removeRoute(p);
      }
    }
    this.#routesOf.delete(spiIn);
    this.#keepalives();
  }

  counters(spiIn: number): EspCounters | undefined {
    return this.engine.counters(spiIn);
  }

  onEvent(handler: (e: EspEvent) => void): void {
    this.#handler = handler;
  }

  /** Keepalives run while an encapsulated SA exists. */
  #keepalives(): void {
    const peers = this.engine.configs().filter((c) => c.encap);
    if (!peers.length) {
      this.#keepalive?.cancel();
      this.#keepalive = undefined;
      return;
    }
    if (this.#keepalive) return;
    const tick = () => {
      const seen = new Set<string>();
      for (const c of this.engine.configs()) {
        const key = `${c.remote.address}:${c.remote.port}`;
        if (!c.encap || seen.has(key)) continue;
        seen.add(key);
        this.#opts.transport.sendKeepalive(c.local, c.remote);
      }
      this.#keepalive = this.#opts.clock.after(KEEPALIVE_MS, tick);
    };
    this.#keepalive = this.#opts.clock.after(KEEPALIVE_MS, tick);
  }

  async close(): Promise<void> {
    this.#keepalive?.cancel();
    this.#keepalive = undefined;
    this.engine.removeAll();
    this.#tun?.close();
    this.#tun = undefined;
  }
}

/** The address of a selector covering exactly one address, as text; undefined otherwise. */
function singleAddress(ts: EspSaConfig['localTs'][number]): string | undefined {
  const p = selectorPrefixes(ts);
  const only = p.length === 1 ? p[0] : undefined;
  if (!only) return undefined;
  const [addr, len] = only.split('/');
  return (ts.startAddr.byteLength === 4 && len === '32') || len === '128' ? addr : undefined;
}
