// `npm run interop -- tpm` under `npm test`: every scenario of test/interop/tpm.suite.ts (our TPM client and
// verifier against tpm2-tools, on one freshly manufactured swtpm) as a subtest; a failed scenario fails the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requires } from '../support/env.ts';
import { run } from './tpm.suite.ts';

const TOOLS = ['tpm2_createek', 'tpm2_createak', 'tpm2_quote', 'tpm2_checkquote', 'tpm2_pcrread', 'tpm2_flushcontext'];

test('tpm interop suite: our TPM client and verifier against tpm2-tools on swtpm', async (t) => {
  if (!requires(t, { commands: ['swtpm', 'swtpm_setup', ...TOOLS] })) return;
  const failed: string[] = [];
  let passed = 0;
  await run({
    log: (s) => t.diagnostic(s),
    scenario: async (name, fn) => {
      let ok = false;
      await t.test(name, async (st) => {
        try {
          const detail = await fn();
          if (detail) st.diagnostic(detail);
          ok = true;
          passed++;
        } catch (e) {
          failed.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
          throw e;
        }
      });
      return ok;
    },
  });
  assert.deepEqual(failed, []);
  assert.ok(passed >= 8, `${passed} scenarios ran`);
});
