/**
 * `npm test`: type-check, lint, then every test under test/ with node:test, and a short fuzz budget.
 * Pass file or folder names to run only those tests (no type-check or lint then).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const node = process.execPath;

function run(cmd: string, argv: string[], env: NodeJS.ProcessEnv = process.env): number {
  console.log(`\n$ ${[cmd, ...argv].join(' ')}`);
  const r = spawnSync(cmd, argv, { stdio: 'inherit', env });
  return r.status ?? 1;
}

function testFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.test.ts')) out.push(p);
    }
  };
  if (statSync(root).isDirectory()) walk(root);
  else out.push(root);
  return out;
}

const targets = args.length ? args.flatMap(testFiles) : testFiles('test');
let failed = 0;
if (!args.length) {
  failed += run(node, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.']) ? 1 : 0;
  failed += run(node, ['node_modules/eslint/bin/eslint.js', '.']) ? 1 : 0;
}
// The interop gates drive charon, swtpm and iperf3 with real timers: they run one at a time after the rest, so that
// a CPU-heavy suite (50 MB through ESP) never starves a timing-sensitive one (IKE retransmits).
const gate = (f: string) => /test\/interop\/[^/]+-interop\.test\.ts$/.test(f);
const parallel = targets.filter((f) => !gate(f));
const serial = targets.filter(gate);
if (parallel.length) failed += run(node, ['--test', '--test-concurrency=2', '--test-timeout=600000', ...parallel]) ? 1 : 0;
if (serial.length) failed += run(node, ['--test', '--test-concurrency=1', '--test-timeout=900000', ...serial]) ? 1 : 0;
process.exit(failed ? 1 : 0);
