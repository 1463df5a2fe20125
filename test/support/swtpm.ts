/**
 * Starts a freshly manufactured swtpm for a test: a new state dir in a temp dir, set up by swtpm_setup with an EK
 * (RSA-2048 and ECC) and EK/platform certificates from swtpm-localca, then `swtpm socket` on two free TCP ports
 * (data port P and control port P + 1, the convention of libtss2-tcti-swtpm). `stop()` kills the process and removes
 * the directory; tests call it from `t.after`.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Swtpm {
  port: number;
  ctrlPort: number;
  stateDir: string;
  /** For tpm2-tools: TPM2TOOLS_TCTI=<tcti>. */
  tcti: string;
  stop(): Promise<void>;
}

export interface SwtpmStartOptions {
  /** Send TPM2_Startup(CLEAR) inside swtpm (default true); false leaves it to the test. */
  startupClear?: boolean;
  /** PCR banks to activate (default sha1,sha256). */
  pcrBanks?: string;
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

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
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

export async function startSwtpm(opts: SwtpmStartOptions = {}): Promise<Swtpm> {
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
      const port = await freePortPair();
      const ctrlPort = port + 1;
      const proc = spawn(
        'swtpm',
        [
          'socket',
          '--tpm2',
          '--server',
          `type=tcp,port=${port},bindaddr=127.0.0.1`,
          '--ctrl',
          `type=tcp,port=${ctrlPort},bindaddr=127.0.0.1`,
          '--tpmstate',
          `dir=${stateDir}`,
          '--flags',
          flags,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      proc.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
      let ready = false;
      for (let i = 0; i < 100 && proc.exitCode === null; i++) {
        if ((await connects(ctrlPort)) && (await connects(port))) {
          ready = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      if (!ready) {
        await stopProcess(proc);
        if (attempt === 4) throw new Error(`swtpm did not start: ${stderr}`);
        continue;
      }
      let stopped = false;
      running.set(proc, root);
      return {
        port,
        ctrlPort,
        stateDir,
        tcti: `swtpm:host=127.0.0.1,port=${port}`,
        async stop() {
          if (stopped) return;
          stopped = true;
          await stopProcess(proc);
          running.delete(proc);
          rmSync(root, { recursive: true, force: true });
        },
      };
    }
    throw new Error('swtpm did not start');
  } catch (e) {
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
}
