/**
 * Writes UDP datagrams into a pcap file (libpcap format, Ethernet/IPv4/UDP framing) and has tshark dissect it, so
 * tests can assert that Wireshark's independent IKEv2 dissector reads our bytes without malformed or expert errors.
 * Used by the IKE message tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writer } from '../../src/common/bytes.ts';

export interface UdpDatagram {
  payload: Uint8Array;
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  /** Prefix the 4-byte non-ESP marker (RFC 3948 §2.2); default true when either port is 4500. */
  nonEspMarker?: boolean;
  /** Seconds since the epoch (default: 1.000000 + index). */
  time?: number;
}

function ipv4(s: string): number[] {
  return s.split('.').map(Number);
}

function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.byteLength; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** One Ethernet/IPv4/UDP frame (UDP checksum 0, allowed for IPv4). */
export function udpFrame(d: UdpDatagram): Uint8Array {
  const src = ipv4(d.src ?? '192.0.2.1');
  const dst = ipv4(d.dst ?? '192.0.2.2');
  const marker = (d.nonEspMarker ?? (d.sport === 4500 || d.dport === 4500)) ? 4 : 0;
  const udpLen = 8 + marker + d.payload.byteLength;
  const ip = new Writer(20);
  ip.u8(0x45)
    .u8(0)
    .u16(20 + udpLen)
    .u16(0)
    .u16(0x4000)
    .u8(64)
    .u8(17)
    .u16(0);
  for (const b of [...src, ...dst]) ip.u8(b);
  const ipHeader = ip.finish();
  const sum = checksum(ipHeader);
  ipHeader[10] = sum >> 8;
  ipHeader[11] = sum & 0xff;
  const w = new Writer(14 + 20 + udpLen);
  w.bytes(new Uint8Array([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1])).u16(0x0800);
  w.bytes(ipHeader);
  w.u16(d.sport ?? 500)
    .u16(d.dport ?? 500)
    .u16(udpLen)
    .u16(0)
    .zeros(marker)
    .bytes(d.payload);
  return w.finish();
}

/** A pcap file (magic a1b2c3d4, version 2.4, LINKTYPE_ETHERNET) holding the datagrams. */
export function pcapOf(datagrams: readonly UdpDatagram[]): Uint8Array {
  const w = new Writer(1024);
  w.u32le(0xa1b2c3d4).u16le(2).u16le(4).u32le(0).u32le(0).u32le(65535).u32le(1);
  datagrams.forEach((d, i) => {
    const frame = udpFrame(d);
    const t = d.time ?? 1 + i;
    w.u32le(Math.floor(t)).u32le(Math.round((t % 1) * 1e6));
    w.u32le(frame.byteLength).u32le(frame.byteLength).bytes(frame);
  });
  return w.finish();
}

/** A row of Wireshark's IKEv2 decryption table (uat ikev2_decryption_table). */
export interface IkeDecryptionRow {
  spiI: bigint;
  spiR: bigint;
  skEi: Uint8Array;
  skEr: Uint8Array;
  /** Wireshark's name, e.g. "AES-GCM-256 with 16 octet ICV [RFC5282]". */
  encr: string;
  skAi?: Uint8Array;
  skAr?: Uint8Array;
  /** e.g. "NONE [RFC4306]" for AEADs. */
  integ: string;
}

export interface Dissection {
  /** `tshark -V` text. */
  text: string;
  /** Lines reporting malformed packets or expert errors/warnings. */
  problems: string[];
  /** tshark's exit status. */
  status: number | null;
}

const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? new Uint8Array(0)).toString('hex');
const spi = (v: bigint) => v.toString(16).padStart(16, '0');

/**
 * Runs `tshark -r <pcap> -V` (with IKEv2 decryption keys if given, as `-o uat:ikev2_decryption_table:…`) and
 * collects problem lines. Port 4500 datagrams get the non-ESP marker unless told otherwise.
 */
export function dissect(datagrams: readonly UdpDatagram[], keys: readonly IkeDecryptionRow[] = []): Dissection {
  const dir = mkdtempSync(join(tmpdir(), 'attestd-pcap-'));
  try {
    const file = join(dir, 'capture.pcap');
    writeFileSync(file, pcapOf(datagrams));
    const args = ['-r', file, '-V'];
    for (const k of keys) {
      const row = [spi(k.spiI), spi(k.spiR), hex(k.skEi), hex(k.skEr), k.encr, hex(k.skAi), hex(k.skAr), k.integ];
      const fields = row.map((x, i) => (i === 4 || i === 7 ? `"${x}"` : x));
      args.push('-o', `uat:ikev2_decryption_table:${fields.join(',')}`);
    }
    const r = spawnSync('tshark', args, {
      encoding: 'utf8',
      env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir },
      timeout: 60_000,
    });
    const text = r.stdout ?? '';
    const problems = text
      .split('\n')
      .filter((l) => /Malformed|\[Expert Info \((Error|Warning)|Dissector bug|Exception occurred/.test(l))
      .map((l) => l.trim());
    return { text, problems, status: r.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
