// `npm run interop -- tpm` under `npm test`: every scenario of test/interop/tpm.suite.ts (our TPM client and
// verifier against tpm2-tools, on one freshly manufactured swtpm) as a subtest; a failed scenario fails the test.
import { test } from 'node:test';
import { requires } from '../support/env.ts';
import { runSuiteAsSubtests } from '../support/interop-gate.ts';
import { run } from './tpm.suite.ts';

const TOOLS = ['tpm2_createek', 'tpm2_createak', 'tpm2_quote', 'tpm2_checkquote', 'tpm2_pcrread', 'tpm2_flushcontext'];

test('tpm interop suite: our TPM client and verifier against tpm2-tools on swtpm', async (t) => {
  if (!requires(t, { commands: ['swtpm', 'swtpm_setup', ...TOOLS] })) return;
  await runSuiteAsSubtests(t, run, 8);
});
