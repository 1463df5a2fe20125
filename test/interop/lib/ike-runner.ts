/**
 * Our IKE side for interop suites and benches, as a process inside a test-bed namespace: an IkeEngine over
 * IkeSockets (ports 500/4500) with the `none` data plane, configured from a swanctl.conf (src/daemon/config, the
 * same mapping the daemon uses), and driven over a unix control socket with one JSON object per line:
 *
 *   → {"id":1,"cmd":"initiate","ike":"c","child":"ch"}     ← {"id":1,"ok":true,"result":{…SaInfo…}}
 *
 * Commands: reset (new engine, optionally a new config and engine options), initiate, terminate, rekey, dpd, list,
 * stats, load (N IKE SAs at concurrency C from this one engine, each with its own SPIs and, for PSK, its own
 * identity `<i>.<local id>`), forget (drop every SA locally, no DELETE).
 *
 * Usage: node ike-runner.ts --config <swanctl.conf> --control <socket> --listen <addr> [--engine <json>]
 */
import { createServer, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { systemClock } from '../../../src/common/clock.ts';
import { Logger, type LogLevelName } from '../../../src/common/log.ts';
import { systemRng } from '../../../src/common/rng.ts';
import type { IkeConnection } from '../../../src/ike/config.ts';
import { NoneDataPlane } from '../../../src/ike/dataplane.ts';
import { IkeEngine, type EngineOptions } from '../../../src/ike/engine.ts';
import { IkeSockets } from '../../../src/ike/net/udp.ts';
import { IkeState, type IkeSa } from '../../../src/ike/sa/ike-sa.ts';
import { idFromString, idToString } from '../../../src/ike/message/index.ts';
import { loadSwanctl } from '../../../src/daemon/config/index.ts';
import { credentialStore, ikeConnections } from '../../../src/daemon/wiring.ts';

/** Engine options that can be set per reset (JSON-friendly subset of EngineOptions). */
export interface RunnerEngineOptions {
  cookieThreshold?: number;
  blockThreshold?: number;
  halfOpenTimeout?: number;
  maxSas?: number;
  retransmit?: { timeout: number; base: number; tries: number };
  fragmentSize?: number;
  logLevel?: LogLevelName;
}

export interface LoadResult {
  established: number;
  failed: number;
  ms: number;
  errors: string[];
}

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    control: { type: 'string' },
    listen: { type: 'string' },
    engine: { type: 'string' },
  },
});
if (!values.config || !values.control || !values.listen) {
  console.error('usage: ike-runner.ts --config <swanctl.conf> --control <socket> --listen <addr> [--engine <json>]');
  process.exit(2);
}
const listen = values.listen;
let configPath = values.config;
let engineOpts: RunnerEngineOptions = values.engine ? (JSON.parse(values.engine) as RunnerEngineOptions) : {};

let engine: IkeEngine | undefined;
let sockets: IkeSockets | undefined;
let connections: IkeConnection[] = [];
/** Extra connections visible to the engine (per-SA clones of the load generator). */
const extra: IkeConnection[] = [];
let logs: string[] = [];

function makeLogger(level: LogLevelName): Logger {
  return new Logger({
    level,
    sink: (_r, t) => {
      logs.push(t);
      if (logs.length > 2000) logs = logs.slice(-1000);
      if (process.env.IKE_RUNNER_LOG) process.stderr.write(`${t}\n`);
    },
  });
}

async function start(): Promise<void> {
  const { config, credentials } = loadSwanctl(configPath);
  connections = ikeConnections(config, credentials, { fragmentSize: engineOpts.fragmentSize ?? 1280 });
  const store = credentialStore(config, credentials);
  const log = makeLogger(engineOpts.logLevel ?? 'info');
  const ref: { e?: IkeEngine } = {};
  sockets = new IkeSockets({
    addresses: [listen],
    log,
    onIke: (data, local, remote) => void ref.e?.receive(data, local, remote),
  });
  await sockets.open();
  const opts: EngineOptions = {
    services: {
      rng: systemRng,
      clock: systemClock,
      log,
      dataplane: new NoneDataPlane(),
      creds: { psk: (l, r) => store.psk(l, r), trustAnchors: () => store.trustAnchors() },
      connections: () => (extra.length ? [...connections, ...extra] : connections),
    },
    transport: sockets,
  };
  if (engineOpts.cookieThreshold !== undefined) opts.cookieThreshold = engineOpts.cookieThreshold;
  if (engineOpts.blockThreshold !== undefined) opts.blockThreshold = engineOpts.blockThreshold;
  if (engineOpts.halfOpenTimeout !== undefined) opts.halfOpenTimeout = engineOpts.halfOpenTimeout;
  if (engineOpts.maxSas !== undefined) opts.maxSas = engineOpts.maxSas;
  if (engineOpts.retransmit) opts.retransmit = engineOpts.retransmit;
  engine = new IkeEngine(opts);
  ref.e = engine;
}

async function stop(): Promise<void> {
  await engine?.close(false);
  await sockets?.close();
  engine = undefined;
  sockets = undefined;
}

function need(): IkeEngine {
  if (!engine) throw new Error('engine not running');
  return engine;
}

function sasOf(name: unknown, state: string = IkeState.ESTABLISHED): IkeSa[] {
  return need().sas.filter((s) => s.conn.name === name && s.state === state);
}

function info(sa: IkeSa) {
  return need()
    .list()
    .find((s) => s.id === sa.id);
}

async function waitIdle(sa: IkeSa): Promise<void> {
  await need().idle(sa, 20_000);
}

/** One PSK identity per load-generated SA, so the responder sees distinct peers (no uniqueness replacement). */
function cloneFor(base: IkeConnection, i: number): IkeConnection {
  const local = base.local.map((r) =>
    r.method === 'psk' ? { ...r, id: idFromString(`${i}.${idToString(r.id)}`) } : r,
  );
  return { ...base, name: `${base.name}#${i}`, local };
}

async function load(ike: string, n: number, concurrency: number, distinct: boolean): Promise<LoadResult> {
  const e = need();
  const base = connections.find((c) => c.name === ike);
  if (!base) throw new Error(`no connection ${ike}`);
  let next = 0;
  let established = 0;
  let failed = 0;
  const errors: string[] = [];
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      try {
        let done: Promise<IkeSa>;
        if (distinct && base.local[0]?.method === 'psk') {
          const conn = cloneFor(base, i);
          extra.push(conn);
          try {
            done = e.initiate(conn.name);
          } finally {
            extra.splice(extra.indexOf(conn), 1);
          }
        } else {
          done = e.initiate(ike);
        }
        const sa = await done;
        // The first CHILD_SA comes with IKE_AUTH: established implies it is installed (or refused).
        if (!sa.children.length) throw new Error(`${sa.label} has no CHILD_SA`);
        established++;
      } catch (err) {
        failed++;
        if (errors.length < 5) errors.push(err instanceof Error ? err.message : String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return { established, failed, ms: performance.now() - t0, errors };
}

type Req = Record<string, unknown> & { id?: unknown; cmd?: unknown };

async function handle(req: Req): Promise<unknown> {
  switch (req.cmd) {
    case 'reset': {
      await stop();
      if (typeof req.config === 'string') configPath = req.config;
      if (req.engine && typeof req.engine === 'object') engineOpts = req.engine as RunnerEngineOptions;
      logs = [];
      await start();
      return { pid: process.pid };
    }
    case 'initiate': {
      const e = need();
      const sa = await e.initiate(String(req.ike), req.child ? { children: [String(req.child)] } : {});
      await waitIdle(sa);
      return info(sa);
    }
    case 'terminate': {
      const e = need();
      const targets = sasOf(req.ike);
      await Promise.all(targets.map((s) => e.terminate(s)));
      return { terminated: targets.length };
    }
    case 'rekey': {
      const e = need();
      const [sa] = sasOf(req.ike);
      if (!sa) throw new Error(`no established IKE SA ${String(req.ike)}`);
      if (req.child) {
        const child = sa.children.find((c) => c.config.name === req.child);
        if (!child) throw new Error(`no CHILD_SA ${String(req.child)}`);
        e.rekeyChild(sa, child);
      } else e.rekeyIke(sa);
      await waitIdle(sa);
      return { rekeyed: sa.id };
    }
    case 'dpd': {
      const e = need();
      const [sa] = sasOf(req.ike);
      if (!sa) throw new Error(`no established IKE SA ${String(req.ike)}`);
      const before = e.stats.received;
      e.dpd(sa);
      await waitIdle(sa);
      return { answered: e.stats.received > before, state: sa.state };
    }
    case 'list':
      return need().list();
    case 'stats': {
      const e = need();
      return {
        engine: e.stats,
        udp: sockets?.stats,
        halfOpen: e.halfOpenCount,
        sas: e.sas.length,
        memory: process.memoryUsage(),
        pid: process.pid,
      };
    }
    case 'logs':
      return logs.slice(-Number(req.lines ?? 50));
    case 'load':
      return load(String(req.ike), Number(req.n ?? 1), Number(req.concurrency ?? 1), req.distinct !== false);
    case 'forget': {
      const e = need();
      const n = e.sas.length;
      for (const sa of e.sas) e.destroy(sa, 'forgotten by the test');
      return { forgotten: n };
    }
    case 'gc': {
      const g = (globalThis as { gc?: () => void }).gc;
      g?.();
      return { rss: process.memoryUsage().rss, gc: g !== undefined };
    }
    case 'exit':
      setImmediate(() => void stop().then(() => process.exit(0)));
      return { bye: true };
    default:
      throw new Error(`unknown command ${String(req.cmd)}`);
  }
}

function serve(sock: Socket): void {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      let req: Req;
      try {
        req = JSON.parse(line) as Req;
      } catch {
        sock.write(`${JSON.stringify({ ok: false, error: 'bad JSON' })}\n`);
        continue;
      }
      handle(req).then(
        (result) => sock.write(`${JSON.stringify({ id: req.id, ok: true, result }, bigintJson)}\n`),
        (err: unknown) =>
          sock.write(
            `${JSON.stringify({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err), logs: logs.slice(-30) })}\n`,
          ),
      );
    }
  });
  sock.on('error', () => {});
}

function bigintJson(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString(16) : v;
}

await start();
const controlPath = values.control;
rmSync(controlPath, { force: true });
const server = createServer(serve);
server.listen(controlPath, () => process.stdout.write(`ready ${process.pid}\n`));
for (const sig of ['SIGTERM', 'SIGINT'] as const)
  process.on(sig, () => {
    void stop().finally(() => {
      server.close();
      rmSync(controlPath, { force: true });
      process.exit(0);
    });
  });
