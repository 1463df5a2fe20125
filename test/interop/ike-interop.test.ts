/**
 * CI gate of the IKEv2 core: runs `npm run interop -- ike` (test/interop/ike.suite.ts against charon 5.9.8 in two
 * network namespaces) and checks its JSON report: every scenario passed, and the scenarios the issue names are there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requires } from '../support/env.ts';
import { runInteropGate } from '../support/interop-gate.ts';

test('npm run interop -- ike: every scenario passes against charon', { timeout: 300_000 }, async (t) => {
  if (!requires(t, { root: true, commands: ['tshark', 'tcpdump', 'swanctl'] })) return;
  const report = await runInteropGate('ike', { timeoutMs: 280_000 });
  const names = report.scenarios.map((s) => s.name).join('\n');
  for (const want of [
    /^PSK, we initiate$/m,
    /^PSK, charon initiates$/m,
    /^ECDSA P-256 certificates, charon initiates$/m,
    /^RSA-3072 certificates \(RFC 7427\), we initiate$/m,
    /^Ed25519 certificates, we initiate$/m,
    /^proposal chacha20poly1305-prfsha512-ecp384, charon initiates$/m,
    /^CHILD_SA rekey, charon starts it$/m,
    /^IKE_SA rekey, we start it$/m,
    /^DELETE, charon sends it$/m,
    /^liveness check \(DPD\), charon sends it$/m,
    /^IKE fragmentation/m,
    /^INVALID_KE_PAYLOAD retry, we initiate$/m,
    /^COOKIE demanded by charon/m,
    /^flood of IKE_SA_INIT/m,
  ])
    assert.match(names, want);
  assert.ok(report.passed >= 30, `${report.passed} scenarios passed`);
});
