/**
 * Helpers of the IKE interop suite and bench:
 *  - `ikeSwanctlConf`: one swanctl.conf text both charon and our runner read (one `key = value` per line), for PSK
 *    (specific or wildcard secret) or certificates, with per-test proposals and extra lines;
 *  - `startOurs`: our IKE side (test/interop/lib/ike-runner.ts) in a test-bed namespace, with a typed client of its
 *    control socket;
 *  - `procCpuSeconds` / `procRssBytes`: a process's CPU time and resident size from /proc.
 */
import { createConnection, type Socket } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { StateError, TimeoutError } from '../../../src/common/errors.ts';
import type { SaInfo } from '../../../src/ike/engine.ts';
import type { Testbed, TestbedHost } from '../../support/netns.ts';
import { waitFor } from '../../support/proc.ts';
import type { Proc } from '../../support/proc.ts';
import type { LoadResult, RunnerEngineOptions } from './ike-runner.ts';

export type { LoadResult, RunnerEngineOptions };

export interface IkeConfOptions {
  me: TestbedHost;
  peer: TestbedHost;
  conn?: string;
  child?: string;
  proposals?: string;
  espProposals?: string;
  auth?: 'psk' | 'pubkey';
  /** Local identity (default the host name). */
  localId?: string;
  /** Required remote identity (default the peer's host name); `%any` for any. */
  remoteId?: string;
  /** Own certificate file in x509/ (pubkey). */
  cert?: string;
  psk?: string;
  /** A PSK without identities (matches any pair). */
  wildcardPsk?: boolean;
  /** Extra connection lines (`dpd_delay = 1s`, `fragmentation = yes`, `unique = never`, `rekey_time = 0`). */
  extra?: string[];
  childExtra?: string[];
  /** Remote address (default the peer's; `%any` for a responder accepting any source). */
  remoteAddrs?: string;
}

export const TEST_PSK = 'attestd-interop-ike-psk-0123456789';

export function ikeSwanctlConf(o: IkeConfOptions): string {
  const auth = o.auth ?? 'psk';
  const conn = o.conn ?? 'c';
  const lines = [
    'connections {',
    `  ${conn} {`,
    `    local_addrs = ${o.me.addr}`,
    `    remote_addrs = ${o.remoteAddrs ?? o.peer.addr}`,
    '    encap = yes',
    `    proposals = ${o.proposals ?? 'aes256gcm16-prfsha256-x25519'}`,
    ...(o.extra ?? []).map((l) => `    ${l}`),
    '    local {',
    `      auth = ${auth}`,
    `      id = ${o.localId ?? o.me.name}`,
    ...(auth === 'pubkey' ? [`      certs = ${o.cert ?? `${o.me.name}.pem`}`] : []),
    '    }',
    '    remote {',
    `      auth = ${auth}`,
    `      id = ${o.remoteId ?? o.peer.name}`,
    '    }',
    '    children {',
    `      ${o.child ?? 'ch'} {`,
    `        local_ts = ${o.me.inner}/32`,
    `        remote_ts = ${o.peer.inner}/32`,
    `        esp_proposals = ${o.espProposals ?? 'aes256gcm16'}`,
    ...(o.childExtra ?? []).map((l) => `        ${l}`),
    '      }',
    '    }',
    '  }',
    '}',
  ];
  if (auth === 'psk') {
    lines.push('secrets {', `  ike-${conn} {`);
    if (!o.wildcardPsk) lines.push(`    id-1 = ${o.localId ?? o.me.name}`, `    id-2 = ${o.remoteId ?? o.peer.name}`);
    lines.push(`    secret = "${o.psk ?? TEST_PSK}"`, '  }', '}');
  }
  return lines.join('\n') + '\n';
}

/** Credential files in swanctl layout, as `startCharon({ certs })` takes them. */
export type CredFiles = Partial<Record<'x509' | 'x509ca' | 'private', Record<string, string>>>;

export interface OursOptions {
  /** swanctl.conf text. */
  conf: string;
  certs?: CredFiles;
  engine?: RunnerEngineOptions;
  testbed: Testbed;
  /** Extra node options for the runner (e.g. `--expose-gc`). */
  nodeArgs?: string[];
}

export interface Ours {
  readonly pid: number;
  readonly dir: string;
  readonly proc: Proc;
  call<T = unknown>(cmd: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Writes a new swanctl.conf (and credentials) and restarts the engine with these options (drops all SAs). */
  reset(conf?: string, engine?: RunnerEngineOptions, certs?: CredFiles): Promise<void>;
  initiate(ike?: string, child?: string): Promise<SaInfo>;
  list(): Promise<SaInfo[]>;
  established(ike?: string): Promise<SaInfo[]>;
  /** Waits for an established SA of `ike` (with a child when `child`). */
  waitForSa(ike: string, pred?: (sa: SaInfo) => boolean, timeoutMs?: number): Promise<SaInfo>;
  describe(): Promise<string>;
  stop(): Promise<void>;
}

const RUNNER = resolve(import.meta.dirname, 'ike-runner.ts');

function writeCreds(dir: string, certs: CredFiles | undefined): void {
  for (const d of ['x509', 'x509ca', 'private']) mkdirSync(join(dir, d), { recursive: true });
  for (const [d, files] of Object.entries(certs ?? {}))
    for (const [f, content] of Object.entries(files ?? {})) writeFileSync(join(dir, d, f), content, { mode: 0o600 });
}

/** Starts our IKE side in `host`'s namespace and waits for its control socket. */
export async function startOurs(host: TestbedHost, opts: OursOptions): Promise<Ours> {
  const dir = mkdtempSync(join(tmpdir(), `at-ours-${host.name}-`));
  const confPath = join(dir, 'swanctl.conf');
  const control = join(dir, 'control.sock');
  writeFileSync(confPath, opts.conf);
  writeCreds(dir, opts.certs);
  const args = ['--config', confPath, '--control', control, '--listen', host.addr];
  if (opts.engine) args.push('--engine', JSON.stringify(opts.engine));
  const proc = opts.testbed.spawn(
    host,
    process.execPath,
    [...process.execArgv, ...(opts.nodeArgs ?? []), RUNNER, ...args],
    {
      name: `ours ${host.name}`,
    },
  );
  let sock: Socket | undefined;
  let buf = '';
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  try {
    await waitFor(
      () => {
        if (proc.exitStatus()) throw new StateError(`runner exited: ${proc.stderr()}`);
        return /ready \d+/.test(proc.stdout());
      },
      { what: `our IKE runner on ${host.name}`, timeoutMs: 15_000, detail: () => proc.stderr() },
    );
    sock = await new Promise<Socket>((res, rej) => {
      const s = createConnection(control, () => res(s));
      s.once('error', rej);
    });
  } catch (e) {
    await proc.stop({ graceMs: 500 });
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const msg = JSON.parse(line) as { id: number; ok: boolean; result?: unknown; error?: string; logs?: string[] };
      const p = pending.get(msg.id);
      if (!p) continue;
      pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new StateError(`ours: ${msg.error ?? '?'}\n${(msg.logs ?? []).join('\n')}`));
    }
  });
  sock.on('error', () => {});
  const s = sock;
  const call = <T>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> =>
    new Promise<T>((res, rej) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        rej(new TimeoutError(`ours: ${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          res(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          rej(e);
        },
      });
      s.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    });
  const list = () => call<SaInfo[]>('list');
  const ours: Ours = {
    pid: proc.pid,
    dir,
    proc,
    call,
    reset: async (conf, engine, certs) => {
      if (conf !== undefined) writeFileSync(confPath, conf);
      if (certs) writeCreds(dir, certs);
      await call('reset', { config: confPath, ...(engine ? { engine } : {}) });
    },
    initiate: (ike = 'c', child) => call<SaInfo>('initiate', { ike, ...(child ? { child } : {}) }),
    list,
    established: async (ike = 'c') => (await list()).filter((s) => s.name === ike && s.state === 'ESTABLISHED'),
    waitForSa: (ike, pred = () => true, timeoutMs = 10_000) => {
      let last: SaInfo[] = [];
      return waitFor(
        async () => {
          last = await list();
          return last.find((s) => s.name === ike && s.state === 'ESTABLISHED' && pred(s));
        },
        { what: `our IKE_SA ${ike}`, timeoutMs, intervalMs: 100, detail: () => JSON.stringify(last) },
      );
    },
    describe: async () => {
      try {
        return (await call<string[]>('logs', { lines: 40 }, 3000)).join('\n');
      } catch (e) {
        return `(no logs: ${e instanceof Error ? e.message : String(e)})\n${proc.stderr().slice(-3000)}`;
      }
    },
    stop: async () => {
      s.destroy();
      await proc.stop({ graceMs: 2000 });
      if (process.env.ATTESTD_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
    },
  };
  opts.testbed.onDestroy(() => ours.stop());
  return ours;
}

/** utime + stime of a process in seconds (/proc/<pid>/stat fields 14 and 15). */
export function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: field 3 is index 0, so utime (14) is index 11 and stime (15) index 12.
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** VmRSS of a process in bytes. */
export function procRssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] ? Number(m[1]) * 1024 : 0;
}
