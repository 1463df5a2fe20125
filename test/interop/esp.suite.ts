/**
 * `npm run interop -- esp`: traffic through our userspace ESP data plane (TUN device + ESP-in-UDP on port 4500).
 *
 * Two namespaces (test/support/netns.ts): left runs our daemon, right runs charon (kernel-libipsec, encap = yes)
 * or a second daemon of ours. Inner addresses are the hosts' 10.x.0.1/32 on lo; our daemon routes the peer's inner
 * address through attestd0. Per ESP suite (aes256gcm16, aes128-sha256, chacha20poly1305) and pairing: ping and a
 * TCP transfer in both directions. Then, per pairing: traffic across a CHILD_SA rekey with no stall over 1 s; a
 * captured ESP packet injected again is dropped as a replay; a packet with a flipped bit (and a sequence number
 * ahead of the window, so the replay check passes) is dropped as an ICV failure — both counted in `list-sas`.
 *
 * ESP_TRANSFER (default 50M) sets the TCP transfer size; esp-interop.test.ts runs the suite with less.
 */
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestbed, sendUdp } from '../support/netns.ts';
import type { Testbed, TestbedHost } from '../support/netns.ts';
import { startCharon } from '../support/charon.ts';
import type { Charon } from '../support/charon.ts';
import { sleep, waitFor } from '../support/proc.ts';
import type { Proc } from '../support/proc.ts';
import { controlRequest } from '../../src/daemon/control.ts';
import type { SaInfo } from '../../src/ike/engine.ts';
import type { ChildSaCounters } from '../../src/ike/dataplane.ts';
import { BENCH_SETTINGS, pingStats, pskSwanctlConf } from '../../bench/baseline-charon.ts';
import type { ConnOptions } from '../../bench/baseline-charon.ts';
import { Reader, Writer, fromHex } from '../../src/common/bytes.ts';
import { StateError } from '../../src/common/errors.ts';

type Ctx = { scenario: (name: string, fn: () => Promise<string | void>) => Promise<boolean>; log: (s: string) => void };

const ROOT = resolve(import.meta.dirname, '../..');
const NODE = process.execPath;

export type ListedSa = SaInfo & { children: (SaInfo['children'][number] & { counters?: ChildSaCounters })[] };

export interface Attestd {
  host: TestbedHost;
  control: string;
  proc: Proc;
  request(req: { cmd: string; [k: string]: unknown }, timeoutMs?: number): Promise<unknown>;
  list(): Promise<ListedSa[]>;
  describe(): string;
  stop(): Promise<void>;
}

/** Starts `attestd daemon` in a host's namespace with the tun data plane. */
export async function startAttestd(
  tb: Testbed,
  host: TestbedHost,
  swanctlConf: string,
  extraArgs: string[] = [],
): Promise<Attestd> {
  const dir = mkdtempSync(join(tmpdir(), `attestd-esp-${host.name}-`));
  const conf = join(dir, 'swanctl.conf');
  writeFileSync(conf, swanctlConf);
  const control = join(dir, 'control.sock');
  const proc = tb.spawn(
    host,
    NODE,
    [
      join(ROOT, 'src/cli/main.ts'),
      'daemon',
      '--config',
      conf,
      '--control',
      control,
      '--data-plane',
      'tun',
      ...extraArgs,
    ],
    { name: `attestd ${host.name}` },
  );
  const describe = () =>
    `attestd ${host.name}: ${JSON.stringify(proc.exitStatus())}\n${proc.stdout().slice(-3000)}${proc.stderr().slice(-3000)}`;
  const request = (req: { cmd: string; [k: string]: unknown }, timeoutMs = 20_000) =>
    controlRequest(control, req, timeoutMs);
  const stop = async () => {
    // proc.stop's grace timer is unref'd; keep this process alive until the daemon is gone (the CLI daemon does
    // not always exit after SIGTERM, and is then killed after the grace period).
    const keep = setInterval(() => undefined, 100);
    await proc.stop({ graceMs: 2000 }).finally(() => clearInterval(keep));
    rmSync(dir, { recursive: true, force: true });
  };
  tb.onDestroy(stop);
  await waitFor(
    async () => {
      if (proc.exitStatus()) throw new StateError(describe());
      return existsSync(control) && (await request({ cmd: 'list-conns' }, 2000)) !== undefined;
    },
    { what: `attestd control socket on ${host.name}`, timeoutMs: 15_000, detail: describe },
  );
  return {
    host,
    control,
    proc,
    request,
    list: async () => (await request({ cmd: 'list-sas' })) as ListedSa[],
    describe,
    stop,
  };
}

export type Peer = { kind: 'charon'; charon: Charon } | { kind: 'attestd'; daemon: Attestd };

export interface EspBed {
  tb: Testbed;
  left: TestbedHost;
  right: TestbedHost;
  ours: Attestd;
  peer: Peer;
  destroy(): Promise<string[]>;
}

/** Left = our daemon (initiator), right = charon or ours; one CHILD_SA `ch` of connection `c` established. */
export async function setupEspBed(
  peerKind: 'charon' | 'attestd',
  conn: Omit<ConnOptions, 'me' | 'peer'>,
): Promise<EspBed> {
  const tb = await createTestbed({ hosts: 2 });
  try {
    const [left, right] = tb.hosts as [TestbedHost, TestbedHost];
    const rightConf = pskSwanctlConf({ ...conn, me: right, peer: left });
    let peer: Peer;
    if (peerKind === 'charon') {
      const charon = await startCharon(right, {
        swanctlConf: rightConf,
        strongswanConf: BENCH_SETTINGS,
        logLevels: { default: 0, ike: 1, cfg: 0 },
        testbed: tb,
      });
      peer = { kind: 'charon', charon };
    } else {
      peer = { kind: 'attestd', daemon: await startAttestd(tb, right, rightConf) };
    }
    const ours = await startAttestd(tb, left, pskSwanctlConf({ ...conn, me: left, peer: right }));
    const up = (await ours.request({ cmd: 'initiate', ike: 'c', child: 'ch' })) as ListedSa | undefined;
    if (!up?.children.length) throw new StateError(`no CHILD_SA: ${JSON.stringify(up)}\n${ours.describe()}`);
    if (peer.kind === 'charon') await peer.charon.waitForSa('c', { child: 'ch' });
    return { tb, left, right, ours, peer, destroy: () => tb.destroy() };
  } catch (e) {
    await tb.destroy();
    throw e;
  }
}

/** Counters of our (left) side's installed CHILD_SA(s), summed. */
export async function ourCounters(bed: EspBed): Promise<ChildSaCounters> {
  const sum: ChildSaCounters = { bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0, replayDrops: 0, icvFailures: 0 };
  for (const sa of await bed.ours.list())
    for (const c of sa.children)
      if (c.counters) for (const k of Object.keys(sum) as (keyof ChildSaCounters)[]) sum[k] += c.counters[k];
  return sum;
}

/**
 * Captures one ESP-in-UDP packet arriving at `host` (UDP payload). tcpdump must be listening before the traffic
 * starts (on a loaded machine it takes a while), and `traffic` is repeated until a packet is caught or 15 s pass.
 */
export async function captureEsp(tb: Testbed, host: TestbedHost, traffic: () => Promise<unknown>): Promise<Uint8Array> {
  const filter = `udp dst port 4500 and dst host ${host.addr} and udp[8:4] != 0 and greater 120`;
  const dump = tb.spawn(
    host,
    'tcpdump',
    ['-i', host.iface, '-n', '-l', '--immediate-mode', '-c', '1', '-x', '-Q', 'in', filter],
    {
      name: `tcpdump ${host.name}`,
    },
  );
  try {
    await waitFor(() => (dump.exitStatus() ? true : /listening on/.test(dump.stderr())), {
      what: `tcpdump listening on ${host.name}`,
      timeoutMs: 10_000,
      detail: () => dump.stderr(),
    });
    const deadline = Date.now() + 15_000;
    while (!dump.exitStatus() && Date.now() < deadline) await traffic();
  } finally {
    if (!dump.exitStatus()) await dump.stop({ graceMs: 1000 });
  }
  // 'exit' can come before the last of stdout: give the pipe a moment.
  for (let i = 0; i < 20 && !/^\s+0x[0-9a-f]+:/m.test(dump.stdout()); i++) await sleep(50);
  const r = { stdout: dump.stdout(), stderr: dump.stderr() };
  const hex = [...r.stdout.matchAll(/^\s+0x[0-9a-f]+:\s+((?:[0-9a-f]{4}\s?)+)/gm)]
    .map((m) => (m[1] ?? '').replace(/\s/g, ''))
    .join('');
  if (!hex) throw new StateError(`tcpdump caught no ESP packet: ${r.stderr}`);
  const ip = fromHex(hex);
  const ihl = (new Reader(ip, 'ip').u8('vihl') & 0x0f) * 4;
  return ip.slice(ihl + 8);
}

/** Ping with 10 ms spacing, returning the longest run of lost replies in ms. */
async function pingGaps(
  tb: Testbed,
  from: TestbedHost,
  to: TestbedHost,
  count: number,
): Promise<{ maxGapMs: number; received: number }> {
  const r = await tb.exec(
    from,
    'ping',
    ['-n', '-c', String(count), '-i', '0.01', '-W', '1', '-I', from.inner, to.inner],
    {
      allowFail: true,
      timeoutMs: count * 20 + 15_000,
    },
  );
  const seqs = [...r.stdout.matchAll(/icmp_seq=(\d+)/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
  let maxGap = 0;
  let prev = 0;
  for (const s of [...seqs, count + 1]) {
    maxGap = Math.max(maxGap, s - prev - 1);
    prev = s;
  }
  return { maxGapMs: maxGap * 10, received: seqs.length };
}

/** iperf3 with a byte count (`-n`) instead of a duration, from `from` to `to` over the inner addresses. */
export async function iperfBytes(tb: Testbed, from: TestbedHost, to: TestbedHost, size: string): Promise<number> {
  const server = tb.spawn(to, 'iperf3', ['-s', '-1', '-B', to.inner, '-p', '5201'], {
    name: `iperf3 server ${to.name}`,
  });
  try {
    await waitFor(async () => (await tb.exec(to, 'ss', ['-Hltn', 'sport = :5201'])).stdout.includes(':5201'), {
      what: `iperf3 server on ${to.name}`,
      timeoutMs: 5000,
    });
    const r = await tb.exec(from, 'iperf3', ['-c', to.inner, '-B', from.inner, '-p', '5201', '-n', size, '-J'], {
      timeoutMs: 120_000,
    });
    const j = JSON.parse(r.stdout) as { end?: { sum_received?: { bits_per_second?: number } }; error?: string };
    const bps = j.end?.sum_received?.bits_per_second;
    if (j.error || !bps) throw new StateError(`iperf3: ${j.error ?? 'no result'}`);
    return bps / 1e6;
  } finally {
    await server.stop({ graceMs: 1000 });
  }
}

const SUITES = ['aes256gcm16', 'aes128-sha256', 'chacha20poly1305'] as const;

function transferSize(): string {
  return process.env.ESP_TRANSFER ?? '50M';
}

async function traffic(bed: EspBed, size: string): Promise<string> {
  const { tb, left, right } = bed;
  const p1 = await pingStats(tb, left, right.inner, 10);
  const p2 = await pingStats(tb, right, left.inner, 10);
  if (p1.received < 9 || p2.received < 9) throw new StateError(`ping lost: ${p1.received}/10, ${p2.received}/10`);
  const a = await iperfBytes(tb, left, right, size);
  const b = await iperfBytes(tb, right, left, size);
  const c = await ourCounters(bed);
  return `ping p50 ${p1.p50}/${p2.p50} ms; ${size}B TCP → ${a.toFixed(0)} Mbit/s, ← ${b.toFixed(0)} Mbit/s; ${c.packetsIn} pkts in, ${c.packetsOut} out`;
}

async function rekeyScenario(bed: EspBed): Promise<string> {
  const pinging = pingGaps(bed.tb, bed.left, bed.right, 300);
  await sleep(800);
  const before = (await bed.ours.list())[0]?.children.map((c) => c.spiIn) ?? [];
  await bed.ours.request({ cmd: 'rekey', ike: 'c', child: 'ch' });
  const g = await pinging;
  const after = (await bed.ours.list())[0]?.children.map((c) => c.spiIn) ?? [];
  if (after.some((s) => before.includes(s)) || !after.length)
    throw new StateError(`SPIs not rekeyed: ${before} → ${after}`);
  if (g.maxGapMs > 1000) throw new StateError(`stall of ${g.maxGapMs} ms across the rekey`);
  // TCP across the new SA.
  const t = await iperfBytes(bed.tb, bed.left, bed.right, '2M');
  return `SPI ${before.join(',')} → ${after.join(',')}; ${g.received}/300 pings, longest gap ${g.maxGapMs} ms; TCP after ${t.toFixed(0)} Mbit/s`;
}

async function replayAndIcvScenario(bed: EspBed): Promise<string> {
  const { tb, left, right } = bed;
  const esp = await captureEsp(tb, left, () => pingStats(tb, right, left.inner, 5));
  const c0 = await ourCounters(bed);
  await sendUdp(right.ns, left.addr, 4500, esp);
  await waitFor(async () => (await ourCounters(bed)).replayDrops > c0.replayDrops || undefined, {
    what: 'replay drop counted',
    timeoutMs: 10_000,
  });
  // Same packet, sequence number far ahead (so it passes the replay pre-check) and one ciphertext bit flipped.
  const r = new Reader(esp, 'esp');
  const spi = r.u32('spi');
  const seq = r.u32('seq');
  const body = r.rest().slice();
  body[20] = (body[20] ?? 0) ^ 0x01;
  const forged = new Writer(esp.byteLength)
    .u32(spi)
    .u32(seq + 100_000)
    .bytes(body)
    .finish();
  await sendUdp(right.ns, left.addr, 4500, forged);
  await waitFor(async () => (await ourCounters(bed)).icvFailures > c0.icvFailures || undefined, {
    what: 'ICV failure counted',
    timeoutMs: 10_000,
  });
  // The window did not move: fresh traffic still flows.
  const p = await pingStats(tb, right, left.inner, 5);
  const c1 = await ourCounters(bed);
  return `SPI ${spi.toString(16)} seq ${seq}: replay drops ${c0.replayDrops}→${c1.replayDrops}, ICV failures ${c0.icvFailures}→${c1.icvFailures}; ${p.received}/5 pings after`;
}

export async function run({ scenario, log }: Ctx): Promise<void> {
  const size = transferSize();
  for (const peerKind of ['charon', 'attestd'] as const) {
    for (const esp of SUITES.filter((x) => !process.env.ESP_SUITES || process.env.ESP_SUITES.split(',').includes(x))) {
      let bed: EspBed | undefined;
      try {
        const ok = await scenario(`${peerKind} ${esp}: CHILD_SA up`, async () => {
          bed = await setupEspBed(peerKind, { espProposals: esp });
          const c = (await bed.ours.list())[0]?.children[0];
          return `${c?.suite} ${c?.spiIn}_i ${c?.spiOut}_o`;
        });
        if (!ok || !bed) continue;
        const b = bed;
        await scenario(`${peerKind} ${esp}: ping and ${size}B TCP both ways`, () => traffic(b, size));
        if (esp === 'aes256gcm16') {
          await scenario(`${peerKind} ${esp}: traffic across a CHILD_SA rekey`, () => rekeyScenario(b));
          await scenario(`${peerKind} ${esp}: replayed and bit-flipped ESP dropped and counted`, () =>
            replayAndIcvScenario(b),
          );
        }
      } finally {
        log(`${peerKind} ${esp}: tearing down`);
        const problems = await bed?.destroy();
        if (problems?.length) log(`cleanup: ${problems.join('; ')}`);
      }
    }
  }
}
