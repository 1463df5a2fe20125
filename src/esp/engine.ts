/**
 * The ESP engine (RFC 4303, RFC 4301 §5): a Security Association Database keyed by inbound SPI, a Security Policy
 * Database for outbound lookups, per-SA sequence numbers, anti-replay windows, counters and lifetimes. Pure: it
 * turns packets into packets and events and does no I/O; the TUN and UDP adapters sit around it (src/daemon).
 *
 * Outbound (from the TUN device):  parse IP → SPD lookup → lifetime / sequence checks → path-MTU check (ICMP
 *   "fragmentation needed" / "packet too big" toward the inner sender when DF) → seal (tunnel: the whole packet with
 *   next header 4/41; transport: the IP payload with the IP protocol as next header).
 * Inbound (ESP-in-UDP from port 4500):  SPI → SAD → replay pre-check (RFC 4303 §3.4.3, before the ICV) → open (ICV
 *   first, then padding) → advance the window → next header 59 dropped (§2.6) → tunnel: inner packet checked against
 *   the SA's selectors (RFC 4301 §5.2); transport: IP header rebuilt from the SA's endpoints.
 * Every drop is counted by reason (`stats`) and, for replays and ICV failures, per SA (`counters`) and published on
 * the `esp:replay` / `esp:icv` diagnostics channels. Nothing a peer sends can make this throw.
 */
import { isDeclaredError, ParseError, VerifyError } from '../common/errors.ts';
import { publish } from '../common/diag.ts';
import { wipe } from '../common/bytes.ts';
import { ipToBytes } from '../common/ip.ts';
import { systemRng } from '../common/rng.ts';
import type { Rng } from '../common/rng.ts';
import { createEspCipher, espHeader } from '../crypto/esp.ts';
import type { EspCipher } from '../crypto/esp.ts';
import { icmpTooBig, IpProto, ipv4Header, ipv6Header, parseIp } from './ip.ts';
import type { IpInfo } from './ip.ts';
import { ReplayWindow } from './replay.ts';
import { inboundAllowed, Spd } from './spd.ts';
import { EspDrop } from './types.ts';
import type { EspCounters, EspDropReason, EspEvent, EspSaConfig } from './types.ts';

const TWO32 = 2 ** 32;
/** Largest ESP packet we look at (an IPv4/IPv6 datagram cannot be larger). */
export const MAX_ESP_PACKET = 65_535;

export interface EspEngineOptions {
  rng?: Rng;
  /** Anti-replay window in packets (default 2,048; at least 1,024 is recommended). */
  replayWindow?: number;
  /** MTU of the outer path (default 1,500). */
  pathMtu?: number;
  /** Highest outbound sequence number before the SA is unusable (default 2^32 - 1, or 2^53 - 1 with ESN). */
  seqLimit?: number;
  /** seq-exhausted is emitted this many packets before the limit (default 2^20, at most a tenth of the limit). */
  seqMargin?: number;
  onEvent?: (e: EspEvent) => void;
}

/** Outer endpoints of an outbound packet. */
export interface EspRoute {
  local: { address: string; port: number };
  remote: { address: string; port: number };
  encap: boolean;
}

export type OutboundResult =
  | { kind: 'esp'; packet: Uint8Array; route: EspRoute }
  | { kind: 'icmp'; packet: Uint8Array }
  | { kind: 'drop'; reason: EspDropReason };

export type InboundResult = { kind: 'ip'; packet: Uint8Array } | { kind: 'drop'; reason: EspDropReason };

interface SaState {
  readonly config: EspSaConfig;
  readonly inbound: EspCipher;
  readonly outbound: EspCipher;
  readonly replay: ReplayWindow;
  readonly route: EspRoute;
  readonly counters: EspCounters;
  /** Outer IP + UDP header bytes. */
  readonly outerHeader: number;
  readonly localAddr: Uint8Array;
  readonly remoteAddr: Uint8Array;
  readonly seqLimit: number;
  readonly seqSoft: number;
  seqOut: number;
  soft: boolean;
  hard: boolean;
  seqWarned: boolean;
}

export type EspStats = Record<EspDropReason, number> & { in: number; out: number };

function emptyStats(): EspStats {
  const s = { in: 0, out: 0 } as EspStats;
  for (const r of Object.values(EspDrop)) s[r] = 0;
  return s;
}

export class EspEngine {
  readonly stats: EspStats = emptyStats();
  readonly #sad = new Map<number, SaState>();
  readonly #spd = new Spd<SaState>();
  readonly #rng: Rng;
  readonly #window: number;
  readonly #pathMtu: number;
  readonly #seqLimit: number | undefined;
  readonly #seqMargin: number | undefined;
  #onEvent: ((e: EspEvent) => void) | undefined;

  constructor(opts: EspEngineOptions = {}) {
    this.#rng = opts.rng ?? systemRng;
    this.#window = opts.replayWindow ?? 2048;
    this.#pathMtu = opts.pathMtu ?? 1500;
    this.#seqLimit = opts.seqLimit;
    this.#seqMargin = opts.seqMargin;
    this.#onEvent = opts.onEvent;
  }

  onEvent(handler: (e: EspEvent) => void): void {
    this.#onEvent = handler;
  }

  get size(): number {
    return this.#sad.size;
  }

  has(spiIn: number): boolean {
    return this.#sad.has(spiIn);
  }

  /** Configs of the installed SAs. */
  configs(): EspSaConfig[] {
    return [...this.#sad.values()].map((s) => s.config);
  }

  /** Installs both directions; the key copies are kept by the ciphers only. Replaces an SA with the same SPI. */
  install(config: EspSaConfig): void {
    this.remove(config.spiIn);
    const inbound = createEspCipher(config.suite, config.encrIn, config.integIn, this.#rng);
    const outbound = createEspCipher(config.suite, config.encrOut, config.integOut, this.#rng);
    const remoteAddr = ipToBytes(config.remote.address);
    const localAddr = ipToBytes(config.local.address);
    const limit = this.#seqLimit ?? (config.esn ? Number.MAX_SAFE_INTEGER : TWO32 - 1);
    const margin = Math.min(this.#seqMargin ?? 2 ** 20, Math.floor(limit / 10));
    const state: SaState = {
      config,
      inbound,
      outbound,
      replay: new ReplayWindow(this.#window, config.esn),
      route: { local: config.local, remote: config.remote, encap: config.encap },
      counters: { bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0, replayDrops: 0, icvFailures: 0 },
      outerHeader: (remoteAddr.byteLength === 4 ? 20 : 40) + (config.encap ? 8 : 0),
      localAddr,
      remoteAddr,
      seqLimit: limit,
      seqSoft: limit - margin,
      seqOut: 0,
      soft: false,
      hard: false,
      seqWarned: false,
    };
    this.#sad.set(config.spiIn, state);
    this.#spd.add(config.localTs, config.remoteTs, state);
  }

  /** Removes both directions and zeroes their keys. Idempotent. */
  remove(spiIn: number): boolean {
    const s = this.#sad.get(spiIn);
    if (!s) return false;
    this.#sad.delete(spiIn);
    this.#spd.remove(s);
    s.inbound.dispose();
    s.outbound.dispose();
    wipe(s.config.encrIn, s.config.integIn, s.config.encrOut, s.config.integOut);
    return true;
  }

  counters(spiIn: number): EspCounters | undefined {
    const c = this.#sad.get(spiIn)?.counters;
    return c ? { ...c } : undefined;
  }

  /** Outer packet size an inner packet of `n` bytes becomes on the SA (IP + UDP + ESP). */
  overhead(spiIn: number, n: number): number | undefined {
    const s = this.#sad.get(spiIn);
    return s ? s.outerHeader + s.outbound.sealedLength(n) - n : undefined;
  }

  /** The largest inner packet that fits the path MTU on any installed SA (for the TUN device's MTU). */
  innerMtu(worstCase = true): number {
    const states = [...this.#sad.values()];
    if (!states.length || worstCase) return worstCaseInnerMtu(this.#pathMtu);
    return Math.min(...states.map((s) => maxInner(s, this.#pathMtu)));
  }

  removeAll(): void {
    for (const spi of [...this.#sad.keys()]) this.remove(spi);
  }

  #emit(e: EspEvent): void {
    this.#onEvent?.(e);
  }

  #drop(reason: EspDropReason): { kind: 'drop'; reason: EspDropReason } {
    this.stats[reason]++;
    return { kind: 'drop', reason };
  }

  #replayDrop(s: SaState, seqLo: number): { kind: 'drop'; reason: EspDropReason } {
    s.counters.replayDrops++;
    publish('esp:replay', { spi: s.config.spiIn, seq: BigInt(seqLo) });
    return this.#drop(EspDrop.REPLAY);
  }

  #account(s: SaState, bytes: number, dir: 'in' | 'out'): void {
    const c = s.counters;
    if (dir === 'in') {
      c.bytesIn += bytes;
      c.packetsIn++;
    } else {
      c.bytesOut += bytes;
      c.packetsOut++;
    }
    const l = s.config.lifetimes;
    const bytesMax = Math.max(c.bytesIn, c.bytesOut);
    const packetsMax = Math.max(c.packetsIn, c.packetsOut);
    if (
      !s.hard &&
      ((l.hardBytes > 0 && bytesMax >= l.hardBytes) || (l.hardPackets > 0 && packetsMax >= l.hardPackets))
    ) {
      s.hard = true;
      s.soft = true;
      this.#emit({ type: 'hard-expire', spiIn: s.config.spiIn });
    } else if (
      !s.soft &&
      ((l.softBytes > 0 && bytesMax >= l.softBytes) || (l.softPackets > 0 && packetsMax >= l.softPackets))
    ) {
      s.soft = true;
      this.#emit({ type: 'soft-expire', spiIn: s.config.spiIn });
    }
  }

  /** Protects one packet read from the TUN device. */
  outbound(packet: Uint8Array): OutboundResult {
    let ip: IpInfo;
    try {
      ip = parseIp(packet);
    } catch (e) {
      if (isDeclaredError(e)) return this.#drop(EspDrop.MALFORMED);
      throw e;
    }
    const s = this.#spd.lookup(ip);
    if (!s) return this.#drop(EspDrop.NO_POLICY);
    if (s.hard) return this.#drop(EspDrop.EXPIRED);
    const inner = packet.subarray(0, ip.totalLength);
    const transport = s.config.mode === 'transport';
    const payload = transport ? inner.subarray(ip.headerLength) : inner;
    const sealed = s.outerHeader + s.outbound.sealedLength(payload.byteLength);
    if (sealed > this.#pathMtu && ip.df) {
      this.stats[EspDrop.TOO_BIG]++;
      const mtu = maxInner(s, this.#pathMtu) + (transport ? ip.headerLength : 0);
      return { kind: 'icmp', packet: icmpTooBig(inner, ip, mtu, ip.dst) };
    }
    if (sealed > MAX_ESP_PACKET) return this.#drop(EspDrop.OVERSIZED);
    if (s.seqOut >= s.seqLimit) return this.#drop(EspDrop.EXPIRED);
    const seq = ++s.seqOut;
    if (seq >= s.seqSoft && !s.seqWarned) {
      s.seqWarned = true;
      this.#emit({ type: 'seq-exhausted', spiIn: s.config.spiIn });
    }
    const nextHeader = transport ? ip.protocol : ip.version === 4 ? IpProto.IPV4 : IpProto.IPV6;
    const esp = s.outbound.seal({
      spi: s.config.spiOut,
      seq: seq % TWO32,
      seqHi: Math.floor(seq / TWO32),
      payload,
      nextHeader,
    });
    this.stats.out++;
    this.#account(s, inner.byteLength, 'out');
    return { kind: 'esp', packet: esp, route: s.route };
  }

  /** Verifies and decrypts one ESP packet (without the UDP header); the result goes to the TUN device. */
  inbound(esp: Uint8Array): InboundResult {
    if (esp.byteLength < 8) return this.#drop(EspDrop.MALFORMED);
    if (esp.byteLength > MAX_ESP_PACKET) return this.#drop(EspDrop.OVERSIZED);
    const { spi, seq: seqLo } = espHeader(esp);
    const s = this.#sad.get(spi);
    if (!s) return this.#drop(EspDrop.NO_SA);
    if (s.hard) return this.#drop(EspDrop.EXPIRED);
    const v = s.replay.check(seqLo);
    if (!v.ok) return this.#replayDrop(s, seqLo);
    let opened: { nextHeader: number; payload: Uint8Array };
    try {
      opened = s.inbound.open(esp, v.seqHi);
    } catch (e) {
      if (e instanceof VerifyError) {
        s.counters.icvFailures++;
        publish('esp:icv', { spi });
        return this.#drop(EspDrop.ICV);
      }
      if (e instanceof ParseError || isDeclaredError(e)) return this.#drop(EspDrop.MALFORMED);
      throw e;
    }
    if (!s.replay.update(v.full)) return this.#replayDrop(s, seqLo);
    const { nextHeader, payload } = opened;
    if (nextHeader === IpProto.NO_NEXT) {
      this.#account(s, 0, 'in');
      return this.#drop(EspDrop.DUMMY);
    }
    let packet: Uint8Array;
    if (s.config.mode === 'tunnel') {
      if (nextHeader !== IpProto.IPV4 && nextHeader !== IpProto.IPV6) return this.#drop(EspDrop.MALFORMED);
      let ip: IpInfo;
      try {
        ip = parseIp(payload);
      } catch {
        return this.#drop(EspDrop.MALFORMED);
      }
      if ((ip.version === 4) !== (nextHeader === IpProto.IPV4)) return this.#drop(EspDrop.MALFORMED);
      if (!inboundAllowed(ip, s.config.localTs, s.config.remoteTs)) return this.#drop(EspDrop.POLICY_MISMATCH);
      packet = payload.subarray(0, ip.totalLength);
    } else {
      const header =
        s.remoteAddr.byteLength === 4
          ? ipv4Header(s.remoteAddr, s.localAddr, nextHeader, payload.byteLength)
          : ipv6Header(s.remoteAddr, s.localAddr, nextHeader, payload.byteLength);
      if (header.byteLength + payload.byteLength > MAX_ESP_PACKET) return this.#drop(EspDrop.OVERSIZED);
      packet = new Uint8Array(header.byteLength + payload.byteLength);
      packet.set(header);
      packet.set(payload, header.byteLength);
    }
    this.stats.in++;
    this.#account(s, packet.byteLength, 'in');
    return { kind: 'ip', packet };
  }
}

/** Largest inner packet whose ESP packet still fits `pathMtu` on this SA. */
function maxInner(s: SaState, pathMtu: number): number {
  let m = pathMtu - s.outerHeader;
  while (m > 0 && s.outerHeader + s.outbound.sealedLength(m) > pathMtu) m--;
  return m;
}

/**
 * The inner MTU that fits every suite we offer: outer IPv6 (40) + UDP (8) + SPI/seq (8) + IV (16, CBC) + worst
 * padding (15) + trailer (2) + ICV (32, HMAC-SHA2-512/256). Rounded down to a multiple of 8.
 */
export function worstCaseInnerMtu(pathMtu: number): number {
  return Math.floor((pathMtu - 40 - 8 - 8 - 16 - 15 - 2 - 32) / 8) * 8;
}
