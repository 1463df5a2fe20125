// EAP interop (test/interop/eap.suite.ts) as part of `npm test`: against Debian's charon 5.9.8 EAP-TTLS + MD5 in
// both roles, the EAP-only mutual-certificate shell in both roles, and charon's Nak to PT-EAP; ours with ours (two
// daemons, each with its own swtpm) mutual attestation over TLS 1.3 and 1.2, a changed binary refused, isolation;
// bad EAP input at our EAP server from a scripted IKE initiator. Needs root (namespaces), strongSwan and swtpm; about
// ten seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requires } from '../support/env.ts';
import { CHARON, SWANCTL } from '../support/charon.ts';
import { run } from './eap.suite.ts';

test('EAP interop with charon 5.9.8 and ours with ours: every scenario passes', async (t) => {
  if (!requires(t, { root: true, commands: ['ip', 'pki', CHARON, SWANCTL, 'swtpm', 'swtpm_setup'] })) return;
  const results: { name: string; ok: boolean; detail: string }[] = [];
  await run({
    log: (s) => t.diagnostic(s),
    scenario: async (name, fn) => {
      try {
        const detail = (await fn()) ?? '';
        results.push({ name, ok: true, detail });
        return true;
      } catch (e) {
        results.push({ name, ok: false, detail: e instanceof Error ? e.message : String(e) });
        return false;
      }
    },
  });
  const failed = results.filter((r) => !r.ok);
  assert.deepEqual(failed, [], failed.map((f) => `${f.name}: ${f.detail.slice(0, 3000)}`).join('\n\n'));
  assert.equal(results.length, 15);
});
