/**
 * Runs `npm run interop -- <suite>` as a child process for a node:test CI gate, parses the JSON report of its last
 * line, and asserts that every scenario passed (with their details in the failure message) and the exit status is 0.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { resolve } from 'node:path';
import { run } from './proc.ts';
import type { InteropReport } from './harness.ts';

const ROOT = resolve(import.meta.dirname, '../..');

export async function runInteropGate(
  suite: string,
  opts: { timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<InteropReport> {
  const r = await run(process.execPath, [resolve(ROOT, 'scripts/interop.ts'), suite], {
    cwd: ROOT,
    allowFail: true,
    timeoutMs: opts.timeoutMs,
    env: { ...process.env, ...opts.env },
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
  return report;
}

type SuiteRun = (ctx: {
  scenario: (name: string, fn: () => Promise<string | void>) => Promise<boolean>;
  log: (s: string) => void;
}) => Promise<void>;

/**
 * Runs an interop suite in process under node:test, each scenario a subtest (its detail as a diagnostic); fails
 * when any scenario failed or fewer than `minPassed` passed.
 */
export async function runSuiteAsSubtests(t: TestContext, run: SuiteRun, minPassed: number): Promise<void> {
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
  assert.ok(passed >= minPassed, `${passed} scenarios passed, expected at least ${minPassed}`);
}
