/**
 * `npm run bench -- <suite> [args]`: runs bench/<suite>.bench.ts, which measures ours and the peer side by side in
 * one run, and prints the JSON report of DEVELOPERS.md as the last line.
 */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchReport, BenchSuite } from '../test/support/harness.ts';

const [suite, ...args] = process.argv.slice(2);
const dir = resolve(import.meta.dirname, '../bench');
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''));
if (!suite || !available.includes(suite)) {
  console.error(`usage: npm run bench -- <suite>   (suites: ${available.join(', ') || 'none yet'})`);
  process.exit(2);
}
const mod = (await import(pathToFileURL(resolve(dir, `${suite}.bench.ts`)).href)) as BenchSuite;
try {
  const results = await mod.run({ args, log: (s) => console.log(s) });
  for (const r of results) {
    const ratio = r.ratio === null ? '' : `  ratio ${r.ratio}× (${r.better} is better)`;
    console.log(`${r.metric}: ours ${r.ours} ${r.unit}, ${r.peerName} ${r.peer ?? '-'}${ratio}`);
  }
  const report: BenchReport = { suite, results };
  console.log(JSON.stringify(report));
  process.exit(results.length > 0 ? 0 : 1);
} catch (e) {
  console.log(`bench failed: ${e instanceof Error ? e.stack : String(e)}`);
  console.log(JSON.stringify({ suite, results: [], error: e instanceof Error ? e.message : String(e) }));
  process.exit(1);
}
