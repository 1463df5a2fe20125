/** Runs the `tnc` interop suite (test/interop/tnc.suite.ts) under `npm test`: every scenario must pass. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './tnc.suite.ts';

test('interop suite tnc: every scenario passes', async () => {
  const failed: string[] = [];
  let passed = 0;
  await run({
    scenario: async (name, fn) => {
      try {
        await fn();
        passed++;
        return true;
      } catch (e) {
        failed.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
        return false;
      }
    },
    log: () => undefined,
  });
  assert.deepEqual(failed, []);
  assert.ok(passed >= 50, `${passed} scenarios passed`);
});
