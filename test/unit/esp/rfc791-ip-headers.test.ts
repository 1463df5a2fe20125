/**
 * IP header fields for the data plane (RFC 791 §3.1, RFC 8200 §3), the Internet checksum (RFC 1071), ICMP errors
 * (RFC 792 / RFC 1191 §4, RFC 4443 §3.2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ParseError } from '../../../src/common/errors.ts';
import { Reader } from '../../../src/common/bytes.ts';
import { ipToBytes } from '../../../src/common/ip.ts';
import { icmpTooBig, inetChecksum, ipv4Header, ipv6Header, parseIp, IpProto } from '../../../src/esp/ip.ts';
import { udp4 } from './pair.ts';

test('IPv4: addresses, protocol, ports, DF; header round trip through ipv4Header', () => {
  const p = udp4('10.1.0.1', '10.2.0.1', new Uint8Array(10), { sport: 4000, dport: 53 });
  const ip = parseIp(p);
  assert.deepEqual(
    {
      v: ip.version,
      hl: ip.headerLength,
      tl: ip.totalLength,
      proto: ip.protocol,
      sp: ip.srcPort,
      dp: ip.dstPort,
      df: ip.df,
    },
    { v: 4, hl: 20, tl: 38, proto: 17, sp: 4000, dp: 53, df: true },
  );
  const rebuilt = ipv4Header(ip.src, ip.dst, ip.protocol, 18);
  assert.equal(inetChecksum(rebuilt), 0);
  assert.deepEqual(parseIp(new Uint8Array([...rebuilt, ...p.subarray(20)])).dst, ip.dst);
});

test('IPv6 header and ICMPv6 Packet Too Big', () => {
  const src = ipToBytes('fd00:1::1');
  const dst = ipToBytes('fd00:2::1');
  const hdr = ipv6Header(src, dst, IpProto.UDP, 12);
  const p = new Uint8Array([...hdr, 0x10, 0x00, 0x00, 0x35, 0, 12, 0, 0, 1, 2, 3, 4]);
  const ip = parseIp(p);
  assert.deepEqual([ip.version, ip.protocol, ip.srcPort, ip.dstPort, ip.totalLength], [6, 17, 4096, 53, 52]);
  const icmp = icmpTooBig(p, ip, 1280, dst);
  const back = parseIp(icmp);
  assert.equal(back.protocol, IpProto.ICMPV6);
  assert.deepEqual(back.dst, src);
  const r = new Reader(icmp.subarray(40), 'icmp6');
  assert.equal(r.u8('type'), 2);
  r.skip(3, 'code+checksum');
  assert.equal(r.u32('mtu'), 1280);
});

test('property: parseIp either parses within bounds or throws ParseError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
      try {
        const ip = parseIp(b);
        assert.ok(ip.totalLength <= b.byteLength && ip.headerLength <= ip.totalLength);
      } catch (e) {
        assert.ok(e instanceof ParseError);
      }
    }),
  );
});
