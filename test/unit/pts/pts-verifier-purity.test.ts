/**
 * The verifier side is a pure function of evidence (docs/ARCHITECTURE.md): nothing reachable from
 * src/pts/verify/index.ts imports a TPM transport or measurement I/O, even through other layers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const FORBIDDEN = [/\/tpm\/transport\//, /\/measure\/(tree|collect|cli)/, /\/pts\/attester\//];

function graph(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+'(\.[^']+)'/gm)) {
      todo.push(resolve(dirname(f), m[1]!));
    }
  }
  return seen;
}

test('src/pts/verify reaches no TPM transport, measurement I/O or attester module', () => {
  const files = graph(resolve(import.meta.dirname, '../../../src/pts/verify/index.ts'));
  assert.ok(
    [...files].some((f) => f.endsWith('src/tpm/verify-quote.ts')),
    'the pure quote check is used',
  );
  const bad = [...files].filter((f) => FORBIDDEN.some((re) => re.test(f)));
  assert.deepEqual(bad, []);
});
