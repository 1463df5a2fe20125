/**
 * CI gate of the userspace ESP data plane: runs `npm run interop -- esp` (test/interop/esp.suite.ts: our daemon
 * with the tun data plane against charon with kernel-libipsec, and against itself) with the 50 MB transfers (ESP_TRANSFER
 * overrides), and checks the JSON report: every scenario passed, and the scenarios the issue names are there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { requires } from '../support/env.ts';
import { run } from '../support/proc.ts';
import type { InteropReport } from '../support/harness.ts';

const ROOT = resolve(import.meta.dirname, '../..');

test(
  'npm run interop -- esp: traffic through our ESP data plane with charon and with ourselves',
  { timeout: 600_000 },
  async (t) => {
    if (!requires(t, { root: true, commands: ['iperf3', 'tcpdump', 'ping', 'ss', '/usr/lib/ipsec/charon'] })) return;
    const r = await run(process.execPath, [resolve(ROOT, 'scripts/interop.ts'), 'esp'], {
      cwd: ROOT,
      allowFail: true,
      timeoutMs: 580_000,
      env: { ...process.env, ESP_TRANSFER: process.env.ESP_TRANSFER ?? '50M' },
    });
    const last = r.stdout.trimEnd().split('\n').pop() ?? '';
    let report: InteropReport;
    try {
      report = JSON.parse(last) as InteropReport;
    } catch {
      assert.fail(`no JSON report on the last line:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-2000)}`);
    }
    const failed = report.scenarios.filter((s) => !s.ok);
    assert.deepEqual(
      failed.map((s) => `${s.name}: ${s.detail.slice(0, 1500)}`),
      [],
      'failed scenarios',
    );
    assert.equal(r.code, 0);
    const names = report.scenarios.map((s) => s.name).join('\n');
    for (const peer of ['charon', 'attestd'])
      for (const want of [
        new RegExp(`^${peer} aes256gcm16: ping and \\S+ TCP both ways$`, 'm'),
        new RegExp(`^${peer} aes128-sha256: ping and \\S+ TCP both ways$`, 'm'),
        new RegExp(`^${peer} chacha20poly1305: ping and \\S+ TCP both ways$`, 'm'),
        new RegExp(`^${peer} aes256gcm16: traffic across a CHILD_SA rekey$`, 'm'),
        new RegExp(`^${peer} aes256gcm16: replayed and bit-flipped ESP dropped and counted$`, 'm'),
      ])
        assert.match(names, want);
  },
);
