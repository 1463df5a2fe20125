/**
 * Shapes of the machine-readable results (DEVELOPERS.md): the last line of `npm run interop -- <suite>` and of
 * `npm run bench -- <suite>` is one JSON object of these types.
 */

export interface ScenarioResult {
  name: string;
  ok: boolean;
  detail: string;
}

export interface InteropReport {
  suite: string;
  passed: number;
  failed: number;
  scenarios: ScenarioResult[];
}

/** An interop suite module (`test/interop/<suite>.suite.ts`) exports `run`. */
export interface InteropSuite {
  run(ctx: { scenario: (name: string, fn: () => Promise<string | void>) => Promise<boolean>; log: (s: string) => void }): Promise<void>;
}

export interface BenchResult {
  metric: string;
  unit: string;
  ours: number;
  peer: number | null;
  peerName: string;
  ratio: number | null;
  better: 'higher' | 'lower';
}

export interface BenchReport {
  suite: string;
  results: BenchResult[];
}

/** A bench suite module (`bench/<suite>.bench.ts`) exports `run`. */
export interface BenchSuite {
  run(ctx: { args: string[]; log: (s: string) => void }): Promise<BenchResult[]>;
}

/** ours/peer when higher is better, peer/ours when lower is better, so ratio > 1 always means we are ahead. */
export function result(
  metric: string,
  unit: string,
  ours: number,
  peer: number | null,
  peerName: string,
  better: 'higher' | 'lower',
): BenchResult {
  const round = (x: number) => Math.round(x * 1000) / 1000;
  let ratio: number | null = null;
  if (peer !== null && peer > 0 && ours > 0) ratio = round(better === 'higher' ? ours / peer : peer / ours);
  return { metric, unit, ours: round(ours), peer: peer === null ? null : round(peer), peerName, ratio, better };
}

/** A fuzz target module (`test/fuzz/<suite>.fuzz.ts`) exports named targets. */
export interface FuzzTarget {
  name: string;
  /** Real inputs to mutate (captures, vectors, encoder output). */
  seeds(): Uint8Array[];
  /** Parses one input; may throw only declared errors (AttestdError). */
  run(input: Uint8Array): void | Promise<void>;
}
