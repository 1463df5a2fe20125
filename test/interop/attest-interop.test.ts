// `npm run interop -- attest` under `npm test`: every scenario of test/interop/attest.suite.ts (our attestation
// collector on a swtpm against our verifiers with references from the database, on SQLite and PostgreSQL) as a
// subtest; a failed scenario fails the test.
import { test } from 'node:test';
import { requires } from '../support/env.ts';
import { runSuiteAsSubtests } from '../support/interop-gate.ts';
import { POSTGRES_COMMANDS } from '../support/postgres.ts';
import { run } from './attest.suite.ts';

test('attest interop suite: attestation against the reference database on SQLite and PostgreSQL', async (t) => {
  if (!requires(t, { commands: ['swtpm', 'swtpm_setup', ...POSTGRES_COMMANDS] })) return;
  // 13 scenarios per database.
  await runSuiteAsSubtests(t, run, 28);
});
