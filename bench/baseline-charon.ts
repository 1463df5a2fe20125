/**
 * Library for benches (not a suite): a charon ↔ charon baseline on a two-namespace test bed, and measurements
 * through it.
 *
 * - `setupCharonPair` starts charon in both namespaces with a PSK connection `c` / child `ch` (encap = yes,
 *   kernel-libipsec, the given proposals, inner addresses 10.1.0.1/32 ↔ 10.2.0.1/32) and, unless told not to,
 *   initiates it from the left.
 * - `iperf3Between` runs iperf3 between two hosts (inner addresses by default, so traffic crosses the tunnel) and
 *   returns Mbit/s; `pingStats` returns RTT percentiles.
 *
 * The DoS thresholds are raised by default (`cookie_threshold`, `cookie_threshold_ip`, `block_threshold`), since a
 * setup-rate bench initiates many IKE_SAs from one address (INTEROP §1).
 */
import { createTestbed } from '../test/support/netns.ts';
import type { Testbed, TestbedHost } from '../test/support/netns.ts';
import { startCharon } from '../test/support/charon.ts';
import type { Charon, CharonSettings, LogLevels } from '../test/support/charon.ts';
import { waitFor } from '../test/support/proc.ts';
import { ConfigError, StateError } from '../src/common/errors.ts';
import { percentile } from './lib/stats.ts';

export interface ConnOptions {
  me: TestbedHost;
  peer: TestbedHost;
  /** IKE proposals (default aes256gcm16-prfsha256-x25519). */
  proposals?: string;
  /** ESP proposals (default aes256gcm16). */
  espProposals?: string;
  /** `psk` (default) or `pubkey` with the own certificate file `<me.name>.pem` in swanctl/x509. */
  auth?: 'psk' | 'pubkey';
  psk?: string;
  /** Connection and child names (default c / ch). */
  connection?: string;
  child?: string;
  /** Child start_action (default none). */
  startAction?: 'none' | 'trap' | 'start';
  /** Extra `key = value` lines for the connection section (e.g. `fragmentation = force`, `dpd_delay = 2s`). */
  extra?: string[];
  /** Extra lines for the child section (e.g. `rekey_time = 10s`). */
  childExtra?: string[];
  /** Address family of the outer and inner addresses (6 needs a test bed made with `ipv6: true`). */
  family?: 4 | 6;
}
/** Former name, kept for callers that only do PSK. */
export type PskConnOptions = ConnOptions;

/**
 * swanctl.conf text for one side of a connection between two test-bed hosts (one `key = value` per line, which
 * swanctl requires). Identities are the host names (FQDN identities; `pkiCertificates` puts them in the SAN).
 */
export function swanctlConf(o: ConnOptions): string {
  const conn = o.connection ?? 'c';
  const child = o.child ?? 'ch';
  const auth = o.auth ?? 'psk';
  const v6 = o.family === 6;
  const pick = (h: TestbedHost, inner: boolean): string => {
    const a = v6 ? (inner ? h.inner6 : h.addr6) : inner ? h.inner : h.addr;
    if (!a) throw new ConfigError(`host ${h.name} has no IPv6 addresses (createTestbed({ ipv6: true }))`);
    return inner ? `${a}/${v6 ? 128 : 32}` : a;
  };
  const lines = [
    'connections {',
    `  ${conn} {`,
    `    local_addrs = ${pick(o.me, false)}`,
    `    remote_addrs = ${pick(o.peer, false)}`,
    '    encap = yes',
    `    proposals = ${o.proposals ?? 'aes256gcm16-prfsha256-x25519'}`,
    ...(o.extra ?? []).map((l) => `    ${l}`),
    '    local {',
    `      auth = ${auth}`,
    `      id = ${o.me.name}`,
    ...(auth === 'pubkey' ? [`      certs = ${o.me.name}.pem`] : []),
    '    }',
    '    remote {',
    `      auth = ${auth}`,
    `      id = ${o.peer.name}`,
    '    }',
    '    children {',
    `      ${child} {`,
    `        local_ts = ${pick(o.me, true)}`,
    `        remote_ts = ${pick(o.peer, true)}`,
    `        esp_proposals = ${o.espProposals ?? 'aes256gcm16'}`,
    `        start_action = ${o.startAction ?? 'none'}`,
    ...(o.childExtra ?? []).map((l) => `        ${l}`),
    '      }',
    '    }',
    '  }',
    '}',
  ];
  if (auth === 'psk')
    lines.push(
      'secrets {',
      `  ike-${conn} {`,
      `    id-1 = ${o.me.name}`,
      `    id-2 = ${o.peer.name}`,
      `    secret = "${o.psk ?? 'attestd-bench-psk'}"`,
      '  }',
      '}',
    );
  return lines.join('\n') + '\n';
}

/** `swanctlConf` with PSK authentication. */
export function pskSwanctlConf(o: Omit<ConnOptions, 'auth'>): string {
  return swanctlConf({ ...o, auth: 'psk' });
}

export interface CharonPairOptions extends Omit<ConnOptions, 'me' | 'peer' | 'auth'> {
  /** strongswan.conf settings for both sides (merged over the bench defaults). */
  settings?: CharonSettings;
  logLevels?: LogLevels;
  /** Initiate `ch` from the left and wait for INSTALLED on both sides (default true). */
  initiate?: boolean;
}

export interface CharonPair {
  testbed: Testbed;
  left: TestbedHost;
  right: TestbedHost;
  leftCharon: Charon;
  rightCharon: Charon;
  connection: string;
  child: string;
  /** Stops both charons and removes the namespaces. */
  destroy(): Promise<string[]>;
}

/** Bench defaults: DoS thresholds out of the way, quiet logs. */
export const BENCH_SETTINGS: CharonSettings = {
  cookieThreshold: 100_000,
  cookieThresholdIp: 100_000,
  blockThreshold: 100_001,
};

export async function setupCharonPair(opts: CharonPairOptions = {}): Promise<CharonPair> {
  const testbed = await createTestbed({ hosts: 2 });
  try {
    const [left, right] = testbed.hosts as [TestbedHost, TestbedHost];
    const settings = { ...BENCH_SETTINGS, ...opts.settings };
    const logLevels = opts.logLevels ?? { default: 0, ike: 1, cfg: 0 };
    const [leftCharon, rightCharon] = await Promise.all([
      startCharon(left, {
        swanctlConf: pskSwanctlConf({ ...opts, me: left, peer: right }),
        strongswanConf: settings,
        logLevels,
        testbed,
      }),
      startCharon(right, {
        swanctlConf: pskSwanctlConf({ ...opts, me: right, peer: left }),
        strongswanConf: settings,
        logLevels,
        testbed,
      }),
    ]);
    const connection = opts.connection ?? 'c';
    const child = opts.child ?? 'ch';
    if (opts.initiate ?? true) {
      await leftCharon.initiate(child, connection);
      await rightCharon.waitForSa(connection, { child });
    }
    return { testbed, left, right, leftCharon, rightCharon, connection, child, destroy: () => testbed.destroy() };
  } catch (e) {
    await testbed.destroy();
    throw e;
  }
}

export interface IperfResult {
  /** Receiver-side throughput. */
  mbps: number;
  /** Sender-side throughput. */
  senderMbps: number;
  /** TCP retransmissions (sender), if reported. */
  retransmits: number | undefined;
  seconds: number;
}

/**
 * iperf3 (TCP) from `from` to `to` for `seconds`. With `inner` (default) it binds to and targets the inner
 * addresses, so the traffic crosses an IPsec tunnel between them.
 */
export async function iperf3Between(
  testbed: Testbed,
  from: TestbedHost | string,
  to: TestbedHost | string,
  seconds: number,
  opts: { inner?: boolean; port?: number; extraArgs?: string[] } = {},
): Promise<IperfResult> {
  const src = testbed.host(typeof from === 'string' ? from : from.name);
  const dst = testbed.host(typeof to === 'string' ? to : to.name);
  const inner = opts.inner ?? true;
  const srcAddr = inner ? src.inner : src.addr;
  const dstAddr = inner ? dst.inner : dst.addr;
  // Each host has its own namespace, so a fixed port cannot collide with another test bed.
  const port = String(opts.port ?? 5201);
  const server = testbed.spawn(dst, 'iperf3', ['-s', '-1', '-B', dstAddr, '-p', port], {
    name: `iperf3 server ${dst.name}`,
  });
  try {
    await waitFor(
      async () => {
        if (server.exitStatus()) throw new StateError(`iperf3 server exited: ${server.stderr()}`);
        const r = await testbed.exec(dst, 'ss', ['-Hltn', `sport = :${port}`]);
        return r.stdout.includes(`:${port}`);
      },
      { what: `iperf3 server on ${dst.name}:${port}`, timeoutMs: 5000 },
    );
    const r = await testbed.exec(
      src,
      'iperf3',
      ['-c', dstAddr, '-B', srcAddr, '-p', port, '-t', String(seconds), '-J', ...(opts.extraArgs ?? [])],
      {
        timeoutMs: (seconds + 20) * 1000,
      },
    );
    const j = JSON.parse(r.stdout) as {
      end?: {
        sum_received?: { bits_per_second?: number };
        sum_sent?: { bits_per_second?: number; retransmits?: number };
      };
      error?: string;
    };
    if (j.error || !j.end?.sum_received?.bits_per_second) throw new StateError(`iperf3: ${j.error ?? 'no result'}`);
    return {
      mbps: j.end.sum_received.bits_per_second / 1e6,
      senderMbps: (j.end.sum_sent?.bits_per_second ?? 0) / 1e6,
      retransmits: j.end.sum_sent?.retransmits,
      seconds,
    };
  } finally {
    await server.stop({ graceMs: 1000 });
  }
}

export interface PingStats {
  sent: number;
  received: number;
  /** Round-trip times in ms, in the order received. */
  rtts: number[];
  min: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** Parses `ping` output: RTTs (`time=… ms`) and the transmitted/received counts. */
export function parsePing(out: string): { sent: number; received: number; rtts: number[] } {
  const rtts = [...out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  return { sent: Number(m?.[1] ?? 0), received: Number(m?.[2] ?? rtts.length), rtts };
}

/**
 * Pings `toAddr` from `from` `count` times (source = `from`'s inner address unless `source` is given, so the
 * packets cross the tunnel) and returns RTT statistics in ms. Throws if nothing came back.
 */
export async function pingStats(
  testbed: Testbed,
  from: TestbedHost | string,
  toAddr: string,
  count: number,
  opts: { source?: string; intervalS?: number; size?: number } = {},
): Promise<PingStats> {
  const src = testbed.host(typeof from === 'string' ? from : from.name);
  if (!Number.isInteger(count) || count < 1) throw new ConfigError(`ping count ${count}`);
  const interval = opts.intervalS ?? 0.01;
  // No -q: the per-packet lines carry the RTTs.
  const args = ['-n', '-c', String(count), '-i', String(interval), '-W', '1', '-I', opts.source ?? src.inner];
  if (opts.size !== undefined) args.push('-s', String(opts.size));
  const r = await testbed.exec(src, 'ping', [...args, toAddr], {
    allowFail: true,
    timeoutMs: (count * interval + 10) * 1000,
  });
  const p = parsePing(r.stdout);
  if (!p.rtts.length) throw new StateError(`ping ${toAddr} from ${src.name}: no replies\n${r.stdout}${r.stderr}`);
  const sorted = [...p.rtts].sort((a, b) => a - b);
  return {
    ...p,
    min: sorted[0] as number,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] as number,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}
