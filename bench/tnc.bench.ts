/**
 * TNC benchmarks (`npm run bench -- tnc [--assessments N] [--concurrency C] [--sessions S]`):
 *  1. PT-TLS assessments per second with C (default 50) concurrent clients, test+os collectors and verifiers,
 *     one-way and mutual (TLS 1.3, SASL PLAIN). The server runs in a child process, the clients here.
 *  2. Server memory per open session: S (default 200) clients stall mid-assessment (after the server's first
 *     SDATA); the child's RSS and heap growth after GC, divided by S.
 * There is no strongSwan TNC peer on this host (Debian's strongSwan lacks the TNCCS plugins): peer is null.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { silentLogger } from '../src/common/index.ts';
import { createTncSide } from '../src/tnc/imc-imv/index.ts';
import { ptTlsAssess, startAssessmentServer } from '../src/tnc/pt-tls-assess.ts';
import { ptTlsConnect } from '../src/tnc/pt-tls/index.ts';
import { createTestImc } from '../src/imc/test/index.ts';
import { createTestImv } from '../src/imv/test/index.ts';
import { createOsImc, staticOsInfo } from '../src/imc/os/index.ts';
import type { OsInfo } from '../src/imc/os/index.ts';
import { configOsPolicy, createOsImv } from '../src/imv/os/index.ts';
import { Recommendation } from '../src/tnc/pb/index.ts';
import { result } from '../test/support/harness.ts';
import type { BenchResult } from '../test/support/harness.ts';
import { makeTestPki } from '../test/unit/tnc/pt-tls/certs.ts';
import type { TestPki } from '../test/unit/tnc/pt-tls/certs.ts';

const PEER = 'none (Debian strongSwan lacks TNCCS)';
const CHILD_FLAG = '--tnc-bench-server';

const info: OsInfo = {
  product: { name: 'Debian GNU/Linux 12 (bookworm)', vendor: 0, id: 0 },
  version: { version: '12', build: '', config: '' },
  numeric: { major: 12, minor: 0, build: 0, servicePackMajor: 0, servicePackMinor: 0 },
  packages: Array.from({ length: 50 }, (_, i) => ({ name: `pkg${i}`, version: `1.${i}` })),
  forwarding: 0,
  defaultPasswordEnabled: false,
  ports: [{ blocked: false, protocol: 6, port: 22 }],
};
const imcs = () => [createTestImc({ command: 'allow' }), createOsImc({ source: staticOsInfo(info) })];
const imvs = () => [
  createTestImv({ rounds: 0 }),
  createOsImv(configOsPolicy({ allowedTcpPorts: [22], forbiddenPackages: [{ name: 'telnetd' }] })),
];

type ToChild = { pki: TestPki } | { cmd: 'mem' } | { cmd: 'gc' };
type FromChild = { port: number } | { mem: { rss: number; heap: number; active: number } };

/** Child mode: a PT-TLS assessment server answering memory queries over IPC. */
async function childServer(): Promise<void> {
  const pki = await new Promise<TestPki>((r) => process.once('message', (m: ToChild) => 'pki' in m && r(m.pki)));
  const server = await startAssessmentServer({
    host: '127.0.0.1',
    port: 0,
    key: pki.server.key,
    cert: pki.server.cert,
    imvs: imvs(),
    imcs: imcs(),
    authenticate: (_z, u, p) => u === 'bench' && p === 'bench',
    limits: { maxSessions: 4096, idleTimeoutMs: 120_000, lingerMs: 200 },
    log: silentLogger,
  });
  process.on('message', (m: ToChild) => {
    if ('cmd' in m) {
      const gc = (globalThis as { gc?: () => void }).gc;
      for (let i = 0; i < 3; i++) gc?.();
      const u = process.memoryUsage();
      process.send!({ mem: { rss: u.rss, heap: u.heapUsed, active: server.active } } satisfies FromChild);
    }
  });
  process.once('disconnect', () => void server.close().then(() => process.exit(0)));
  process.send!({ port: server.port } satisfies FromChild);
}

if (process.argv.includes(CHILD_FLAG)) await childServer();

function ask(child: ChildProcess, m: ToChild): Promise<FromChild> {
  return new Promise((resolve) => {
    child.once('message', (r: FromChild) => resolve(r));
    child.send(m);
  });
}

function argNum(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : dflt;
  return Number.isInteger(v) && v > 0 ? v : dflt;
}

export async function run({ args, log }: { args: string[]; log: (s: string) => void }): Promise<BenchResult[]> {
  const total = argNum(args, '--assessments', 1000);
  const concurrency = argNum(args, '--concurrency', 50);
  const sessions = argNum(args, '--sessions', 200);
  const pki = await makeTestPki();
  const child = fork(new URL(import.meta.url).pathname, [CHILD_FLAG], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const ready = await ask(child, { pki });
    if (!('port' in ready)) throw new Error('bench server did not start');
    const port = ready.port;
    const base = {
      host: '127.0.0.1',
      port,
      ca: pki.ca,
      servername: pki.serverName,
      identity: { authcid: 'bench', password: 'bench' },
      log: silentLogger,
      minVersion: 'TLSv1.3' as const,
    };
    const out: BenchResult[] = [];
    for (const mutual of [false, true]) {
      const assess = async () => {
        const r = await ptTlsAssess({ ...base, imcs: imcs(), ...(mutual ? { imvs: imvs() } : {}), mutual });
        if (r.outcome.assessedBy?.recommendation !== Recommendation.ACCESS_ALLOWED) throw new Error('not allowed');
      };
      for (let i = 0; i < concurrency; i++) await assess(); // warm-up
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next++ < total) await assess();
        }),
      );
      const s = (performance.now() - t0) / 1000;
      const rate = total / s;
      log(`${mutual ? 'mutual' : 'one-way'}: ${total} assessments, ${concurrency} concurrent, ${s.toFixed(2)} s`);
      out.push(
        result(
          `PT-TLS assessments/s, ${concurrency} concurrent clients, test+os, ${mutual ? 'mutual' : 'one-way'}`,
          'assessments/s',
          rate,
          null,
          PEER,
          'higher',
        ),
      );
    }

    // Memory per stalled session.
    await new Promise((r) => setTimeout(r, 500));
    const before = await ask(child, { cmd: 'mem' });
    if (!('mem' in before)) throw new Error('no memory report');
    const stalls: { release: () => void; done: Promise<unknown> }[] = [];
    for (let i = 0; i < sessions; i++) {
      let release: () => void = () => undefined;
      const released = new Promise<void>((r) => (release = r));
      let answered = false;
      const side = createTncSide({
        transport: 'client',
        imcs: imcs(),
        context: { id: `stall-${i}`, peer: { method: 'none' }, transport: 'pt-tls', log: silentLogger },
      });
      const done = ptTlsConnect({
        ...base,
        endpoint: {
          first: () => side.pb.start(),
          receive: async () => {
            answered = true;
            await released;
            throw new Error('released');
          },
          done: () => false,
        },
      }).catch(() => undefined);
      stalls.push({ release, done });
      void answered;
    }
    let after = await ask(child, { cmd: 'mem' });
    for (let i = 0; i < 100 && 'mem' in after && after.mem.active < sessions; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = await ask(child, { cmd: 'mem' });
    }
    if (!('mem' in after)) throw new Error('no memory report');
    log(`${after.mem.active} stalled sessions open on the server`);
    const n = Math.max(1, after.mem.active);
    const rssPer = (after.mem.rss - before.mem.rss) / n / 1024;
    const heapPer = (after.mem.heap - before.mem.heap) / n / 1024;
    out.push(
      result(
        `server RSS per open PT-TLS session stalled mid-assessment (${n} sessions)`,
        'KiB',
        rssPer,
        null,
        PEER,
        'lower',
      ),
    );
    out.push(
      result(
        `server JS heap per open PT-TLS session stalled mid-assessment (${n} sessions)`,
        'KiB',
        heapPer,
        null,
        PEER,
        'lower',
      ),
    );
    for (const s of stalls) s.release();
    await Promise.all(stalls.map((s) => s.done));
    return out;
  } finally {
    child.disconnect();
    child.kill();
  }
}
