/**
 * CI gate of the userspace ESP data plane: runs `npm run interop -- esp` (test/interop/esp.suite.ts: our daemon
 * with the tun data plane against charon with kernel-libipsec, and against itself) with the 50 MB transfers (ESP_TRANSFER
 * overrides), and checks the JSON report: every scenario passed, and the scenarios the issue names are there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requires } from '../support/env.ts';
import { runInteropGate } from '../support/interop-gate.ts';

test(
  'npm run interop -- esp: traffic through our ESP data plane with charon and with ourselves',
  { timeout: 600_000 },
  async (t) => {
    if (!requires(t, { root: true, commands: ['iperf3', 'tcpdump', 'ping', 'ss', '/usr/lib/ipsec/charon'] })) return;
    const report = await runInteropGate('esp', {
      timeoutMs: 580_000,
      env: { ESP_TRANSFER: process.env.ESP_TRANSFER ?? '50M' },
    });
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
