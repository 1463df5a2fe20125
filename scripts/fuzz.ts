/**
 * `npm run fuzz -- <suite> [--runs N] [--seed S]`: feeds each target of test/fuzz/<suite>.fuzz.ts N inputs
 * (default 1,000,000 in total). Fails on any undeclared exception.
 */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { fuzz } from '../test/support/fuzz.ts';
import type { FuzzTarget } from '../test/support/harness.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string' }, seed: { type: 'string' } },
});
const dir = resolve(import.meta.dirname, '../test/fuzz');
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.fuzz.ts'))
  .map((f) => f.replace(/\.fuzz\.ts$/, ''));
const suite = positionals[0];
if (!suite || !available.includes(suite)) {
  console.error(`usage: npm run fuzz -- <suite> [--runs N]   (suites: ${available.join(', ') || 'none yet'})`);
  process.exit(2);
}
const mod = (await import(pathToFileURL(resolve(dir, `${suite}.fuzz.ts`)).href)) as { targets: FuzzTarget[] };
const total = Number(values.runs ?? 1_000_000);
const per = Math.ceil(total / mod.targets.length);
let failed = false;
for (const t of mod.targets) {
  const t0 = performance.now();
  try {
    const s = await fuzz(t, per, values.seed === undefined ? undefined : Number(values.seed));
    const secs = (performance.now() - t0) / 1000;
    console.log(
      `${t.name}: ${s.runs} inputs in ${secs.toFixed(1)} s, ${s.declaredErrors} declared errors, ` +
        `${s.accepted} accepted, max heap ${s.maxHeapMB} MB`,
    );
  } catch (e) {
    failed = true;
    console.log(`${t.name}: FAILED\n${e instanceof Error ? e.message : String(e)}`);
  }
}
process.exit(failed ? 1 : 0);
