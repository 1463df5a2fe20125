/**
 * Profiling helper for the attest bench (not a suite): where the verifier's time goes.
 *
 *   node_modules/.bin/node bench/lib/attest-profile.ts [--files N] [--hashes N] [--runs N] [--store memory|sqlite|postgres] [--out FILE]
 *
 * Provisions the bench device (swtpm, N files, IMA log), records one real exchange with the `attest` IMC, then runs
 * --runs sequential exchanges of the replaying collector (software-signed quotes, bench/lib/attest-replay.ts)
 * against the `attest` IMV over the chosen references, with the V8 CPU profiler (node:inspector) running around
 * those exchanges only. Writes the .cpuprofile (open it in Chrome DevTools) and prints the functions with the most
 * self time, and the share per source file, on stdout. The replaying collector runs in the same process: its
 * share shows under the PA-TNC/PB-TNC encoders and node:crypto signing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fromHex } from '../../src/common/index.ts';
import { openStore } from '../../src/refdb/open.ts';
import type { RefStore } from '../../src/refdb/store.ts';
import { RefdbPtsReferences } from '../../src/refdb/verifier-references.ts';
import { MemoryPtsReferences } from '../../src/pts/verify/index.ts';
import type { PtsReferences } from '../../src/pts/verify/index.ts';
import { attestImvConfig, createAttestImv } from '../../src/imv/attest/index.ts';
import { createImc } from '../../src/imc/attest/index.ts';
import { startPostgres } from '../../test/support/postgres.ts';
import type { PostgresInstance } from '../../test/support/postgres.ts';
import { provisionTreeDevice } from './attest-pair.ts';
import type { TreeDevice } from './attest-pair.ts';
import { exchange } from './attest-exchange.ts';
import { recordingImc, softAik, softQuoteImc } from './attest-replay.ts';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
  positionTicks?: { line: number; ticks: number }[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? dflt) : dflt;
};
const files = Number(opt('--files', '5000'));
const hashes = Number(opt('--hashes', '200000'));
const runs = Number(opt('--runs', '20'));
const storeName = opt('--store', 'sqlite');
const outFile = opt('--out', join(tmpdir(), `attest-verifier-${storeName}.cpuprofile`));
const repo = join(import.meta.dirname, '../..');

function summarize(p: Profile): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const where = (f: CallFrame) =>
    f.url.startsWith('file://') ? relative(repo, new URL(f.url).pathname) : f.url || '(native)';
  const name = (f: CallFrame) => `${f.functionName || '(anonymous)'}  ${where(f)}:${f.lineNumber + 1}`;
  const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us);
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  const attributed = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const lines = new Map<string, number>();
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    add(fn, name(f), us);
    add(file, where(f), us);
    // Native and node-internal time charged to the nearest project function above it.
    let a: number | undefined = id;
    while (a !== undefined && !where(byId.get(a)!.callFrame).startsWith('src/')) a = parent.get(a);
    add(attributed, a === undefined ? name(f) : name(byId.get(a)!.callFrame), us);
    const seen = new Set<string>();
    for (let c: number | undefined = id; c !== undefined; c = parent.get(c)) {
      const cf = byId.get(c)!.callFrame;
      if (!where(cf).startsWith('src/')) continue;
      const k = name(cf);
      if (!seen.has(k)) add(inclusive, k, us);
      seen.add(k);
    }
  }
  const interval = total / Math.max(1, p.samples.length);
  for (const n of p.nodes)
    if (where(n.callFrame).startsWith('src/'))
      for (const t of n.positionTicks ?? []) add(lines, `${where(n.callFrame)}:${t.line}`, t.ticks * interval);
  const top = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(
        ([k, us]) =>
          `  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000 / runs).toFixed(2).padStart(7)} ms/att  ${k}`,
      )
      .join('\n');
  console.log(
    `profile: ${(total / 1000).toFixed(0)} ms sampled over ${runs} exchanges (${(total / 1000 / runs).toFixed(1)} ms each)`,
  );
  console.log(`self time by function:\n${top(fn, 25)}`);
  console.log(`self time by file:\n${top(file, 20)}`);
  console.log(`self time with native/node time charged to the nearest src/ caller:\n${top(attributed, 30)}`);
  console.log(`inclusive time of src/ functions:\n${top(inclusive, 40)}`);
  console.log(`hottest src/ lines (self):\n${top(lines, 25)}`);
}

let dev: TreeDevice | undefined;
let pg: PostgresInstance | undefined;
let store: RefStore | undefined;
let dir: string | undefined;
try {
  dev = await provisionTreeDevice('prof', files);
  const manifest = new Map<string, string>();
  for (const line of readFileSync(dev.refPath, 'utf8').split('\n')) {
    const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (m) manifest.set(m[2]!, m[1]!);
  }
  const aik = softAik();
  let refs: PtsReferences;
  if (storeName === 'memory') {
    const mem = new MemoryPtsReferences();
    for (const [p, d] of manifest) mem.addFile(p, fromHex(d));
    refs = mem.trustAik(fromHex(dev.aikId)).trustAik(fromHex(aik.keyId));
  } else {
    let uri: string;
    if (storeName === 'postgres') {
      pg = await startPostgres();
      uri = await pg.createDatabase('prof');
    } else {
      dir = mkdtempSync(join(tmpdir(), 'attestd-attest-prof-'));
      uri = `sqlite:${join(dir, 'ref.db')}`;
    }
    store = await openStore(uri);
    const product = await store.addProduct('Bench Device OS 1.0 x86_64');
    const rows = function* () {
      for (const [path, digest] of manifest) yield { path, algo: 'sha256' as const, digest };
      for (let i = 0; i < hashes - manifest.size; i++)
        yield {
          path: `/usr/lib/pkg${Math.floor(i / 20_000)}/d${Math.floor(i / 200)}/file${i}.so`,
          algo: 'sha256' as const,
          digest: (i * 2654435761).toString(16).padStart(64, '0').slice(-64),
        };
    };
    await store.importFileHashes(product, rows());
    for (const value of [dev.aikId, aik.keyId]) await store.addDevice({ value, product, trusted: true });
    refs = new RefdbPtsReferences(store, { product: 'Bench Device OS 1.0 x86_64' });
  }
  const imv = createAttestImv(attestImvConfig({ files: `${dev.tree}/`, requiredPcrs: '0, 7, 10' }, refs));
  const imc = createImc({ tcti: dev.tcti, imaLog: dev.imaPath, bootLog: dev.bootPath });
  const rec = recordingImc(imc);
  try {
    const r = await exchange([rec.imc], [imv]);
    if (r.verdict?.reasons.length) throw new Error(r.verdict.reasons.slice(0, 3).join('; '));
  } finally {
    await imc.close();
  }
  const replay = softQuoteImc(rec.recording(), aik);
  for (let i = 0; i < 3; i++) await exchange([replay], [imv]); // warm-up
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  let server = 0;
  for (let i = 0; i < runs; i++) {
    const r = await exchange([replay], [imv]);
    if (r.verdict?.reasons.length) throw new Error(r.verdict.reasons.slice(0, 3).join('; '));
    server += r.serverCpuMs;
  }
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  writeFileSync(outFile, JSON.stringify(profile));
  console.log(
    `${storeName}: verifier host CPU ${(server / runs).toFixed(1)} ms per attestation; profile in ${outFile}`,
  );
  summarize(profile as unknown as Profile);
} finally {
  await store?.close();
  await dev?.cleanup();
  await pg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
