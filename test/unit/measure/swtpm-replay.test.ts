/**
 * The builders and replay against a real TPM: swtpm's PCRs, extended with the digests our logs carry, must equal
 * our replay (IMA PCR 10 in sha256 and sha1, firmware PCRs 0-9 in sha256 and sha384).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { toHex } from '../../../src/common/index.ts';
import { requires } from '../../support/env.ts';
import { buildImaLog } from '../../../src/measure/ima-builder.ts';
import { buildEventLog, separator } from '../../../src/measure/eventlog-builder.ts';
import { EventType } from '../../../src/measure/eventlog.ts';
import { eventLogExtends, imaExtends, replayEventLog, replayIma, type PcrExtend } from '../../../src/measure/replay.ts';
import type { HashName } from '../../../src/measure/hash.ts';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function freePortPair(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const p = await freePort();
    if (p < 65535 && (await portFree(p + 1))) return p;
  }
  throw new Error('no free port pair');
}

/** Waits until swtpm answers a command (a bare connect probe would not prove that). */
async function waitFor(env: NodeJS.ProcessEnv): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = spawnSync('tpm2_pcrread', ['sha256:0'], { env });
    if (r.status === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('swtpm did not answer');
}

function tpm(env: NodeJS.ProcessEnv, cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.toString();
}

function extendAll(env: NodeJS.ProcessEnv, bank: HashName, xs: PcrExtend[]): void {
  for (let i = 0; i < xs.length; i += 16) {
    tpm(
      env,
      'tpm2_pcrextend',
      xs.slice(i, i + 16).map((x) => `${x.pcr}:${bank}=${toHex(x.digest)}`),
    );
  }
}

function pcrRead(env: NodeJS.ProcessEnv, bank: HashName, pcrs: number[]): Map<number, string> {
  const out = tpm(env, 'tpm2_pcrread', [`${bank}:${pcrs.join(',')}`]);
  const m = new Map<number, string>();
  for (const line of out.split('\n')) {
    const x = /^\s+(\d+)\s*:\s*0x([0-9A-F]+)/.exec(line);
    if (x) m.set(Number(x[1]), x[2]!.toLowerCase());
  }
  return m;
}

test('swtpm PCRs extended with our log digests equal our replay', async (t) => {
  if (!requires(t, { commands: ['swtpm', 'tpm2_pcrextend', 'tpm2_pcrread'] })) return;
  const dir = mkdtempSync(join(tmpdir(), 'attestd-swtpm-'));
  // The swtpm TCTI expects the control channel on port + 1.
  const port = await freePortPair();
  const ctrl = port + 1;
  const child = spawn(
    'swtpm',
    [
      'socket',
      '--tpm2',
      '--tpmstate',
      `dir=${dir}`,
      '--server',
      `type=tcp,port=${port},bindaddr=127.0.0.1`,
      '--ctrl',
      `type=tcp,port=${ctrl},bindaddr=127.0.0.1`,
      '--flags',
      'not-need-init,startup-clear',
    ],
    { stdio: 'ignore' },
  );
  t.after(() => {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  const env = { ...process.env, TPM2TOOLS_TCTI: `swtpm:host=127.0.0.1,port=${port}` };
  await waitFor(env);

  const d = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());
  const ima = buildImaLog([
    { path: 'boot_aggregate', digest: d('agg') },
    { path: '/usr/bin/bash', digest: d('bash') },
    { path: '/tmp/v', digest: new Uint8Array(32), violation: true },
    { path: '/usr/bin/ls', digest: d('ls'), template: 'ima-sig', sig: new Uint8Array([1, 2]) },
  ]);
  const fw = buildEventLog(
    [
      { pcr: 0, type: EventType.EV_S_CRTM_VERSION, data: new Uint8Array([0x31, 0]) },
      { pcr: 4, type: EventType.EV_EFI_BOOT_SERVICES_APPLICATION, data: new Uint8Array(8), hashed: d('shim') },
      { pcr: 8, type: EventType.EV_IPL, data: new TextEncoder().encode('linux /vmlinuz\0') },
      ...[0, 1, 2, 3, 4, 5, 6, 7].map(separator),
    ],
    { banks: ['sha1', 'sha256', 'sha384'] },
  );
  for (const bank of ['sha1', 'sha256'] as const) extendAll(env, bank, imaExtends(ima, bank));
  for (const bank of ['sha256', 'sha384'] as const) extendAll(env, bank, eventLogExtends(fw, bank));

  for (const bank of ['sha1', 'sha256'] as const) {
    assert.equal(pcrRead(env, bank, [10]).get(10), toHex(replayIma(ima, bank)), `IMA ${bank}`);
  }
  const pcrs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  for (const bank of ['sha256', 'sha384'] as const) {
    const real = pcrRead(env, bank, pcrs);
    const ours = replayEventLog(fw, bank);
    for (const p of pcrs) assert.equal(real.get(p), toHex(ours.get(p)!), `${bank} PCR ${p}`);
  }
});
