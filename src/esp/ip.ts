/**
 * The few IP header fields the data plane needs: addresses, protocol and ports for the SPD lookup (RFC 4301 §4.4.1),
 * total length and DF for MTU accounting, and ICMP errors toward the inner sender when a packet does not fit.
 *
 * IPv4 (RFC 791 §3.1):
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version|  IHL  |Type of Service|          Total Length         |
 *  |         Identification        |Flags|      Fragment Offset    |
 *  |  Time to Live |    Protocol   |         Header Checksum       |
 *  |                       Source Address                          |
 *  |                    Destination Address                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * IPv6 (RFC 8200 §3): Version(4) Traffic Class(8) Flow Label(20) | Payload Length(16) Next Header(8) Hop Limit(8) |
 * Source Address(128) | Destination Address(128). Extension headers are not walked: the SPD then sees the first
 * next-header value and no ports (selectors with a specific protocol will not match such packets).
 *
 * ICMP errors: IPv4 Destination Unreachable / Fragmentation Needed (type 3 code 4, RFC 792, next-hop MTU per
 * RFC 1191 §4) and ICMPv6 Packet Too Big (type 2, RFC 4443 §3.2), each quoting the start of the offending packet.
 */
import { Reader, Writer } from '../common/bytes.ts';

export const IpProto = { ICMP: 1, IPV4: 4, TCP: 6, UDP: 17, IPV6: 41, ICMPV6: 58, NO_NEXT: 59, SCTP: 132 } as const;

export interface IpInfo {
  version: 4 | 6;
  headerLength: number;
  totalLength: number;
  protocol: number;
  src: Uint8Array;
  dst: Uint8Array;
  /** 0 when the protocol has no ports (or the header is a fragment). */
  srcPort: number;
  dstPort: number;
  /** IPv4 Don't Fragment; IPv6 packets are never fragmented on the path. */
  df: boolean;
}

const PORTS = new Set<number>([IpProto.TCP, IpProto.UDP, IpProto.SCTP, 136 /* UDP-Lite */]);

/** The transport header's ports when `present` (TCP, UDP, UDP-Lite, SCTP all start with them), else zeros. */
function readPorts(r: Reader, present: boolean): { srcPort: number; dstPort: number } {
  if (!present) return { srcPort: 0, dstPort: 0 };
  const ports = r.sub(4, 'ports');
  return { srcPort: ports.u16('srcPort'), dstPort: ports.u16('dstPort') };
}

/** Parses an IPv4 or IPv6 header; ParseError when it is truncated or inconsistent with the packet length. */
export function parseIp(packet: Uint8Array): IpInfo {
  const r = new Reader(packet, 'ip');
  const first = r.u8('version');
  const version = first >>> 4;
  if (version === 4) {
    const headerLength = (first & 0x0f) * 4;
    if (headerLength < 20) r.fail('ihl', `header length ${headerLength}`, 0);
    r.skip(1, 'tos');
    const totalLength = r.u16('totalLength');
    if (totalLength < headerLength || totalLength > packet.byteLength)
      r.fail('totalLength', `${totalLength} does not fit the ${packet.byteLength}-byte packet`, 2);
    r.skip(2, 'identification');
    const frag = r.u16('flags');
    r.skip(1, 'ttl');
    const protocol = r.u8('protocol');
    r.skip(2, 'checksum');
    const src = r.bytes(4, 'src');
    const dst = r.bytes(4, 'dst');
    r.skip(headerLength - 20, 'options');
    const firstFragment = (frag & 0x1fff) === 0;
    const hasPorts = firstFragment && PORTS.has(protocol) && totalLength - headerLength >= 4;
    return {
      version: 4,
      headerLength,
      totalLength,
      protocol,
      src,
      dst,
      ...readPorts(r, hasPorts),
      df: (frag & 0x4000) !== 0,
    };
  }
  if (version === 6) {
    r.skip(3, 'flow');
    const payloadLength = r.u16('payloadLength');
    const protocol = r.u8('nextHeader');
    r.skip(1, 'hopLimit');
    const src = r.bytes(16, 'src');
    const dst = r.bytes(16, 'dst');
    const totalLength = 40 + payloadLength;
    if (totalLength > packet.byteLength)
      r.fail('payloadLength', `${payloadLength} does not fit the ${packet.byteLength}-byte packet`, 4);
    return {
      version: 6,
      headerLength: 40,
      totalLength,
      protocol,
      src,
      dst,
      ...readPorts(r, PORTS.has(protocol) && payloadLength >= 4),
      df: true,
    };
  }
  return r.fail('version', `IP version ${version}`, 0);
}

/** The Internet checksum (RFC 1071): one's complement sum of 16-bit words. Not cryptographic. */
export function inetChecksum(data: Uint8Array, initial = 0): number {
  const r = new Reader(data, 'checksum');
  let sum = initial;
  while (r.remaining >= 2) sum += r.u16('word');
  if (r.remaining === 1) sum += r.u8('byte') << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An IPv4 header (no options) with its checksum, for packets the data plane originates or rebuilds. */
export function ipv4Header(
  src: Uint8Array,
  dst: Uint8Array,
  protocol: number,
  payloadLength: number,
  ttl = 64,
): Uint8Array {
  const build = (checksum: number) =>
    new Writer(20)
      .u8(0x45)
      .u8(0)
      .u16(20 + payloadLength)
      .u16(0)
      .u16(0x4000)
      .u8(ttl)
      .u8(protocol)
      .u16(checksum)
      .bytes(src)
      .bytes(dst)
      .finish();
  return build(inetChecksum(build(0)));
}

/** An IPv6 header for a rebuilt transport-mode packet. */
export function ipv6Header(src: Uint8Array, dst: Uint8Array, nextHeader: number, payloadLength: number): Uint8Array {
  return new Writer(40).u32(0x60000000).u16(payloadLength).u8(nextHeader).u8(64).bytes(src).bytes(dst).finish();
}

/**
 * The ICMP error telling the inner sender that `packet` does not fit `mtu`: from `from` (an address of ours) to the
 * packet's source. Quotes as much of the packet as RFC 1812 §4.3.2.3 / RFC 4443 §2.4(c) allow (576 / 1280 bytes).
 */
export function icmpTooBig(packet: Uint8Array, info: IpInfo, mtu: number, from: Uint8Array): Uint8Array {
  if (info.version === 4) {
    const quote = packet.subarray(0, Math.min(packet.byteLength, 576 - 20 - 8));
    const body = (checksum: number) =>
      new Writer(8 + quote.byteLength).u8(3).u8(4).u16(checksum).u16(0).u16(mtu).bytes(quote).finish();
    const icmp = body(inetChecksum(body(0)));
    return new Writer(20 + icmp.byteLength)
      .bytes(ipv4Header(from, info.src, IpProto.ICMP, icmp.byteLength))
      .bytes(icmp)
      .finish();
  }
  const quote = packet.subarray(0, Math.min(packet.byteLength, 1280 - 40 - 8));
  const len = 8 + quote.byteLength;
  // ICMPv6 checksum over the pseudo-header (RFC 8200 §8.1): src, dst, length, next header.
  const pseudo = new Writer(40).bytes(from).bytes(info.src).u32(len).u32(IpProto.ICMPV6).finish();
  const body = (checksum: number) => new Writer(len).u8(2).u8(0).u16(checksum).u32(mtu).bytes(quote).finish();
  const zero = body(0);
  const sum = inetChecksum(new Writer(pseudo.byteLength + zero.byteLength).bytes(pseudo).bytes(zero).finish());
  const icmp = body(sum);
  return new Writer(40 + len)
    .bytes(ipv6Header(from, info.src, IpProto.ICMPV6, len))
    .bytes(icmp)
    .finish();
}
