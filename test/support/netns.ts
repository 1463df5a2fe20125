/**
 * Network-namespace test beds: two or three "hosts", each a network namespace, on one IPv4 link 10.99.0.0/24
 * (optionally also fd99::/64), each with a "protected subnet" address on lo.
 *
 *   2 hosts:  [left] eth0 ──veth── eth0 [right]
 *   3 hosts:  [a] eth0 ──veth── p0 ┐
 *             [b] eth0 ──veth── p1 ├ br0 [switch namespace]
 *             [c] eth0 ──veth── p2 ┘
 *
 * Host i (0-based) has link address 10.99.0.(i+1) (fd99::(i+1)) on eth0 and inner address 10.(i+1).0.1/32
 * (fd00:(i+1)::1/128) on lo; lo is up. Without `ipv6`, IPv6 is disabled in the host namespaces (no link-local
 * addresses appearing a second later, which charon would answer with MOBIKE address updates).
 *
 * Collisions between concurrently running tests: namespace names are unique per call (`at-<pid>-<n>-<host>`),
 * and every device and address lives only inside the test bed's own namespaces (the veth pairs are created directly
 * in their namespaces, never in the root namespace), so two test beds using the same 10.99.0.0/24 and the same
 * device names cannot see each other. No lock and no per-test subnet is needed; a test that connects a test bed to
 * the root namespace would need one and must add it itself.
 *
 * Cleanup: `destroy()` runs registered cleanups (e.g. charon stop), kills every process still in the namespaces and
 * deletes them. An exit hook (normal exit, SIGINT, SIGTERM, SIGHUP) does the same synchronously for test beds a
 * crashed test did not destroy, and
 * `sweepStaleNamespaces()` (run once per process by `createTestbed`) removes `at-<pid>-…` namespaces whose creating
 * process is gone (killed runs).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '../../src/common/errors.ts';
import { onExitSync, run, spawnProcess, sleep, pidAlive } from './proc.ts';
import type { Proc, RunOptions, RunResult, SpawnOptions } from './proc.ts';

export interface TestbedHost {
  /** Short host name: `left`/`right`, or `a`/`b`/`c`. */
  name: string;
  /** Network namespace name. */
  ns: string;
  /** 0-based index. */
  index: number;
  /** Device on the shared link (always `eth0`). */
  iface: string;
  /** Link address, e.g. 10.99.0.1. */
  addr: string;
  /** Inner ("protected subnet") address on lo, e.g. 10.1.0.1. */
  inner: string;
  /** IPv6 link and inner addresses when `ipv6` was asked for. */
  addr6?: string;
  inner6?: string;
}

export interface Testbed {
  /** Unique id of this test bed, `<prefix>-<pid>-<n>`; prefix of all its namespace names. */
  readonly id: string;
  readonly hosts: TestbedHost[];
  /** Namespace holding the bridge (3+ hosts only). */
  readonly switchNs: string | undefined;
  /** Looks a host up by name or index; throws if there is none. */
  host(which: string | number): TestbedHost;
  /** Runs a command inside a host's namespace. */
  exec(
    host: TestbedHost | string,
    cmd: string,
    args: readonly string[],
    opts?: Omit<RunOptions, 'ns'>,
  ): Promise<RunResult>;
  /** Starts a tracked long-running process inside a host's namespace; killed by `destroy()`. */
  spawn(host: TestbedHost | string, cmd: string, args: readonly string[], opts?: Omit<SpawnOptions, 'ns'>): Proc;
  /** Registers cleanup run first by `destroy()`, last registered first. */
  onDestroy(fn: () => Promise<void> | void): void;
  /** All namespace names of this test bed. */
  namespaces(): string[];
  /** Idempotent. Never throws; problems are returned. */
  destroy(): Promise<string[]>;
}

export interface TestbedOptions {
  /** Number of hosts (2 or 3; 2 by default) or their names (2..9 names). */
  hosts?: number | string[];
  /** Namespace name prefix (default `at`). Must be short; the sweeper only knows `at`. */
  prefix?: string;
  /** Also configure IPv6 (fd99::/64 on the link, fd00:N::1/128 on lo). */
  ipv6?: boolean;
}

const live = new Set<Testbed & { destroySync(): void }>();
let counter = 0;
let swept = false;
let exitHook = false;

const NS_PATTERN = /^at-(\d+)-(\d+)-[a-z0-9]+$/;

function defaultNames(n: number): string[] {
  if (n === 2) return ['left', 'right'];
  return Array.from({ length: n }, (_, i) => String.fromCharCode(0x61 + i));
}

async function ip(args: string[]): Promise<RunResult> {
  return run('ip', args, { timeoutMs: 10_000 });
}

/** Network namespace names currently present (`ip netns list`). */
export function listNamespaces(): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return (r.stdout ?? '')
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((s) => s.length > 0);
}

/** Pids of processes in a network namespace (`ip netns pids`). */
export function namespacePids(ns: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
  return (r.stdout ?? '')
    .split('\n')
    .map((l) => Number.parseInt(l, 10))
    .filter((n) => Number.isInteger(n) && n > 0);
}

function killAll(pids: number[], signal: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch {
      // gone
    }
  }
}

/** Start time of a process in ms since the epoch, from /proc (null if unknown). */
function processStartMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime, clock ticks since boot) counted after the ")" that closes the command name.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    if (!btime?.[1] || !Number.isFinite(ticks)) return null;
    return Number(btime[1]) * 1000 + (ticks / 100) * 1000;
  } catch {
    return null;
  }
}

/**
 * Deletes `at-<pid>-<n>-<host>` namespaces left by runs that died: the creating pid is gone, or it now belongs to
 * a process started after the namespace was made (pid reuse). Kills processes inside them first. Returns the names
 * removed.
 */
export function sweepStaleNamespaces(): string[] {
  const removed: string[] = [];
  for (const ns of listNamespaces()) {
    const m = NS_PATTERN.exec(ns);
    if (!m?.[1]) continue;
    const pid = Number(m[1]);
    if (pid === process.pid) continue;
    let stale = !pidAlive(pid);
    if (!stale) {
      const started = processStartMs(pid);
      let created: number | null;
      try {
        created = statSync(`/run/netns/${ns}`).mtimeMs;
      } catch {
        created = null;
      }
      // 2 s slack for clock-tick rounding.
      stale = started !== null && created !== null && created + 2000 < started;
    }
    if (!stale) continue;
    killAll(namespacePids(ns), 'SIGKILL');
    if (spawnSync('ip', ['netns', 'del', ns]).status === 0) removed.push(ns);
  }
  return removed;
}

/** Removes namespaces of any test bed this process has not destroyed; safe to call from an exit handler. */
export function destroyAllSync(): void {
  for (const tb of [...live]) tb.destroySync();
}

/** Creates a test bed (see file comment). Throws after undoing what it built if a step fails. */
export async function createTestbed(opts: TestbedOptions = {}): Promise<Testbed> {
  if (!swept) {
    swept = true;
    sweepStaleNamespaces();
  }
  if (!exitHook) {
    exitHook = true;
    onExitSync(destroyAllSync);
  }
  const names = Array.isArray(opts.hosts) ? opts.hosts : defaultNames(opts.hosts ?? 2);
  if (names.length < 2 || names.length > 9) throw new ConfigError(`test bed needs 2..9 hosts, got ${names.length}`);
  for (const n of names)
    if (!/^[a-z0-9]{1,8}$/.test(n) || n === 'sw')
      throw new ConfigError(`host name ${JSON.stringify(n)} not [a-z0-9]{1,8}`);
  if (new Set(names).size !== names.length) throw new ConfigError('host names must be unique');
  const prefix = opts.prefix ?? 'at';
  const id = `${prefix}-${process.pid}-${++counter}`;
  const hosts: TestbedHost[] = names.map((name, i) => ({
    name,
    ns: `${id}-${name}`,
    index: i,
    iface: 'eth0',
    addr: `10.99.0.${i + 1}`,
    inner: `10.${i + 1}.0.1`,
    ...(opts.ipv6 ? { addr6: `fd99::${i + 1}`, inner6: `fd00:${i + 1}::1` } : {}),
  }));
  const switchNs = names.length > 2 ? `${id}-sw` : undefined;
  const created: string[] = [];
  const procs = new Set<Proc>();
  const cleanups: (() => Promise<void> | void)[] = [];
  let destroyed: Promise<string[]> | undefined;

  const find = (which: TestbedHost | string | number): TestbedHost => {
    if (typeof which === 'object') return which;
    const h = typeof which === 'number' ? hosts[which] : hosts.find((x) => x.name === which);
    if (!h) throw new ConfigError(`test bed ${id} has no host ${String(which)}`);
    return h;
  };

  const destroySync = (): void => {
    live.delete(tb);
    for (const p of procs) p.kill('SIGKILL');
    for (const ns of created) {
      killAll(namespacePids(ns), 'SIGKILL');
      spawnSync('ip', ['netns', 'del', ns]);
    }
  };

  const destroy = (): Promise<string[]> => {
    destroyed ??= (async () => {
      const problems: string[] = [];
      for (const fn of cleanups.reverse()) {
        try {
          await fn();
        } catch (e) {
          problems.push(`cleanup: ${(e as Error).message}`);
        }
      }
      await Promise.all([...procs].map((p) => p.stop({ graceMs: 1500 })));
      for (const ns of created) {
        let pids = namespacePids(ns);
        if (pids.length) {
          killAll(pids, 'SIGTERM');
          for (let i = 0; i < 20 && pids.length; i++) {
            await sleep(50);
            pids = namespacePids(ns);
          }
          if (pids.length) {
            problems.push(`${ns}: SIGKILL to ${pids.join(',')}`);
            killAll(pids, 'SIGKILL');
            await sleep(50);
          }
        }
        const r = await run('ip', ['netns', 'del', ns], { allowFail: true });
        if (r.code !== 0) problems.push(`ip netns del ${ns}: ${r.stderr.trim()}`);
      }
      live.delete(tb);
      return problems;
    })();
    return destroyed;
  };

  const tb: Testbed & { destroySync(): void } = {
    id,
    hosts,
    switchNs,
    host: find,
    exec: (host, cmd, args, o = {}) => run(cmd, args, { ...o, ns: find(host).ns }),
    spawn: (host, cmd, args, o = {}) => {
      const p = spawnProcess(cmd, args, { ...o, ns: find(host).ns });
      procs.add(p);
      void p.exited.then(() => procs.delete(p));
      return p;
    },
    onDestroy: (fn) => {
      cleanups.push(fn);
    },
    namespaces: () => [...created],
    destroy,
    destroySync,
  };
  live.add(tb);

  try {
    for (const h of hosts) {
      await ip(['netns', 'add', h.ns]);
      created.push(h.ns);
      // Without IPv6, no link-local DAD: charon would see address changes a second after link up and send
      // MOBIKE address updates in the middle of a test.
      if (!opts.ipv6)
        await run('sysctl', ['-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'], {
          ns: h.ns,
        });
    }
    if (switchNs) {
      await ip(['netns', 'add', switchNs]);
      created.push(switchNs);
      await ip(['-n', switchNs, 'link', 'add', 'br0', 'type', 'bridge']);
      await ip(['-n', switchNs, 'link', 'set', 'br0', 'up']);
      for (const h of hosts) {
        const port = `p${h.index}`;
        await ip(['-n', switchNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', h.iface, 'netns', h.ns]);
        await ip(['-n', switchNs, 'link', 'set', port, 'master', 'br0']);
        await ip(['-n', switchNs, 'link', 'set', port, 'up']);
      }
    } else {
      const [l, r] = hosts as [TestbedHost, TestbedHost];
      await ip(['-n', l.ns, 'link', 'add', l.iface, 'type', 'veth', 'peer', 'name', r.iface, 'netns', r.ns]);
    }
    for (const h of hosts) {
      await ip(['-n', h.ns, 'link', 'set', 'lo', 'up']);
      await ip(['-n', h.ns, 'addr', 'add', `${h.addr}/24`, 'dev', h.iface]);
      await ip(['-n', h.ns, 'addr', 'add', `${h.inner}/32`, 'dev', 'lo']);
      if (h.addr6 && h.inner6) {
        await ip(['-n', h.ns, 'addr', 'add', `${h.addr6}/64`, 'dev', h.iface, 'nodad']);
        await ip(['-n', h.ns, 'addr', 'add', `${h.inner6}/128`, 'dev', 'lo']);
      }
      await ip(['-n', h.ns, 'link', 'set', h.iface, 'up']);
    }
  } catch (e) {
    await destroy();
    throw e;
  }
  return tb;
}

/**
 * Sends one UDP datagram from inside namespace `ns` (from an ephemeral port unless `fromPort`), e.g. to replay or
 * inject IKE messages. Resolves with the first reply's bytes if `replyMs` is given and one arrives in time.
 */
export async function sendUdp(
  ns: string,
  to: string,
  port: number,
  payload: Uint8Array,
  opts: { fromPort?: number; replyMs?: number } = {},
): Promise<Uint8Array | null> {
  const family = to.includes(':') ? 'udp6' : 'udp4';
  // A child node in the namespace: the test process itself cannot enter another network namespace.
  const script = `
const d = require('node:dgram').createSocket(${JSON.stringify(family)});
const wait = ${Number(opts.replyMs ?? 0)};
let done = false;
const finish = (hex) => { if (done) return; done = true; process.stdout.write(hex); d.close(); };
d.on('message', (m) => finish(m.toString('hex')));
d.bind(${Number(opts.fromPort ?? 0)}, () => d.send(Buffer.from(${JSON.stringify(Buffer.from(payload).toString('hex'))}, 'hex'), ${Number(port)}, ${JSON.stringify(to)}, (e) => {
  if (e) { console.error(e.message); process.exit(1); }
  setTimeout(() => finish(''), wait);
}));`;
  const r = await run(process.execPath, ['-e', script], { ns, timeoutMs: (opts.replyMs ?? 0) + 10_000 });
  const hex = r.stdout.trim();
  return hex ? new Uint8Array(Buffer.from(hex, 'hex')) : null;
}
