/**
 * Security Policy Database (RFC 4301 §4.4.1): outbound packets are matched against the traffic selectors of the
 * installed CHILD_SAs; the most specific match wins (fewest addresses covered, then a specific protocol, then the
 * narrowest port range), and among equally specific policies the most recently installed one (so traffic moves to
 * the new SA as soon as a rekey installs it). Inbound, the decrypted inner packet must lie within the selectors of
 * the SA it arrived on (§5.2).
 */
import { ipToText } from '../common/ip.ts';
import type { EspSelector } from './types.ts';
import type { IpInfo } from './ip.ts';

/** Lexicographic comparison of equal-length byte strings (addresses in network order). */
function cmp(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.byteLength - b.byteLength;
}

function inRange(addr: Uint8Array, ts: EspSelector): boolean {
  return addr.byteLength === ts.startAddr.byteLength && cmp(addr, ts.startAddr) >= 0 && cmp(addr, ts.endAddr) <= 0;
}

function portOk(port: number, ts: EspSelector): boolean {
  // Packets without ports (ICMP, fragments) only match selectors that cover every port (RFC 4301 §4.4.1.1 OPAQUE).
  return (ts.startPort === 0 && ts.endPort === 0xffff) || (port >= ts.startPort && port <= ts.endPort);
}

/** Does the selector cover this address, protocol and port? */
export function selectorMatches(ts: EspSelector, addr: Uint8Array, protocol: number, port: number): boolean {
  return (ts.ipProtocol === 0 || ts.ipProtocol === protocol) && inRange(addr, ts) && portOk(port, ts);
}

/** log2 of the number of addresses in the range (approximately, enough to order by specificity). */
export function rangeBits(ts: EspSelector): number {
  let diff = 0;
  let bits = 0;
  for (let i = 0; i < ts.startAddr.byteLength; i++) {
    diff = diff * 256 + ((ts.endAddr[i] as number) - (ts.startAddr[i] as number));
    if (diff > 2 ** 40) {
      bits += 8;
      diff /= 256;
    }
  }
  return bits + Math.log2(diff + 1);
}

/** A specificity score: smaller is more specific. */
function specificity(ts: EspSelector): number {
  const proto = ts.ipProtocol === 0 ? 1 : 0;
  const ports = Math.log2(ts.endPort - ts.startPort + 1) / 17;
  return rangeBits(ts) * 4 + proto * 2 + ports;
}

interface Policy<T> {
  local: EspSelector[];
  remote: EspSelector[];
  score: number;
  order: number;
  value: T;
}

export class Spd<T> {
  readonly #policies: Policy<T>[] = [];
  #order = 0;

  get size(): number {
    return this.#policies.length;
  }

  add(local: EspSelector[], remote: EspSelector[], value: T): void {
    let score = Infinity;
    for (const l of local) for (const r of remote) score = Math.min(score, specificity(l) + specificity(r));
    this.#policies.push({ local, remote, score, order: this.#order++, value });
  }

  remove(value: T): void {
    const i = this.#policies.findIndex((p) => p.value === value);
    if (i >= 0) this.#policies.splice(i, 1);
  }

  /** The policy for an outbound packet (our side = source). */
  lookup(ip: IpInfo): T | undefined {
    let best: Policy<T> | undefined;
    for (const p of this.#policies) {
      if (best && (p.score > best.score || (p.score === best.score && p.order < best.order))) continue;
      if (!p.local.some((l) => selectorMatches(l, ip.src, ip.protocol, ip.srcPort))) continue;
      if (!p.remote.some((r) => selectorMatches(r, ip.dst, ip.protocol, ip.dstPort))) continue;
      best = p;
    }
    return best?.value;
  }
}

/** Inbound check (RFC 4301 §5.2): inner source within the remote selectors, destination within the local ones. */
export function inboundAllowed(ip: IpInfo, local: EspSelector[], remote: EspSelector[]): boolean {
  return (
    remote.some((r) => selectorMatches(r, ip.src, ip.protocol, ip.srcPort)) &&
    local.some((l) => selectorMatches(l, ip.dst, ip.protocol, ip.dstPort))
  );
}

function toBig(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

function formatAddr(v: bigint, bytes: number): string {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[bytes - 1 - i] = Number((v >> BigInt(i * 8)) & 0xffn);
  return ipToText(out);
}

/** The selector's address range as the fewest CIDR prefixes (for routes through the TUN device). */
export function selectorPrefixes(ts: EspSelector): string[] {
  const bytes = ts.startAddr.byteLength;
  const bits = BigInt(bytes * 8);
  let lo = toBig(ts.startAddr);
  const hi = toBig(ts.endAddr);
  const out: string[] = [];
  while (lo <= hi && out.length < 256) {
    let size = 0n;
    // Largest aligned block starting at lo that stays within hi.
    while (size < bits && (lo & ((1n << (size + 1n)) - 1n)) === 0n && lo + (1n << (size + 1n)) - 1n <= hi) size++;
    out.push(`${formatAddr(lo, bytes)}/${bits - size}`);
    lo += 1n << size;
  }
  return out;
}
