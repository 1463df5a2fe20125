/** Helpers for IMC/IMV host tests: connection contexts, fixed OS facts, and sides built from module lists. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromHex, seededRng, silentLogger } from '../../../../src/common/index.ts';
import { createTncSide } from '../../../../src/tnc/imc-imv/index.ts';
import type {
  ConnectionContext,
  ImcModule,
  ImvModule,
  RecommendationPolicyValue,
  TncSide,
} from '../../../../src/tnc/imc-imv/index.ts';
import type { OsInfo } from '../../../../src/imc/os/index.ts';

export function ctx(id = 'test-1'): ConnectionContext {
  return { id, peer: { method: 'none' }, transport: 'in-process', log: silentLogger };
}

/** A clean Debian-like host. */
export function debianInfo(over: Partial<OsInfo> = {}): OsInfo {
  return {
    product: { name: 'Debian GNU/Linux 12 (bookworm)', vendor: 0, id: 0 },
    version: { version: '12', build: '', config: '' },
    numeric: { major: 12, minor: 0, build: 0, servicePackMajor: 0, servicePackMinor: 0 },
    packages: [
      { name: 'openssl', version: '3.0.15-1~deb12u1' },
      { name: 'strongswan', version: '5.9.8-5+deb12u1' },
    ],
    forwarding: 0,
    defaultPasswordEnabled: false,
    ports: [{ blocked: false, protocol: 6, port: 22 }],
    ...over,
  };
}

export function sides(opts: {
  imcs: ImcModule[];
  imvs: ImvModule[];
  mutual?: boolean;
  policy?: RecommendationPolicyValue;
  seed?: number;
}): { a: TncSide; b: TncSide } {
  const mutual = opts.mutual ?? false;
  const a = createTncSide({
    transport: 'client',
    imcs: opts.imcs,
    ...(mutual ? { imvs: opts.imvs } : {}),
    mutual,
    ...(opts.policy ? { policy: opts.policy } : {}),
    rng: seededRng(opts.seed ?? 1),
    context: ctx('a'),
  });
  const b = createTncSide({
    transport: 'server',
    imvs: opts.imvs,
    ...(mutual ? { imcs: opts.imcs } : {}),
    mutual,
    ...(opts.policy ? { policy: opts.policy } : {}),
    rng: seededRng((opts.seed ?? 1) + 1),
    context: ctx('b'),
  });
  return { a, b };
}

export interface TraceStep {
  dir: 'in' | 'out';
  batch: Uint8Array;
}

/**
 * The PB-TNC batches of a strongSwan 6.0.6 trace (test/vectors/strongswan-6.0.6): `in` = sent by strongSwan,
 * `out` = sent by the captured peer, each as the `hex:` line after its `<-`/`->` header.
 */
export function readTrace(name: string): TraceStep[] {
  const text = readFileSync(
    fileURLToPath(new URL(`../../../vectors/strongswan-6.0.6/${name}`, import.meta.url)),
    'utf8',
  );
  const lines = text.split('\n');
  const steps: TraceStep[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(<-|->) PB-TNC batch /.exec(lines[i]!);
    const hex = /^\s+hex: ([0-9a-f]+)/.exec(lines[i + 1] ?? '');
    if (m && hex) steps.push({ dir: m[1] === '<-' ? 'in' : 'out', batch: fromHex(hex[1]!) });
  }
  return steps;
}

/** The PA-TNC message ids strongSwan drew in each mutual trace: IMC command, IMV repeat, IMV assessment. */
export const STRONGSWAN_TRACE_IDS: Record<string, [number, number, number]> = {
  'strongswan-trace_mutual_pttls.txt': [0x899e6e1a, 0x88ae509f, 0x449bd773],
  'strongswan-trace_sasl_mutual_pttls.txt': [0xb652b0fc, 0xa8b8f67a, 0x7893e56b],
};

/** Ids handed out in order (then the last one again). */
export function idSequence(...ids: number[]): () => number {
  let i = 0;
  return () => ids[Math.min(i++, ids.length - 1)]!;
}
