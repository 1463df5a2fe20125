/**
 * `npm run bench -- mutual [--setups N] [--files F] [--fragment-size S] [--fragment-setups M]`: wall time, IKE
 * round trips and bytes of a complete mutually attested setup (IKE_SA_INIT → CHILD_SA installed on both sides)
 * between two of our daemons in this process, against the same setup without attestation.
 *
 *   a 127.0.70.1 ── attested (EAP-only EAP-TTLS 1.3 → PT-EAP → PB-TNC mutual, attest IMC + IMV) ── 127.0.70.2 b
 *   a 127.0.71.1 ── plain (the same certificates, certificate auth, no EAP) ─────────────────────── 127.0.71.2 b
 *
 * Each side has its own swtpm (AIK, firmware event log in PCRs 0/7, an IMA list of its tree in PCR 10) and a tree
 * of F (default 2,000) files; each side's verifier measures the peer's tree (`files = <dir>/`), checks its IMA list
 * and a fresh quote. N (default 30, or ATTESTD_BENCH_SETUPS) setups per connection, interleaved attested/plain so
 * that background load hits both alike, each: initiate, wait for ESTABLISHED with the CHILD_SA installed on both
 * sides, terminate, wait until both sides forgot the SA. One warm-up setup of each is not counted.
 *
 * Round trips are the distinct (exchange, message id) pairs of the 'ike:message' diagnostics channel during the
 * setup; bytes are the sum of its outgoing messages of both daemons (UDP payload, all fragments; retransmits are not
 * published there, so datagram counts from the engines' stats are logged beside), and the CPU time of this process
 * (both daemons; not swtpm's) is logged beside the wall time: on a busy machine the wall time also holds waiting for
 * a CPU, the CPU time much less so. Then the attested setup again with a large EAP-TTLS fragment_size (default
 * 16000, carried in IKE fragments) for M (default N) setups.
 *
 * Percentiles are nearest-rank (with N = 30, p99 is the slowest setup).
 *
 * Evidence larger than one PB-TNC batch over PT-EAP (65,529 bytes) is spread over several batches: PB-TNC sends
 * the pending messages that fit, the hosts split a module's PA message, and the attester splits a File Measurement
 * (the verifier merges them), so 2,000 files per side take about 40 batches.
 *
 * Product target: attestation adds at most 3 round trips and 150 ms at p50. The delta rows carry the target as
 * `peer` (ratio ≥ 1 means within the target); the log says whether it is met.
 * No charon row: charon needs the network-namespace test bed, whose addresses are outside this bench's loopback
 * bases.
 */
import { parseArgs } from 'node:util';
import { subscribe, type DiagChannels } from '../src/common/diag.ts';
import type { IkeSa } from '../src/ike/sa/ike-sa.ts';
import { IkeState } from '../src/ike/sa/ike-sa.ts';
import { ChildState } from '../src/ike/sa/child-sa.ts';
import { result, type BenchResult } from '../test/support/harness.ts';
import { hasCommand, isRoot } from '../test/support/env.ts';
import { percentile } from './lib/stats.ts';
import {
  attestSection,
  attestedConnection,
  makePki,
  plainConnection,
  provisionTreeDevice,
  startDaemonPair,
  type DaemonPair,
  type TreeDevice,
} from './lib/attest-pair.ts';

const ATTESTED = { name: 'attested', base: 70 } as const;
const PLAIN = { name: 'plain', base: 71 } as const;
const PEER = 'attestd without attestation';
const TARGET = 'product target (at most)';
const TARGET_RT = 3;
const TARGET_MS = 150;
const SETUP_TIMEOUT_MS = 120_000;

interface Setup {
  ms: number;
  roundTrips: number;
  messages: number;
  bytes: number;
  datagrams: number;
  /** TPM command time of both collectors (sum) and count; PB-TNC batches sent and the largest. */
  tpmMs: number;
  tpmCommands: number;
  batches: number;
  maxBatch: number;
  /** CPU time (user + system) of this process — both daemons — during the setup: less sensitive than the wall time
   * to other load on the machine; swtpm's own CPU time is not in it. */
  cpuMs: number;
}

interface Series {
  label: string;
  setups: Setup[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  // setImmediate first (in-process peers answer within event-loop turns), then 1 ms sleeps.
  for (let i = 0; !cond(); i++) {
    if (performance.now() > deadline) throw new Error(`timeout waiting for ${what}`);
    await (i < 200 ? new Promise((r) => setImmediate(r)) : sleep(1));
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

const established = (sa: IkeSa | undefined) =>
  sa !== undefined && sa.state === IkeState.ESTABLISHED && sa.children.some((c) => c.state === ChildState.INSTALLED);

/** One setup of `conn` from a to b, measured; then torn down. */
async function setupOnce(pair: DaemonPair, conn: string, attested: boolean): Promise<Setup> {
  try {
    return await measureSetup(pair, conn, attested);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`${conn} setup failed: ${why} (the daemons log their errors to stderr)`, { cause: e });
  }
}

async function measureSetup(pair: DaemonPair, conn: string, attested: boolean): Promise<Setup> {
  const { a, b } = pair;
  const events: DiagChannels['ike:message'][] = [];
  const sent = () => a.engine.stats.sent + b.engine.stats.sent;
  const responderSa = () => b.engine.sas.find((s) => s.conn.name === conn);
  if (a.engine.sas.length || b.engine.sas.length) throw new Error('an SA from the previous setup is still there');
  const tpm: DiagChannels['tpm:command'][] = [];
  const batches: DiagChannels['tnc:batch'][] = [];
  const unsubscribe = [
    subscribe('ike:message', (m) => events.push(m)),
    subscribe('tpm:command', (m) => tpm.push(m)),
    subscribe('tnc:batch', (m) => m.dir === 'out' && batches.push(m)),
  ];
  let ms: number;
  let cpuMs: number;
  let cpu0: NodeJS.CpuUsage;
  let sa: IkeSa;
  const sent0 = sent();
  try {
    const t0 = performance.now();
    cpu0 = process.cpuUsage();
    sa = await withTimeout(a.engine.initiate(conn, { children: ['net'] }), SETUP_TIMEOUT_MS, `initiate ${conn}`);
    await until(
      `${conn} established with a CHILD_SA on both sides`,
      () => established(sa) && established(responderSa()),
      10_000,
    );
    ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    cpuMs = (cpu.user + cpu.system) / 1000;
  } finally {
    for (const u of unsubscribe) u();
  }
  const datagrams = sent() - sent0;
  if (attested) check(sa, responderSa()!);
  await withTimeout(a.engine.terminate(sa), 30_000, `terminate ${conn}`);
  await until(`${conn} deleted on both sides`, () => !a.engine.sas.length && !b.engine.sas.length, 10_000);
  const out = events.filter((e) => e.dir === 'out');
  const roundTrips = new Set(out.map((e) => `${e.exchange}/${e.mid}`)).size;
  const setup: Setup = {
    ms,
    roundTrips,
    messages: out.length,
    bytes: out.reduce((n, e) => n + e.bytes, 0),
    datagrams,
    tpmMs: tpm.reduce((n, c) => n + c.ms, 0),
    tpmCommands: tpm.length,
    batches: batches.length,
    maxBatch: Math.max(0, ...batches.map((b) => b.bytes)),
    cpuMs,
  };
  if (setup.messages !== 2 * roundTrips)
    throw new Error(`${conn}: ${setup.messages} messages for ${roundTrips} exchanges (not request/response pairs)`);
  return setup;
}

/** Both sides assessed the peer and allowed it (else the bench would time something else). */
function check(initiator: IkeSa, responder: IkeSa): void {
  for (const [side, sa] of [
    ['a', initiator],
    ['b', responder],
  ] as const) {
    if (sa.authorization?.decision !== 'allow' || !sa.notes.some((n) => /attestation of the peer: allow/.test(n)))
      throw new Error(
        `${side} did not attest-and-allow its peer: ${sa.authorization?.decision ?? 'no decision'}; ${sa.notes.join('; ')}`,
      );
  }
}

function stats(s: Series) {
  const ms = s.setups.map((x) => x.ms).sort((x, y) => x - y);
  const med = (f: (x: Setup) => number) => percentile(s.setups.map(f), 50);
  return {
    p50: percentile(ms, 50),
    p99: percentile(ms, 99),
    min: ms[0] ?? NaN,
    max: ms[ms.length - 1] ?? NaN,
    roundTrips: med((x) => x.roundTrips),
    rtMin: Math.min(...s.setups.map((x) => x.roundTrips)),
    rtMax: Math.max(...s.setups.map((x) => x.roundTrips)),
    bytes: med((x) => x.bytes),
    datagrams: med((x) => x.datagrams),
    tpmMs: med((x) => x.tpmMs),
    tpmCommands: med((x) => x.tpmCommands),
    batches: med((x) => x.batches),
    maxBatch: Math.max(...s.setups.map((x) => x.maxBatch)),
    cpuMs: med((x) => x.cpuMs),
  };
}

function describe(s: Series): string {
  const x = stats(s);
  return (
    `${s.label}: ${s.setups.length} setups, p50 ${x.p50.toFixed(1)} ms, p99 ${x.p99.toFixed(1)} ms ` +
    `(min ${x.min.toFixed(1)}, max ${x.max.toFixed(1)}), ${x.roundTrips} round trips ` +
    `(${x.rtMin}..${x.rtMax}), ${x.bytes} bytes, ${x.datagrams} datagrams, CPU p50 ${x.cpuMs.toFixed(1)} ms` +
    (x.batches
      ? `; ${x.batches} PB-TNC batches (largest ${x.maxBatch} bytes, PT-EAP limit 65529), ` +
        `${x.tpmCommands} TPM commands taking ${x.tpmMs.toFixed(1)} ms (sum over both TPMs, median setup)`
      : '')
  );
}

function intArg(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: '${v}' is not a positive integer`);
  return n;
}

export async function run({ args, log }: { args: string[]; log: (s: string) => void }): Promise<BenchResult[]> {
  const { values } = parseArgs({
    args,
    options: {
      setups: { type: 'string' },
      files: { type: 'string' },
      'fragment-size': { type: 'string' },
      'fragment-setups': { type: 'string' },
    },
  });
  const n = intArg(values.setups ?? process.env.ATTESTD_BENCH_SETUPS, '--setups', 30);
  const fileCount = intArg(values.files, '--files', 2000);
  const bigFragment = intArg(values['fragment-size'], '--fragment-size', 16000);
  const fragSetups = intArg(values['fragment-setups'], '--fragment-setups', n);
  if (!isRoot()) throw new Error('needs root (IKE binds port 500)');
  for (const c of ['swtpm', 'swtpm_setup']) if (!hasCommand(c)) throw new Error(`needs ${c}`);

  const devices: TreeDevice[] = [];
  let pair: DaemonPair | undefined;
  try {
    let t = performance.now();
    for (const tag of ['a', 'b']) devices.push(await provisionTreeDevice(tag, fileCount));
    const dev = { a: devices[0]!, b: devices[1]! };
    log(`provisioned 2 swtpm devices with ${fileCount} files each in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const pki = await makePki();
    const other = (s: 'a' | 'b') => (s === 'a' ? 'b' : 'a');

    // Pair 1: attested (default fragment_size 1024) and plain, interleaved.
    pair = await startDaemonPair(pki, (side) => ({
      connections: [...attestedConnection({ ...ATTESTED, side }), ...plainConnection({ ...PLAIN, side })],
      attestd: attestSection(side, dev[side], dev[other(side)], 1024),
    }));
    const attested: Series = { label: 'attested, EAP-TTLS fragment_size 1024', setups: [] };
    const plain: Series = { label: 'plain certificate auth', setups: [] };
    t = performance.now();
    const warm = [await setupOnce(pair, ATTESTED.name, true), await setupOnce(pair, PLAIN.name, false)];
    log(`warm-up: attested ${warm[0]!.ms.toFixed(0)} ms, plain ${warm[1]!.ms.toFixed(0)} ms`);
    for (let i = 0; i < n; i++) {
      attested.setups.push(await setupOnce(pair, ATTESTED.name, true));
      plain.setups.push(await setupOnce(pair, PLAIN.name, false));
    }
    log(describe(attested));
    log(describe(plain));
    await pair.stop();
    pair = undefined;

    // Pair 2: attested with a large EAP-TTLS fragment_size.
    pair = await startDaemonPair(pki, (side) => ({
      connections: attestedConnection({ ...ATTESTED, side }),
      attestd: attestSection(side, dev[side], dev[other(side)], bigFragment),
    }));
    const big: Series = { label: `attested, EAP-TTLS fragment_size ${bigFragment}`, setups: [] };
    await setupOnce(pair, ATTESTED.name, true);
    for (let i = 0; i < fragSetups; i++) big.setups.push(await setupOnce(pair, ATTESTED.name, true));
    log(describe(big));
    await pair.stop();
    pair = undefined;
    log(`all setups in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const p = stats(plain);
    const out: BenchResult[] = [];
    for (const [s, what] of [
      [attested, `fragment_size 1024, ${n} setups`],
      [big, `fragment_size ${bigFragment}, ${fragSetups} setups`],
    ] as const) {
      const x = stats(s);
      const tag = `mutually attested setup (${fileCount} files per side, ${what})`;
      out.push(
        result(`${tag}: wall time p50`, 'ms', x.p50, p.p50, PEER, 'lower'),
        result(`${tag}: wall time p99`, 'ms', x.p99, p.p99, PEER, 'lower'),
        result(`${tag}: IKE round trips`, 'round trips', x.roundTrips, p.roundTrips, PEER, 'lower'),
        result(`${tag}: IKE bytes on the wire, both directions`, 'bytes', x.bytes, p.bytes, PEER, 'lower'),
        result(`${tag}: added wall time at p50`, 'ms', x.p50 - p.p50, TARGET_MS, TARGET, 'lower'),
        result(`${tag}: added IKE round trips`, 'round trips', x.roundTrips - p.roundTrips, TARGET_RT, TARGET, 'lower'),
      );
      const addedMs = x.p50 - p.p50;
      const addedRt = x.roundTrips - p.roundTrips;
      const met = addedRt <= TARGET_RT && addedMs <= TARGET_MS;
      log(
        `target (attestation adds ≤ ${TARGET_RT} round trips and ≤ ${TARGET_MS} ms at p50), ${what}: ` +
          `${met ? 'MET' : 'NOT MET'} — adds ${addedRt} round trips (${addedRt <= TARGET_RT ? 'ok' : 'over'}) and ` +
          `${addedMs.toFixed(1)} ms (${addedMs <= TARGET_MS ? 'ok' : 'over'})`,
      );
    }
    return out;
  } finally {
    await pair?.stop().catch((e: unknown) => log(`cleanup: ${String(e)}`));
    for (const d of devices) await d.cleanup().catch((e: unknown) => log(`cleanup: ${String(e)}`));
  }
}
