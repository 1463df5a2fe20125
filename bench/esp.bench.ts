/**
 * `npm run bench -- esp [seconds] [suite]`: the userspace ESP data plane, ours ↔ ours (tun data plane) against
 * charon ↔ charon (kernel-libipsec), both with ESP-in-UDP between two namespaces, in one run:
 *   - TCP throughput (iperf3, inner addresses, `seconds` each, default 10), left → right;
 *   - ping RTT p50 / p99 (200 pings, 10 ms apart);
 *   - CPU seconds (user + system of both IPsec daemons) per GB carried;
 *   - the fraction of the single-core AES-GCM limit reached (`openssl speed -evp aes-256-gcm` at 1,024 and
 *     8,192-byte blocks): every byte is sealed once by the sender and opened once by the receiver, each on its own
 *     core, so the limit for one direction is that speed.
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { result } from '../test/support/harness.ts';
import type { BenchResult } from '../test/support/harness.ts';
import { iperf3Between, pingStats, setupCharonPair } from './baseline-charon.ts';
import { setupEspBed } from '../test/interop/esp.suite.ts';
import type { Testbed, TestbedHost } from '../test/support/netns.ts';

type Log = (s: string) => void;

/** user + system CPU seconds of a process (and its threads), from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

interface Measured {
  mbps: number;
  p50: number;
  p99: number;
  cpuPerGb: number;
}

async function measure(
  tb: Testbed,
  left: TestbedHost,
  right: TestbedHost,
  pids: number[],
  seconds: number,
  log: Log,
  who: string,
): Promise<Measured> {
  // Warm-up (TCP slow start, ARP, first packets through the TUN devices).
  await iperf3Between(tb, left, right, 1);
  const cpu0 = pids.map(cpuSeconds);
  const tcp = await iperf3Between(tb, left, right, seconds);
  const cpu = pids.map(cpuSeconds).reduce((s, c, i) => s + c - (cpu0[i] ?? 0), 0);
  const gb = (tcp.mbps * 1e6 * seconds) / 8 / 1e9;
  const ping = await pingStats(tb, left, right.inner, 200, { intervalS: 0.01 });
  log(
    `${who}: ${tcp.mbps.toFixed(0)} Mbit/s (retransmits ${tcp.retransmits ?? '-'}), ping p50 ${ping.p50} p99 ${ping.p99} ms, ` +
      `${cpu.toFixed(2)} CPU s for ${gb.toFixed(2)} GB`,
  );
  return { mbps: tcp.mbps, p50: ping.p50, p99: ping.p99, cpuPerGb: gb > 0 ? cpu / gb : 0 };
}

/** Single-core AES-256-GCM speed in Mbit/s at the given block size. */
function opensslGcm(bytes: number): number {
  const r = spawnSync('openssl', ['speed', '-evp', 'aes-256-gcm', '-seconds', '1', '-bytes', String(bytes)], {
    encoding: 'utf8',
  });
  const line = r.stdout.split('\n').find((l) => /^AES-256-GCM|^aes-256-gcm/i.test(l.trim()));
  const kbs = Number((line?.trim().split(/\s+/).pop() ?? '0').replace(/k$/, ''));
  return (kbs * 1000 * 8) / 1e6;
}

export async function run({ args, log }: { args: string[]; log: Log }): Promise<BenchResult[]> {
  const seconds = Number(args.find((a) => /^\d+$/.test(a)) ?? 10);
  const esp = args.find((a) => !/^\d+$/.test(a)) ?? 'aes256gcm16';

  const bed = await setupEspBed('attestd', { espProposals: esp });
  let ours: Measured;
  try {
    const peer = bed.peer.kind === 'attestd' ? bed.peer.daemon.proc.pid : 0;
    ours = await measure(
      bed.tb,
      bed.left,
      bed.right,
      [bed.ours.proc.pid, peer],
      seconds,
      log,
      `attestd ↔ attestd ${esp}`,
    );
  } finally {
    await bed.destroy();
  }

  const pair = await setupCharonPair({ espProposals: esp });
  let peer: Measured;
  try {
    peer = await measure(
      pair.testbed,
      pair.left,
      pair.right,
      [pair.leftCharon.pid, pair.rightCharon.pid],
      seconds,
      log,
      `charon ↔ charon ${esp}`,
    );
  } finally {
    await pair.destroy();
  }

  const gcm1k = opensslGcm(1024);
  const gcm8k = opensslGcm(8192);
  log(`openssl speed aes-256-gcm: ${gcm1k.toFixed(0)} Mbit/s at 1 KiB, ${gcm8k.toFixed(0)} Mbit/s at 8 KiB`);
  const peerName = 'charon kernel-libipsec';
  return [
    result(`TCP throughput ${esp}`, 'Mbit/s', ours.mbps, peer.mbps, peerName, 'higher'),
    result('ping RTT p50', 'ms', ours.p50, peer.p50, peerName, 'lower'),
    result('ping RTT p99', 'ms', ours.p99, peer.p99, peerName, 'lower'),
    result('CPU per GB (both daemons)', 's/GB', ours.cpuPerGb, peer.cpuPerGb, peerName, 'lower'),
    result(
      'fraction of the AES-GCM limit (1 KiB blocks)',
      '%',
      (100 * ours.mbps) / gcm1k,
      (100 * peer.mbps) / gcm1k,
      peerName,
      'higher',
    ),
    result(
      'fraction of the AES-GCM limit (8 KiB blocks)',
      '%',
      (100 * ours.mbps) / gcm8k,
      (100 * peer.mbps) / gcm8k,
      peerName,
      'higher',
    ),
  ];
}
