/**
 * Process helpers for tests and benches that drive real tools (ip, charon, swanctl, tcpdump, tshark, iperf3).
 *
 * - `run` runs a command to completion (optionally inside a network namespace through `ip netns exec`), with a
 *   timeout and captured output, and throws a `CommandError` naming the command line and its output on failure.
 * - `spawnProcess` starts a long-running process in its own process group and tracks it: `stop()` sends SIGTERM to
 *   the whole group, waits, then SIGKILL; every tracked process still alive when Node exits is killed (SIGKILL to
 *   the group), so a crashed test never leaves daemons behind.
 * - `waitFor` polls a predicate and throws a `TimeoutError` that says what it waited for.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { AttestdError, TimeoutError } from '../../src/common/errors.ts';

export { sleep };

/** A command that exited with a non-zero status, was killed, or could not start. */
export class CommandError extends AttestdError {
  readonly command: string;
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  constructor(command: string, exitCode: number | null, stdout: string, stderr: string, why: string) {
    const tail = (s: string) => (s.length > 2000 ? '…' + s.slice(-2000) : s).trimEnd();
    super(
      'ERR_COMMAND',
      `${command}: ${why}` +
        (stderr.trim() ? `\n--- stderr ---\n${tail(stderr)}` : '') +
        (stdout.trim() ? `\n--- stdout ---\n${tail(stdout)}` : ''),
    );
    this.command = command;
    this.exitCode = exitCode;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

export interface RunOptions {
  /** Network namespace to run in (`ip netns exec NS …`). */
  ns?: string;
  /** Kill the command after this long (default 30 s). */
  timeoutMs?: number;
  /** Written to stdin, then stdin is closed. */
  input?: string | Uint8Array;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Resolve with the result instead of throwing when the exit status is not 0. */
  allowFail?: boolean;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** Exit status, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** argv prefix that runs `cmd` inside network namespace `ns`. */
export function inNs(ns: string | undefined, cmd: string, args: readonly string[]): [string, string[]] {
  return ns === undefined ? [cmd, [...args]] : ['ip', ['netns', 'exec', ns, cmd, ...args]];
}

/** Shell-like rendering of a command line, for messages. */
export function commandLine(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Runs a command to completion. Throws `CommandError` on a non-zero exit (unless `allowFail`) or a timeout. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [file, argv] = inNs(opts.ns, cmd, args);
  const line = commandLine(file, argv);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {});
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new CommandError(line, null, '', '', `cannot start: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const r: RunResult = {
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code,
        signal,
      };
      if (timedOut) reject(new CommandError(line, code, r.stdout, r.stderr, `timed out after ${timeoutMs} ms`));
      else if (code !== 0 && !opts.allowFail)
        reject(
          new CommandError(line, code, r.stdout, r.stderr, code === null ? `killed by ${signal}` : `exit ${code}`),
        );
      else resolve(r);
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

export interface SpawnOptions {
  ns?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Label for messages and `liveProcesses()`. */
  name?: string;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A tracked long-running process. */
export interface Proc {
  readonly name: string;
  readonly pid: number;
  readonly commandLine: string;
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Null while running. */
  exitStatus(): ExitStatus | null;
  readonly exited: Promise<ExitStatus>;
  /** Sends a signal to the process group. */
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM (or `signal`) to the group, wait up to `graceMs` (default 3000), then SIGKILL; resolves on exit. */
  stop(opts?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<ExitStatus>;
}

const live = new Map<number, Proc>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

const exitCleanups: (() => void)[] = [];

/**
 * Registers a synchronous cleanup run when this process exits, normally or on SIGINT/SIGTERM/SIGHUP (the signal is
 * re-raised afterwards, so the exit status still says what killed us). Tracked processes are killed first.
 */
export function onExitSync(fn: () => void): void {
  installExitHook();
  exitCleanups.push(fn);
}

function runExitCleanups(): void {
  for (const p of live.values()) p.kill('SIGKILL');
  for (const fn of exitCleanups.splice(0).reverse()) {
    try {
      fn();
    } catch {
      // best effort while exiting
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers run synchronously: process.kill and spawnSync are synchronous, so this reaches everything.
  process.on('exit', runExitCleanups);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = () => {
      runExitCleanups();
      process.removeListener(sig, handler);
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

/** Processes started by `spawnProcess` that have not exited yet. */
export function liveProcesses(): Proc[] {
  return [...live.values()];
}

/** Starts a long-running process in its own process group and tracks it until it exits. */
export function spawnProcess(cmd: string, args: readonly string[], opts: SpawnOptions = {}): Proc {
  installExitHook();
  const [file, argv] = inNs(opts.ns, cmd, args);
  const line = commandLine(file, argv);
  const child = spawn(file, argv, {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) throw new CommandError(line, null, '', '', 'cannot start');
  const pid = child.pid;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => err.push(b));
  let status: ExitStatus | null = null;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.on('exit', (code, signal) => {
      status = { code, signal };
      live.delete(pid);
      resolve(status);
    });
    child.on('error', () => {
      status = status ?? { code: null, signal: null };
      live.delete(pid);
      resolve(status);
    });
  });
  // Do not keep the event loop alive for a daemon the test forgot: the exit hook kills it.
  child.unref();
  // At run time the pipes are sockets.
  (child.stdout as Socket | null)?.unref();
  (child.stderr as Socket | null)?.unref();
  const proc: Proc = {
    name: opts.name ?? cmd,
    pid,
    commandLine: line,
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => Buffer.concat(err).toString('utf8'),
    exitStatus: () => status,
    exited,
    kill: (signal: NodeJS.Signals = 'SIGTERM') => {
      if (status === null) killGroup(child, signal);
    },
    stop: async ({ signal = 'SIGTERM', graceMs = 3000 } = {}) => {
      if (status !== null) return status;
      killGroup(child, signal);
      const t = sleep(graceMs).then(() => null);
      const first = await Promise.race([exited, t]);
      if (first !== null) return first;
      killGroup(child, 'SIGKILL');
      return exited;
    },
  };
  live.set(pid, proc);
  return proc;
}

export interface WaitOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Poll interval (default 50 ms). */
  intervalMs?: number;
  /** What is being waited for, for the error message: "vici socket of charon left". */
  what: string;
  /** Extra text for the error, computed only on timeout (e.g. the tail of a log). */
  detail?: () => string;
}

/**
 * Polls `predicate` until it returns a value other than false/undefined/null and returns that value. A predicate
 * that throws is retried; the last error is reported in the `TimeoutError` if time runs out.
 */
export async function waitFor<T>(
  predicate: () => T | false | undefined | null | Promise<T | false | undefined | null>,
  opts: WaitOptions,
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await predicate();
      if (v !== false && v !== undefined && v !== null) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      const detail = opts.detail ? `\n${opts.detail()}` : '';
      throw new TimeoutError(`timed out after ${timeoutMs} ms waiting for ${opts.what}${why}${detail}`, {
        cause: lastError,
      });
    }
    await sleep(intervalMs);
  }
}

/** Whether a process with this pid exists and is not a zombie waiting to be reaped. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
