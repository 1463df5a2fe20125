/**
 * Typed access to decoded messages, and helpers for traffic selectors (RFC 7296 §3.13, narrowing §2.9) and
 * identities (§3.5). Unknown payloads are never returned by the typed accessors.
 */
import { ConfigError } from '../../common/errors.ts';
import { encodeIdBody } from '../payloads/id.ts';
import { isUnknown } from '../payloads/chain.ts';
import { isErrorNotify } from '../payloads/notify.ts';
import type {
  AuthPayload,
  CertPayload,
  CertReqPayload,
  CpPayload,
  DeletePayload,
  EapPayload,
  IdPayload,
  IkeMessage,
  KePayload,
  NoncePayload,
  NotifyPayload,
  Payload,
  SaPayload,
  TrafficSelector,
  TsPayload,
  VendorPayload,
} from '../payloads/types.ts';
import { IdType, PayloadType, TsType } from '../payloads/types.ts';
import { dnFromString, dnToString } from './dn.ts';
import { ipFamily, ipToBytes, ipToText } from '../../common/ip.ts';

export { encodeIdBody };

/** The payload interface of each known type. */
export interface PayloadMap {
  [PayloadType.SA]: SaPayload;
  [PayloadType.KE]: KePayload;
  [PayloadType.IDi]: IdPayload;
  [PayloadType.IDr]: IdPayload;
  [PayloadType.CERT]: CertPayload;
  [PayloadType.CERTREQ]: CertReqPayload;
  [PayloadType.AUTH]: AuthPayload;
  [PayloadType.NONCE]: NoncePayload;
  [PayloadType.NOTIFY]: NotifyPayload;
  [PayloadType.DELETE]: DeletePayload;
  [PayloadType.VENDOR]: VendorPayload;
  [PayloadType.TSi]: TsPayload;
  [PayloadType.TSr]: TsPayload;
  [PayloadType.CP]: CpPayload;
  [PayloadType.EAP]: EapPayload;
}
export type KnownPayloadType = keyof PayloadMap;

type HasPayloads = Pick<IkeMessage, 'payloads'>;

function is<T extends KnownPayloadType>(p: Payload, type: T): p is PayloadMap[T] {
  return p.type === type && !isUnknown(p);
}

/** The first payload of `type`, typed. */
export function first<T extends KnownPayloadType>(msg: HasPayloads, type: T): PayloadMap[T] | undefined {
  for (const p of msg.payloads) if (is(p, type)) return p;
  return undefined;
}

/** Every payload of `type`, in message order. */
export function all<T extends KnownPayloadType>(msg: HasPayloads, type: T): PayloadMap[T][] {
  return msg.payloads.filter((p): p is PayloadMap[T] => is(p, type));
}

/** The first Notify of `notifyType`. */
export function notify(msg: HasPayloads, notifyType: number): NotifyPayload | undefined {
  return all(msg, PayloadType.NOTIFY).find((n) => n.notifyType === notifyType);
}

export function hasNotify(msg: HasPayloads, notifyType: number): boolean {
  return notify(msg, notifyType) !== undefined;
}

/** The first error Notify (type below 16384, RFC 7296 §3.10.1). */
export function errorNotify(msg: HasPayloads): NotifyPayload | undefined {
  return all(msg, PayloadType.NOTIFY).find((n) => isErrorNotify(n.notifyType));
}

// ---------------------------------------------------------------------------------------------------------------
// Traffic selectors

/** IP protocol names accepted by tsFromCidr and printed by tsToString. */
export const IpProtocol = { any: 0, icmp: 1, tcp: 6, udp: 17, gre: 47, esp: 50, icmpv6: 58, sctp: 132 } as const;
const protocolNames = new Map<number, string>(Object.entries(IpProtocol).map(([k, v]) => [v, k]));

export interface TsOptions {
  /** IP protocol number or name; default any (0). */
  protocol?: number | keyof typeof IpProtocol;
  /** One port or an inclusive range; default all (0..65535). */
  ports?: number | readonly [number, number];
  /** The address `dynamic` stands for (strongSwan's `dynamic`: this host's own address). */
  dynamic?: string;
}

function prefixRange(addr: Uint8Array, bits: number): [Uint8Array, Uint8Array] {
  const start = addr.slice();
  const end = addr.slice();
  for (let i = 0; i < addr.byteLength; i++) {
    const keep = Math.max(0, Math.min(8, bits - 8 * i));
    const mask = keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
    start[i] = (addr[i] ?? 0) & mask;
    end[i] = ((addr[i] ?? 0) & mask) | (~mask & 0xff);
  }
  return [start, end];
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.byteLength, b.byteLength); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.byteLength - b.byteLength;
}

/**
 * A traffic selector from text: `10.1.0.0/24`, `10.1.0.1`, `::/0`, `10.1.0.1-10.1.0.9`, or `dynamic` (needs
 * `opts.dynamic`). ConfigError on anything else.
 */
export function tsFromCidr(spec: string, opts: TsOptions = {}): TrafficSelector {
  let text = spec.trim();
  if (text === 'dynamic') {
    if (!opts.dynamic) throw new ConfigError('traffic selector "dynamic" needs the host address');
    text = opts.dynamic;
  }
  let startAddr: Uint8Array;
  let endAddr: Uint8Array;
  const dash = text.indexOf('-');
  if (dash > 0) {
    startAddr = ipToBytes(text.slice(0, dash).trim());
    endAddr = ipToBytes(text.slice(dash + 1).trim());
    if (startAddr.byteLength !== endAddr.byteLength || compare(startAddr, endAddr) > 0) {
      throw new ConfigError(`bad address range ${spec}`);
    }
  } else {
    const [addrText = '', bitsText] = text.split('/');
    const addr = ipToBytes(addrText);
    const max = addr.byteLength * 8;
    const bits = bitsText === undefined ? max : Number(bitsText);
    if (!/^\d*$/.test(bitsText ?? '') || !Number.isInteger(bits) || bits < 0 || bits > max) {
      throw new ConfigError(`bad prefix length in ${spec}`);
    }
    [startAddr, endAddr] = prefixRange(addr, bits);
  }
  const proto = opts.protocol ?? 0;
  const ipProtocol = typeof proto === 'number' ? proto : IpProtocol[proto];
  if (!Number.isInteger(ipProtocol) || ipProtocol < 0 || ipProtocol > 255) {
    throw new ConfigError(`bad IP protocol ${String(proto)}`);
  }
  const ports =
    opts.ports === undefined ? [0, 65535] : typeof opts.ports === 'number' ? [opts.ports, opts.ports] : opts.ports;
  const [startPort = 0, endPort = 65535] = ports;
  for (const p of [startPort, endPort]) {
    if (!Number.isInteger(p) || p < 0 || p > 65535) throw new ConfigError(`bad port ${p}`);
  }
  return {
    tsType: startAddr.byteLength === 4 ? TsType.TS_IPV4_ADDR_RANGE : TsType.TS_IPV6_ADDR_RANGE,
    ipProtocol,
    startPort,
    endPort,
    startAddr,
    endAddr,
  };
}

/** Prefix length if [start, end] is exactly one CIDR block, else undefined. */
function cidrBits(start: Uint8Array, end: Uint8Array): number | undefined {
  const max = start.byteLength * 8;
  for (let bits = 0; bits <= max; bits++) {
    const [s, e] = prefixRange(start, bits);
    if (compare(s, start) === 0 && compare(e, end) === 0) return bits;
  }
  return undefined;
}

/** strongSwan-like text: `10.1.0.0/24`, `10.1.0.1/32`, `10.1.0.1..10.1.0.9`, with `[tcp/80]` when restricted. */
export function tsToString(ts: TrafficSelector): string {
  const bits = ts.startAddr.byteLength === ts.endAddr.byteLength ? cidrBits(ts.startAddr, ts.endAddr) : undefined;
  const net =
    bits !== undefined ? `${ipToText(ts.startAddr)}/${bits}` : `${ipToText(ts.startAddr)}..${ipToText(ts.endAddr)}`;
  const allPorts = ts.startPort === 0 && ts.endPort === 65535;
  if (ts.ipProtocol === 0 && allPorts) return net;
  const proto = protocolNames.get(ts.ipProtocol) ?? String(ts.ipProtocol);
  if (allPorts) return `${net}[${proto}]`;
  const port =
    ts.startPort > ts.endPort
      ? 'OPAQUE'
      : ts.startPort === ts.endPort
        ? `${ts.startPort}`
        : `${ts.startPort}-${ts.endPort}`;
  return `${net}[${proto}/${port}]`;
}

/** True if every packet matched by `inner` is matched by `outer`. */
export function tsContains(outer: TrafficSelector, inner: TrafficSelector): boolean {
  if (outer.tsType !== inner.tsType) return false;
  if (outer.ipProtocol !== 0 && outer.ipProtocol !== inner.ipProtocol) return false;
  const outerAll = outer.startPort === 0 && outer.endPort === 65535;
  if (!outerAll) {
    if (inner.startPort > inner.endPort || outer.startPort > outer.endPort) {
      if (!(inner.startPort > inner.endPort && outer.startPort > outer.endPort)) return false;
    } else if (inner.startPort < outer.startPort || inner.endPort > outer.endPort) return false;
  }
  return compare(inner.startAddr, outer.startAddr) >= 0 && compare(inner.endAddr, outer.endAddr) <= 0;
}

/**
 * The intersection of two selectors (RFC 7296 §2.9 narrowing): address, protocol and port ranges all narrowed.
 * Undefined when they do not overlap. OPAQUE ports (start 65535, end 0) survive only against all ports or OPAQUE.
 */
export function tsIntersect(a: TrafficSelector, b: TrafficSelector): TrafficSelector | undefined {
  if (a.tsType !== b.tsType || a.startAddr.byteLength !== b.startAddr.byteLength) return undefined;
  if (a.ipProtocol !== 0 && b.ipProtocol !== 0 && a.ipProtocol !== b.ipProtocol) return undefined;
  const ipProtocol = a.ipProtocol || b.ipProtocol;
  const opaqueA = a.startPort > a.endPort;
  const opaqueB = b.startPort > b.endPort;
  const allA = a.startPort === 0 && a.endPort === 65535;
  const allB = b.startPort === 0 && b.endPort === 65535;
  let startPort: number;
  let endPort: number;
  if (opaqueA || opaqueB) {
    if ((opaqueA && !(opaqueB || allB)) || (opaqueB && !(opaqueA || allA))) return undefined;
    [startPort, endPort] = [65535, 0];
  } else {
    startPort = Math.max(a.startPort, b.startPort);
    endPort = Math.min(a.endPort, b.endPort);
    if (startPort > endPort) return undefined;
  }
  const startAddr = compare(a.startAddr, b.startAddr) >= 0 ? a.startAddr : b.startAddr;
  const endAddr = compare(a.endAddr, b.endAddr) <= 0 ? a.endAddr : b.endAddr;
  if (compare(startAddr, endAddr) > 0) return undefined;
  return { tsType: a.tsType, ipProtocol, startPort, endPort, startAddr: startAddr.slice(), endAddr: endAddr.slice() };
}

// ---------------------------------------------------------------------------------------------------------------
// Identities

export interface Identity {
  idType: number;
  data: Uint8Array;
}

/**
 * An identity from text, after strongSwan's conventions: an IPv4/IPv6 address → ID_IPV4_ADDR/ID_IPV6_ADDR;
 * `@#0123ab` → ID_KEY_ID (hex); `@name` → ID_FQDN `name` (forced, no other interpretation);
 * text with `=` → ID_DER_ASN1_DN; text with `@` → ID_RFC822_ADDR; anything else → ID_FQDN.
 * Typed prefixes are also accepted: `fqdn:`, `email:`, `keyid:` (UTF-8 bytes), `ipv4:`, `ipv6:`, `asn1dn:`.
 */
export function idFromString(text: string): Identity {
  const s = text.trim();
  const enc = (x: string) => new TextEncoder().encode(x);
  const typed = /^(fqdn|email|rfc822|keyid|ipv4|ipv6|asn1dn):(.*)$/i.exec(s);
  if (typed) {
    const [, kind = '', value = ''] = typed;
    switch (kind.toLowerCase()) {
      case 'fqdn':
        return { idType: IdType.ID_FQDN, data: enc(value) };
      case 'email':
      case 'rfc822':
        return { idType: IdType.ID_RFC822_ADDR, data: enc(value) };
      case 'keyid':
        return { idType: IdType.ID_KEY_ID, data: enc(value) };
      case 'ipv4':
        return { idType: IdType.ID_IPV4_ADDR, data: ipToBytes(value, 4) };
      case 'ipv6':
        return { idType: IdType.ID_IPV6_ADDR, data: ipToBytes(value, 6) };
      default:
        return { idType: IdType.ID_DER_ASN1_DN, data: dnFromString(value) };
    }
  }
  if (!s) throw new ConfigError('empty identity');
  const family = ipFamily(s);
  if (family === 4) return { idType: IdType.ID_IPV4_ADDR, data: ipToBytes(s, 4) };
  if (family === 6) return { idType: IdType.ID_IPV6_ADDR, data: ipToBytes(s, 6) };
  if (s.startsWith('@#')) {
    const hex = s.slice(2).replace(/[:\s]/g, '');
    if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new ConfigError(`bad key id ${s}`);
    return { idType: IdType.ID_KEY_ID, data: new Uint8Array(Buffer.from(hex, 'hex')) };
  }
  if (s.startsWith('@')) return { idType: IdType.ID_FQDN, data: enc(s.slice(1)) };
  if (s.includes('=')) return { idType: IdType.ID_DER_ASN1_DN, data: dnFromString(s) };
  if (s.includes('@')) return { idType: IdType.ID_RFC822_ADDR, data: enc(s) };
  return { idType: IdType.ID_FQDN, data: enc(s) };
}

/** Text for logs and configuration matching; the inverse of idFromString for the types it produces. */
export function idToString(id: Identity): string {
  const text = () => new TextDecoder().decode(id.data);
  switch (id.idType) {
    case IdType.ID_IPV4_ADDR:
    case IdType.ID_IPV6_ADDR:
      return ipToText(id.data);
    case IdType.ID_FQDN:
      return plainOr('fqdn:', id, text());
    case IdType.ID_RFC822_ADDR:
      return plainOr('email:', id, text());
    case IdType.ID_KEY_ID:
      return `@#${Buffer.from(id.data).toString('hex')}`;
    case IdType.ID_DER_ASN1_DN:
      try {
        return dnToString(id.data);
      } catch {
        return `asn1dn:#${Buffer.from(id.data).toString('hex')}`;
      }
    default:
      return `${id.idType}:#${Buffer.from(id.data).toString('hex')}`;
  }
}

/** `t` if idFromString(t) gives back the same identity, else `prefix` + t. */
function plainOr(prefix: string, id: Identity, t: string): string {
  try {
    const back = idFromString(t);
    if (back.idType === id.idType && Buffer.compare(back.data, id.data) === 0) return t;
  } catch {
    // not parseable as plain text: use the typed form
  }
  return prefix + t;
}
