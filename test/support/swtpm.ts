/**
 * Starts a freshly manufactured swtpm for a test: a new state dir in a temp dir, set up by swtpm_setup with an EK
 * (RSA-2048 and ECC) and EK/platform certificates from swtpm-localca, then `swtpm socket` on two free TCP ports
 * (data port P and control port P + 1, the convention of libtss2-tcti-swtpm), or with `unix` on two UNIX sockets
 * (`swtpm.sock` and `swtpm.sock.ctrl`, the convention of the `swtpm:path=` TCTI), which processes in other network
 * namespaces reach too. `stop()` kills the process and removes the directory (and the sockets); tests call it from
 * `t.after`.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCtrlPath } from '../../src/tpm/transport/swtpm.ts';

interface SwtpmCommon {
  stateDir: string;
  /** For tpm2-tools and the attestd TCTI options: TPM2TOOLS_TCTI=<tcti>. */
  tcti: string;
  stop(): Promise<void>;
}

/** A simulator on TCP ports. */
export interface Swtpm extends SwtpmCommon {
  port: number;
  ctrlPort: number;
}

/** A simulator on UNIX sockets. */
export interface UnixSwtpm extends SwtpmCommon {
  /** Data socket. */
  path: string;
  /** Control socket (`path` + ".ctrl"). */
  ctrlPath: string;
}

export interface SwtpmStartOptions {
  /** Send TPM2_Startup(CLEAR) inside swtpm (default true); false leaves it to the test. */
  startupClear?: boolean;
  /** PCR banks to activate (default sha1,sha256). */
  pcrBanks?: string;
  /** Listen on UNIX sockets instead of TCP: true (in the simulator's temp dir) or the directory to put them in. */
  unix?: boolean | string;
}

function listen(port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(undefined));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(s));
  });
}

function close(s: net.Server): Promise<void> {
  return new Promise((r) => s.close(() => r()));
}

/** Two consecutive free ports P, P + 1 (bind port 0, then P + 1; retry on collision). */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const a = await listen(0);
    if (!a) continue;
    const addr = a.address();
    const p = typeof addr === 'object' && addr ? addr.port : 0;
    const b = p > 0 && p < 65535 ? await listen(p + 1) : undefined;
    await close(a);
    if (b) {
      await close(b);
      return p;
    }
  }
  throw new Error('no free port pair for swtpm');
}

function connects(to: number | string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(typeof to === 'number' ? { host: '127.0.0.1', port: to } : { path: to });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function manufacture(stateDir: string, conf: string, pcrBanks: string): void {
  const r = spawnSync(
    'swtpm_setup',
    [
      '--tpm2',
      '--tpmstate',
      stateDir,
      '--create-ek-cert',
      '--create-platform-cert',
      '--lock-nvram',
      '--pcr-banks',
      pcrBanks,
      '--config',
      conf,
      '--overwrite',
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (r.status !== 0) throw new Error(`swtpm_setup failed (${r.status}): ${r.stderr || r.stdout}`);
}

/** Simulators still running when the test process exits (a crashed test) are killed and their dirs removed. */
const running = new Map<ChildProcess, string>();
process.once('exit', () => {
  for (const [p, dir] of running) {
    p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}

/** swtpm's `--server` / `--ctrl` arguments, the TCTI and the result fields for one channel choice. */
interface Channels {
  args: string[];
  data: number | string;
  ctrl: number | string;
  tcti: string;
  removeSockets(): void;
}

async function channels(root: string, unix: boolean | string | undefined): Promise<Channels> {
  if (unix) {
    const dir = typeof unix === 'string' ? unix : root;
    const path = join(dir, 'swtpm.sock');
    const ctrlPath = defaultCtrlPath(path);
    for (const p of [path, ctrlPath]) rmSync(p, { force: true }); // a stale socket of an earlier run
    return {
      args: ['--server', `type=unixio,path=${path}`, '--ctrl', `type=unixio,path=${ctrlPath}`],
      data: path,
      ctrl: ctrlPath,
      tcti: `swtpm:path=${path}`,
      removeSockets: () => {
        for (const p of [path, ctrlPath]) rmSync(p, { force: true });
      },
    };
  }
  const port = await freePortPair();
  return {
    args: [
      '--server',
      `type=tcp,port=${port},bindaddr=127.0.0.1`,
      '--ctrl',
      `type=tcp,port=${port + 1},bindaddr=127.0.0.1`,
    ],
    data: port,
    ctrl: port + 1,
    tcti: `swtpm:host=127.0.0.1,port=${port}`,
    removeSockets: () => {},
  };
}

export function startSwtpm(opts?: SwtpmStartOptions & { unix?: false | undefined }): Promise<Swtpm>;
export function startSwtpm(opts: SwtpmStartOptions & { unix: true | string }): Promise<UnixSwtpm>;
export function startSwtpm(opts?: SwtpmStartOptions): Promise<Swtpm | UnixSwtpm>;
export async function startSwtpm(opts: SwtpmStartOptions = {}): Promise<Swtpm | UnixSwtpm> {
  const root = mkdtempSync(join(tmpdir(), 'attestd-swtpm-'));
  const stateDir = join(root, 'state');
  try {
    const conf = join(root, 'swtpm_setup.conf');
    // Points at swtpm-localca's default configuration (Debian swtpm-tools), which signs the EK certificates.
    writeFileSync(
      conf,
      [
        'create_certs_tool = /usr/bin/swtpm_localca',
        'create_certs_tool_config = /etc/swtpm-localca.conf',
        'create_certs_tool_options = /etc/swtpm-localca.options',
        `active_pcr_banks = ${opts.pcrBanks ?? 'sha1,sha256'}`,
        '',
      ].join('\n'),
    );
    mkdirSync(stateDir);
    manufacture(stateDir, conf, opts.pcrBanks ?? 'sha1,sha256');
    const flags = opts.startupClear === false ? 'not-need-init' : 'not-need-init,startup-clear';
    for (let attempt = 0; attempt < 5; attempt++) {
      const ch = await channels(root, opts.unix);
      const proc = spawn('swtpm', ['socket', '--tpm2', ...ch.args, '--tpmstate', `dir=${stateDir}`, '--flags', flags], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      proc.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
      let ready = false;
      for (let i = 0; i < 100 && proc.exitCode === null; i++) {
        if ((await connects(ch.ctrl)) && (await connects(ch.data))) {
          ready = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      if (!ready) {
        await stopProcess(proc);
        ch.removeSockets();
        if (attempt === 4) throw new Error(`swtpm did not start: ${stderr}`);
        continue;
      }
      let stopped = false;
      running.set(proc, root);
      const common = {
        stateDir,
        tcti: ch.tcti,
        async stop() {
          if (stopped) return;
          stopped = true;
          await stopProcess(proc);
          running.delete(proc);
          ch.removeSockets();
          rmSync(root, { recursive: true, force: true });
        },
      };
      return typeof ch.data === 'number'
        ? { ...common, port: ch.data, ctrlPort: ch.ctrl as number }
        : { ...common, path: ch.data, ctrlPath: ch.ctrl as string };
    }
    throw new Error('swtpm did not start');
  } catch (e) {
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
}
