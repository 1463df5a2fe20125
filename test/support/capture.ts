/**
 * Packet capture in a test-bed namespace (tcpdump) and checks of the capture (tshark 4.0, Debian 12).
 *
 * - `startCapture(ns, iface, { filter })` writes a pcap in a temp dir; `stop()` returns its path.
 * - `dissect(pcap)` runs tshark over every packet and returns per-packet summaries and a list of problems: any
 *   `_ws.malformed`, any expert info of severity error or warning, UDP/500 payloads that tshark did not take for
 *   ISAKMP, and UDP/4500 payloads that are neither IKE (after the non-ESP marker), ESP nor a NAT-keepalive. Interop
 *   tests assert `problems` is empty.
 * - `decodeIke(pcap)` returns one record per IKE datagram (IP fragments reassembled by tshark): addresses, ports,
 *   whether the RFC 3948 non-ESP marker was present, and the IKE header, the unencrypted payload chain, the
 *   notify types in the clear and the SKF fragment number/total, read from the UDP payload by `parseIkeDatagram`.
 *
 * tshark dissects UDP/4500 as "udpencap" by default: a payload starting with four zero octets (the non-ESP marker,
 * RFC 3948 §2.2) is handed to ISAKMP, a single 0xff octet is a NAT-keepalive, anything else is ESP. Checked on
 * charon↔charon captures (frame.protocols `eth:ethertype:ip:udp:udpencap:isakmp` for IKE_AUTH on 4500).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reader, fromHex, toHex } from '../../src/common/bytes.ts';
import { reverse } from '../../src/common/names.ts';
import { run, spawnProcess, sleep, waitFor } from './proc.ts';
import type { Proc } from './proc.ts';

export interface Capture {
  readonly file: string;
  readonly dir: string;
  readonly proc: Proc;
  /** Waits `settleMs` (default 200) for packets in flight, stops tcpdump (SIGINT, so it flushes), returns the file. */
  stop(opts?: { settleMs?: number }): Promise<string>;
  /** Removes the temp dir (after `stop`). */
  remove(): void;
}

export interface CaptureOptions {
  /**
   * pcap-filter(7) expression; default: UDP 500/4500 and every non-first IP fragment (which has no UDP header, so
   * a bare port filter would drop it and tshark could not reassemble large IKE messages). Empty string = all.
   */
  filter?: string;
  /** Directory for the pcap (default: a new temp dir). */
  dir?: string;
  /** File name (default `capture.pcap`). */
  name?: string;
}

/** Default capture filter: IKE and ESP-in-UDP ports plus non-first IPv4/IPv6 fragments. */
export const IKE_FILTER = 'udp port 500 or udp port 4500 or (ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] == 44)';

/** Starts tcpdump on `iface` in namespace `ns` and waits until it listens. */
export async function startCapture(ns: string, iface: string, opts: CaptureOptions = {}): Promise<Capture> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'at-pcap-'));
  const file = join(dir, opts.name ?? 'capture.pcap');
  const filter = opts.filter ?? IKE_FILTER;
  const args = ['-i', iface, '-n', '-U', '--immediate-mode', '-s', '0', '-Z', 'root', '-w', file];
  if (filter) args.push(filter);
  const proc = spawnProcess('tcpdump', args, { ns, name: `tcpdump ${ns}/${iface}` });
  try {
    await waitFor(() => (proc.exitStatus() ? true : /listening on/.test(proc.stderr())), {
      what: `tcpdump listening on ${ns}/${iface}`,
      timeoutMs: 5000,
      detail: () => proc.stderr(),
    });
    if (proc.exitStatus()) throw new Error(`tcpdump exited: ${proc.stderr()}`);
  } catch (e) {
    await proc.stop({ graceMs: 500 });
    throw e;
  }
  let stopped: Promise<string> | undefined;
  return {
    file,
    dir,
    proc,
    stop: ({ settleMs = 200 } = {}) => {
      stopped ??= (async () => {
        await sleep(settleMs);
        await proc.stop({ signal: 'SIGINT', graceMs: 3000 });
        return file;
      })();
      return stopped;
    },
    remove: () => {
      if (opts.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// tshark

/** Expert info severities as tshark prints them (epan/proto.h PI_*). */
export const ExpertSeverity = {
  comment: 0x00100000,
  chat: 0x00200000,
  note: 0x00400000,
  warn: 0x00600000,
  error: 0x00800000,
} as const;
export const ExpertSeverityName = reverse(ExpertSeverity);

export interface ExpertInfo {
  frame: number;
  severity: string;
  group: string;
  message: string;
}

export interface PacketSummary {
  frame: number;
  /** Seconds since the first frame. */
  time: number;
  src: string;
  dst: string;
  srcPort: number | undefined;
  dstPort: number | undefined;
  /** tshark's protocol stack, e.g. `eth:ethertype:ip:udp:udpencap:isakmp`. */
  protocols: string;
  /** tshark's Info column. */
  info: string;
  length: number;
  malformed: boolean;
  expert: ExpertInfo[];
}

export interface Dissection {
  packets: PacketSummary[];
  /** Malformed packets, expert infos of severity warn or error, undissected IKE-port payloads. */
  problems: ExpertInfo[];
  /** Every expert info, any severity. */
  expert: ExpertInfo[];
}

const SEP = '\t';
const AGG = '\x1f';

/** Runs `tshark -r pcap -T fields` with the given fields (all occurrences, joined by \x1f); one array per frame. */
export async function tsharkFields(
  pcap: string,
  fields: readonly string[],
  opts: { filter?: string } = {},
): Promise<string[][]> {
  const args = [
    '-r',
    pcap,
    '-n',
    '-T',
    'fields',
    '-E',
    'separator=/t',
    '-E',
    `aggregator=${AGG}`,
    '-E',
    'occurrence=a',
    '-E',
    'quote=n',
  ];
  if (opts.filter) args.push('-Y', opts.filter);
  for (const f of fields) args.push('-e', f);
  const r = await run('tshark', args, { timeoutMs: 60_000 });
  return r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split(SEP));
}

const multi = (v: string | undefined): string[] => (v ? v.split(AGG) : []);
const num = (v: string | undefined): number | undefined => {
  const first = multi(v)[0];
  return first === undefined || first === '' ? undefined : Number(first);
};

const DISSECT_FIELDS = [
  'frame.number',
  'frame.time_relative',
  'ip.src',
  'ip.dst',
  'ipv6.src',
  'ipv6.dst',
  'udp.srcport',
  'udp.dstport',
  'frame.protocols',
  '_ws.col.Info',
  'frame.len',
  '_ws.malformed',
  '_ws.expert.severity',
  '_ws.expert.group',
  '_ws.expert.message',
] as const;

/** Expert groups (epan/proto.h PI_* group values) by name, for messages. */
const ExpertGroup = {
  Checksum: 0x01000000,
  Sequence: 0x02000000,
  'Response code': 0x03000000,
  Request: 0x04000000,
  Undecoded: 0x05000000,
  Reassemble: 0x06000000,
  Malformed: 0x07000000,
  Debug: 0x08000000,
  Protocol: 0x09000000,
  Security: 0x0a000000,
  Comment: 0x0b000000,
  Decryption: 0x0c000000,
  Assumption: 0x0d000000,
  Deprecated: 0x0e000000,
} as const;
const ExpertGroupName = reverse(ExpertGroup);

/** Dissects every packet; see file comment for what counts as a problem. */
export async function dissect(pcap: string): Promise<Dissection> {
  const rows = await tsharkFields(pcap, DISSECT_FIELDS);
  const packets: PacketSummary[] = [];
  const problems: ExpertInfo[] = [];
  const expert: ExpertInfo[] = [];
  for (const row of rows) {
    const [
      frameS,
      timeS,
      ipSrc,
      ipDst,
      ip6Src,
      ip6Dst,
      sp,
      dp,
      protocols = '',
      info = '',
      len,
      malformed,
      sev,
      grp,
      msg,
    ] = row;
    const frame = Number(frameS);
    const sevs = multi(sev);
    const grps = multi(grp);
    const msgs = multi(msg);
    const infos: ExpertInfo[] = sevs.map((s, i) => ({
      frame,
      severity: ExpertSeverityName.get(Number(s)) ?? s,
      group: ExpertGroupName.get(Number(grps[i])) ?? grps[i] ?? '',
      message: msgs[i] ?? '',
    }));
    const p: PacketSummary = {
      frame,
      time: Number(timeS),
      src: multi(ipSrc)[0] ?? multi(ip6Src)[0] ?? '',
      dst: multi(ipDst)[0] ?? multi(ip6Dst)[0] ?? '',
      srcPort: num(sp),
      dstPort: num(dp),
      protocols,
      info,
      length: Number(len),
      malformed: (malformed ?? '') !== '',
      expert: infos,
    };
    packets.push(p);
    expert.push(...infos);
    for (const x of infos) if (x.severity === 'error' || x.severity === 'warn') problems.push(x);
    if (p.malformed && !infos.some((x) => x.group === 'Malformed'))
      problems.push({ frame, severity: 'error', group: 'Malformed', message: 'malformed packet' });
    const layers = protocols.split(':');
    const onPort = (port: number) => p.srcPort === port || p.dstPort === port;
    // IP fragments: only the reassembled (last) frame carries the UDP layer, so look at UDP frames only.
    if (layers.includes('udp') && !layers.includes('icmp')) {
      if (onPort(500) && !onPort(4500) && !layers.includes('isakmp'))
        problems.push({
          frame,
          severity: 'warn',
          group: 'Undecoded',
          message: `UDP/500 payload not dissected as IKE (${protocols})`,
        });
      if (onPort(4500) && !layers.includes('isakmp') && !layers.includes('esp') && !/NAT-keepalive/i.test(info))
        problems.push({
          frame,
          severity: 'warn',
          group: 'Undecoded',
          message: `UDP/4500 payload neither IKE, ESP nor keepalive (${protocols})`,
        });
    }
  }
  return { packets, problems, expert };
}

/** One-line rendering of problems for assertion messages. */
export function formatProblems(problems: readonly ExpertInfo[]): string {
  return problems.map((x) => `frame ${x.frame}: ${x.severity} [${x.group}] ${x.message}`).join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// IKE datagrams (RFC 7296 §3.1, §3.2, §3.10; RFC 7383 §2.5; RFC 3948 §2.2)

/** IKEv2 exchange types (RFC 7296 §3.1, RFC 9242, RFC 9370). */
export const IkeExchange = {
  IKE_SA_INIT: 34,
  IKE_AUTH: 35,
  CREATE_CHILD_SA: 36,
  INFORMATIONAL: 37,
  IKE_SESSION_RESUME: 38,
  IKE_INTERMEDIATE: 43,
  IKE_FOLLOWUP_KE: 44,
} as const;
export const IkeExchangeName = reverse(IkeExchange);

/** IKEv2 payload types (RFC 7296 §3.2, RFC 7383). */
export const IkePayload = {
  NONE: 0,
  SA: 33,
  KE: 34,
  IDi: 35,
  IDr: 36,
  CERT: 37,
  CERTREQ: 38,
  AUTH: 39,
  NONCE: 40,
  N: 41,
  D: 42,
  V: 43,
  TSi: 44,
  TSr: 45,
  SK: 46,
  CP: 47,
  EAP: 48,
  SKF: 53,
} as const;
export const IkePayloadName = reverse(IkePayload);

/** Notify types (IANA IKEv2 Notify Message Types: RFC 7296 §3.10.1, RFC 4555, RFC 5685, RFC 5998, RFC 7383, RFC 7427, RFC 9242 …). */
export const IkeNotify = {
  UNSUPPORTED_CRITICAL_PAYLOAD: 1,
  INVALID_IKE_SPI: 4,
  INVALID_MAJOR_VERSION: 5,
  INVALID_SYNTAX: 7,
  INVALID_MESSAGE_ID: 9,
  INVALID_SPI: 11,
  NO_PROPOSAL_CHOSEN: 14,
  INVALID_KE_PAYLOAD: 17,
  AUTHENTICATION_FAILED: 24,
  TEMPORARY_FAILURE: 43,
  CHILD_SA_NOT_FOUND: 44,
  INITIAL_CONTACT: 16384,
  SET_WINDOW_SIZE: 16385,
  ADDITIONAL_TS_POSSIBLE: 16386,
  IPCOMP_SUPPORTED: 16387,
  NAT_DETECTION_SOURCE_IP: 16388,
  NAT_DETECTION_DESTINATION_IP: 16389,
  COOKIE: 16390,
  USE_TRANSPORT_MODE: 16391,
  REKEY_SA: 16393,
  ESP_TFC_PADDING_NOT_SUPPORTED: 16394,
  MOBIKE_SUPPORTED: 16396,
  NO_ADDITIONAL_ADDRESSES: 16399,
  MULTIPLE_AUTH_SUPPORTED: 16404,
  REDIRECT_SUPPORTED: 16406,
  EAP_ONLY_AUTHENTICATION: 16417,
  CHILDLESS_IKEV2_SUPPORTED: 16418,
  IKEV2_FRAGMENTATION_SUPPORTED: 16430,
  SIGNATURE_HASH_ALGORITHMS: 16431,
  INTERMEDIATE_EXCHANGE_SUPPORTED: 16438,
} as const;
export const IkeNotifyName = reverse(IkeNotify);

export interface IkeDatagram {
  /** RFC 3948 non-ESP marker (four zero octets) before the IKE header. */
  nonEspMarker: boolean;
  ispi: string;
  rspi: string;
  /** Next-payload field of the header: the first payload type. */
  firstPayload: number;
  version: number;
  exchange: number;
  exchangeName: string;
  flags: number;
  initiator: boolean;
  response: boolean;
  messageId: number;
  length: number;
  /** Payload types of the unencrypted chain, ending with SK or SKF if present. */
  payloads: number[];
  payloadNames: string[];
  /** Next-payload field of SK / the first SKF fragment: the first encrypted payload type (0 for later fragments). */
  encryptedFirst: number | undefined;
  /** Notify message types in the clear, with their data in hex. */
  notifies: { type: number; name: string; data: string }[];
  /** SKF (RFC 7383 §2.5) fragment number and total. */
  fragment: { number: number; total: number } | undefined;
}

/**
 * Parses an IKE datagram (UDP payload) far enough for wire assertions. With `port4500`, a leading non-ESP marker is
 * required and skipped. Throws ParseError on truncation or a payload chain that does not fit the header's length.
 */
export function parseIkeDatagram(udpPayload: Uint8Array, port4500 = false): IkeDatagram {
  const outer = new Reader(udpPayload, 'ike');
  let nonEspMarker = false;
  if (port4500) {
    const marker = outer.u32('non_esp_marker');
    if (marker !== 0) outer.fail('non_esp_marker', `not a non-ESP marker (0x${marker.toString(16)})`, 0);
    nonEspMarker = true;
  }
  const start = outer.offset;
  const ispi = toHex(outer.bytes(8, 'ispi'));
  const rspi = toHex(outer.bytes(8, 'rspi'));
  const firstPayload = outer.u8('next_payload');
  const version = outer.u8('version');
  const exchange = outer.u8('exchange_type');
  const flags = outer.u8('flags');
  const messageId = outer.u32('message_id');
  const length = outer.u32('length');
  if (length < 28 || length > udpPayload.byteLength - start)
    outer.fail(
      'length',
      `IKE length ${length} does not fit a datagram of ${udpPayload.byteLength - start} bytes`,
      start + 24,
    );
  const r = outer.sub(length - 28, 'payloads');
  const payloads: number[] = [];
  const notifies: IkeDatagram['notifies'] = [];
  let fragment: IkeDatagram['fragment'];
  let encryptedFirst: number | undefined;
  let next = firstPayload;
  let i = 0;
  while (next !== IkePayload.NONE) {
    const type = next;
    const field = `payload[${i++}]`;
    payloads.push(type);
    next = r.u8(`${field}.next_payload`);
    r.u8(`${field}.critical`);
    const plen = r.u16(`${field}.length`);
    if (plen < 4) r.fail(`${field}.length`, `payload length ${plen} < 4`, r.offset - 2);
    const body = r.sub(plen - 4, `${field}.body`);
    if (type === IkePayload.N) {
      body.u8('protocol_id');
      const spiSize = body.u8('spi_size');
      const ntype = body.u16('notify_type');
      body.skip(spiSize, 'spi');
      notifies.push({ type: ntype, name: IkeNotifyName.get(ntype) ?? String(ntype), data: toHex(body.rest('data')) });
    }
    if (type === IkePayload.SK || type === IkePayload.SKF) {
      if (type === IkePayload.SKF)
        fragment = { number: body.u16('fragment_number'), total: body.u16('total_fragments') };
      encryptedFirst = next;
      // What follows SK/SKF is encrypted; SK is the last payload of a message (RFC 7296 §3.14).
      r.end('after_sk');
      break;
    }
  }
  r.end();
  return {
    nonEspMarker,
    ispi,
    rspi,
    firstPayload,
    version,
    exchange,
    exchangeName: IkeExchangeName.get(exchange) ?? String(exchange),
    flags,
    initiator: (flags & 0x08) !== 0,
    response: (flags & 0x20) !== 0,
    messageId,
    length,
    payloads,
    payloadNames: payloads.map((p) => IkePayloadName.get(p) ?? String(p)),
    encryptedFirst,
    notifies,
    fragment,
  };
}

export interface IkePacket extends IkeDatagram {
  /** The UDP payload as captured (with the non-ESP marker on 4500): for replays and fuzz seeds. */
  udpPayload: Uint8Array;
  frame: number;
  time: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
}

export interface EspPacket {
  frame: number;
  time: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  spi: number;
}

/** IKE datagrams of a capture in order (see `parseIkeDatagram`); ESP-in-UDP packets in `esp`. */
export async function decodeIke(pcap: string): Promise<{ ike: IkePacket[]; esp: EspPacket[]; errors: string[] }> {
  const rows = await tsharkFields(
    pcap,
    [
      'frame.number',
      'frame.time_relative',
      'ip.src',
      'ip.dst',
      'ipv6.src',
      'ipv6.dst',
      'udp.srcport',
      'udp.dstport',
      'frame.protocols',
      'udp.payload',
      'esp.spi',
    ],
    { filter: 'udp' },
  );
  const ike: IkePacket[] = [];
  const esp: EspPacket[] = [];
  const errors: string[] = [];
  for (const [frameS, timeS, ipSrc, ipDst, ip6Src, ip6Dst, sp, dp, protocols = '', payload, spi] of rows) {
    const base = {
      frame: Number(frameS),
      time: Number(timeS),
      src: multi(ipSrc)[0] ?? multi(ip6Src)[0] ?? '',
      dst: multi(ipDst)[0] ?? multi(ip6Dst)[0] ?? '',
      srcPort: num(sp) ?? 0,
      dstPort: num(dp) ?? 0,
    };
    const layers = protocols.split(':');
    if (layers.includes('esp')) {
      esp.push({ ...base, spi: Number(multi(spi)[0] ?? 0) });
      continue;
    }
    if (!layers.includes('isakmp')) continue;
    const hex = (multi(payload)[0] ?? '').replace(/:/g, '');
    const port4500 = base.srcPort === 4500 || base.dstPort === 4500;
    try {
      const udpPayload = fromHex(hex);
      ike.push({ ...base, udpPayload, ...parseIkeDatagram(udpPayload, port4500) });
    } catch (e) {
      errors.push(`frame ${base.frame}: ${(e as Error).message}`);
    }
  }
  return { ike, esp, errors };
}
