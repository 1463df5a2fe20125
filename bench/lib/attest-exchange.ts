/**
 * Library for the attest bench (not a suite): one in-process TNC exchange (PB-TNC client with collectors ↔ PB-TNC
 * server with verifiers, the loop of src/tnc/imc-imv runInProcess) with the verifier's CPU accounted separately:
 *
 * - server CPU: process.cpuUsage() deltas summed over the server side's `pb.receive(batch)` calls, i.e. all the
 *   verifier host does for a batch — PB-TNC and PA-TNC decoding, the IMV (PTS verifier, reference lookups, quote),
 *   encoding the answer. The collector side (file hashing, TPM commands over the swtpm socket, encoding the
 *   evidence) runs in the client's `pb.receive` calls in between and is not counted. The exchange is sequential,
 *   so nothing else of this process runs inside the server's calls but the database client's I/O callbacks.
 * - IMV CPU: the same over the verifier module's own `beginHandshake`/`receive` calls (`timedImv`), the PTS
 *   verifier without the TNC codecs.
 * - bytes: the sum of every PB-TNC batch sent, both directions (the `tnc:batch` diagnostics channel, dir 'out').
 *
 * `pgServerCpuMs(dataDir)`: CPU time of a PostgreSQL server (postmaster, its live children and those it reaped),
 * from /proc — the database's own share, which process.cpuUsage() of this process cannot see.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LimitError, silentLogger, subscribe } from '../../src/common/index.ts';
import { createTncSide } from '../../src/tnc/imc-imv/index.ts';
import type {
  ConnectionContext,
  ImcModule,
  ImvConnection,
  ImvModule,
  ImvVerdict,
} from '../../src/tnc/imc-imv/index.ts';

const cpuMs = (d: NodeJS.CpuUsage) => (d.user + d.system) / 1000;

/** A verifier module whose connections add their CPU time to `cpu.ms`. */
export function timedImv(imv: ImvModule): { imv: ImvModule; cpu: { ms: number } } {
  const cpu = { ms: 0 };
  const timed = async <T>(fn: () => T | Promise<T>): Promise<T> => {
    const c0 = process.cpuUsage();
    try {
      return await fn();
    } finally {
      cpu.ms += cpuMs(process.cpuUsage(c0));
    }
  };
  return {
    cpu,
    imv: {
      name: imv.name,
      subscriptions: imv.subscriptions,
      ...(imv.attributeCodecs ? { attributeCodecs: imv.attributeCodecs } : {}),
      connect(ctx): ImvConnection {
        const c = imv.connect(ctx);
        return {
          beginHandshake: () => timed(() => c.beginHandshake()),
          receive: (msg) => timed(() => c.receive(msg)),
          solicitRecommendation: () => timed(() => c.solicitRecommendation()),
        };
      },
    },
  };
}

const ctx = (id: string): ConnectionContext => ({
  id,
  peer: { method: 'none' },
  transport: 'in-process',
  log: silentLogger,
});

export interface ExchangeResult {
  /** CPU ms of the server side's batch handling. */
  serverCpuMs: number;
  /** The verifier's combined verdict. */
  verdict: ImvVerdict | undefined;
  batches: number;
  wallMs: number;
}

let connections = 0;

/** Runs one complete TNC exchange in process; `verdict` is the server's. */
export async function exchange(imcs: ImcModule[], imvs: ImvModule[], maxBatches = 256): Promise<ExchangeResult> {
  const n = ++connections;
  const client = createTncSide({ transport: 'client', imcs, context: ctx(`device-${n}`) });
  const server = createTncSide({ transport: 'server', imvs, context: ctx(`verifier-${n}`) });
  const t0 = performance.now();
  let serverCpuMs = 0;
  let batches = 0;
  let inFlight = await client.pb.start();
  let toServer = true;
  while (inFlight) {
    if (++batches > maxBatches)
      throw new LimitError('tnc.maxBatches', `in-process TNC exchange exceeded ${maxBatches} batches`);
    let out: Uint8Array[];
    if (toServer) {
      const c0 = process.cpuUsage();
      out = await server.pb.receive(inFlight);
      serverCpuMs += cpuMs(process.cpuUsage(c0));
    } else out = await client.pb.receive(inFlight);
    inFlight = out[0] ?? null;
    toServer = !toServer;
  }
  return { serverCpuMs, verdict: server.outcome().verdict, batches, wallMs: performance.now() - t0 };
}

/** Counts the bytes of every PB-TNC batch sent while `fn` runs (both sides of an in-process exchange). */
export async function countBatchBytes<T>(fn: () => Promise<T>): Promise<{ value: T; bytes: number; batches: number }> {
  let bytes = 0;
  let batches = 0;
  const off = subscribe('tnc:batch', (m) => {
    if (m.dir !== 'out') return;
    bytes += m.bytes;
    batches++;
  });
  try {
    return { value: await fn(), bytes, batches };
  } finally {
    off();
  }
}

function statOf(pid: string): { ppid: number; own: number; reaped: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
    const n = (i: number) => Number(f[i - 3]);
    return { ppid: n(4), own: n(14) + n(15), reaped: n(16) + n(17) };
  } catch {
    return undefined;
  }
}

/** CPU ms of a PostgreSQL server so far, or undefined when its processes cannot be read. */
export function pgServerCpuMs(dataDir: string): number | undefined {
  let master: string;
  try {
    master = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]!.trim();
  } catch {
    return undefined;
  }
  const m = statOf(master);
  if (!m) return undefined;
  let ticks = m.own + m.reaped;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const s = statOf(pid);
    if (s && String(s.ppid) === master) ticks += s.own;
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}
