/**
 * A short fuzz budget for every suite under test/fuzz, run by `npm test` (the full run is `npm run fuzz`).
 */
import { test } from 'node:test';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fuzz } from '../support/fuzz.ts';
import type { FuzzTarget } from '../support/harness.ts';

const runs = Number(process.env.FUZZ_CI_RUNS ?? 3000);
const dir = import.meta.dirname;
for (const f of readdirSync(dir).filter((n) => n.endsWith('.fuzz.ts')).sort()) {
  const mod = (await import(pathToFileURL(resolve(dir, f)).href)) as { targets: FuzzTarget[] };
  for (const t of mod.targets) {
    test(`fuzz ${f.replace('.fuzz.ts', '')}/${t.name}: ${runs} inputs, only declared errors`, async () => {
      await fuzz(t, runs, 42);
    });
  }
}
