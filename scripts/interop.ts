/**
 * `npm run interop -- <suite>`: runs test/interop/<suite>.suite.ts and prints, as its last line, the JSON report of
 * DEVELOPERS.md. Exit status 0 only when every scenario passed.
 */
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { InteropReport, InteropSuite, ScenarioResult } from '../test/support/harness.ts';

const suite = process.argv[2];
const dir = resolve(import.meta.dirname, '../test/interop');
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.suite.ts'))
  .map((f) => f.replace(/\.suite\.ts$/, ''));
if (!suite || !available.includes(suite)) {
  console.error(`usage: npm run interop -- <suite>   (suites: ${available.join(', ') || 'none yet'})`);
  process.exit(2);
}
const file = resolve(dir, `${suite}.suite.ts`);
if (!existsSync(file)) process.exit(2);
const mod = (await import(pathToFileURL(file).href)) as InteropSuite;

const scenarios: ScenarioResult[] = [];
const log = (s: string) => console.log(s);
async function scenario(name: string, fn: () => Promise<string | void>): Promise<boolean> {
  const t0 = performance.now();
  try {
    const detail = (await fn()) ?? '';
    const ms = Math.round(performance.now() - t0);
    scenarios.push({ name, ok: true, detail: detail ? `${detail} (${ms} ms)` : `${ms} ms` });
    console.log(`PASS ${name}${detail ? `: ${detail}` : ''}`);
    return true;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    scenarios.push({ name, ok: false, detail: msg });
    console.log(`FAIL ${name}: ${msg}`);
    if (process.env.INTEROP_DEBUG && e instanceof Error) console.log(e.stack);
    return false;
  }
}

let fatal: unknown;
try {
  await mod.run({ scenario, log });
} catch (e) {
  fatal = e;
  scenarios.push({ name: 'suite', ok: false, detail: e instanceof Error ? e.message : String(e) });
}
const report: InteropReport = {
  suite,
  passed: scenarios.filter((s) => s.ok).length,
  failed: scenarios.filter((s) => !s.ok).length,
  scenarios,
};
if (fatal) console.log(`suite aborted: ${fatal instanceof Error ? fatal.stack : String(fatal)}`);
console.log(JSON.stringify(report));
process.exit(report.failed === 0 && report.passed > 0 ? 0 : 1);
