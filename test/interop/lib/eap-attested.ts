/**
 * "Ours with ours" for the EAP interop suite: two in-process daemons (test/unit/daemon/attestation/attested-conf.ts)
 * with EAP-only EAP-TTLS + PT-EAP, each with its own swtpm-backed device (test/support/attest-device.ts), and what
 * the scenarios observe: the daemons' verdicts ('attest:verdict'), the PTS verifier's reasons ('pts:verdict'),
 * IKE_AUTH round trips ('ike:message'), IKE SA deletions, and the TLS version from the daemons' log.
 */
import { controlRequest } from '../../../src/daemon/control.ts';
import { subscribe } from '../../../src/common/diag.ts';
import type { DiagChannels } from '../../../src/common/diag.ts';
import type { SaInfo } from '../../../src/ike/engine.ts';
import { toHex } from '../../../src/common/index.ts';
import type { Device } from '../../support/attest-device.ts';
import { startAttestedPair } from '../../unit/daemon/attestation/attested-conf.ts';
import type { AttestedPair, AttestedPairOptions, CleanupScope } from '../../unit/daemon/attestation/attested-conf.ts';

export type Verdict = DiagChannels['attest:verdict'];

/** The attestd { } lines of a daemon that attests itself with `self` and verifies a peer holding `peer`. */
export function mutualAttestd(
  self: Device,
  peer: Device,
  o: {
    imcs?: string[];
    imvs?: string[];
    imcTest?: string;
    isolateTs?: string;
    requiredPcrs?: string;
  } = {},
): string[] {
  const imcs = o.imcs ?? ['attest'];
  const imvs = o.imvs ?? ['attest'];
  return [
    '  tnc {',
    `    imcs = ${imcs.join(', ')}`,
    `    imvs = ${imvs.join(', ')}`,
    ...(o.isolateTs ? [`    isolate_ts = ${o.isolateTs}`] : []),
    '  }',
    '  imc-attest {',
    `    tcti = ${self.tcti}`,
    `    imaLog = ${self.imaPath}`,
    `    bootLog = ${self.bootPath}`,
    '  }',
    ...(o.imcTest ? ['  imc-test {', `    command = ${o.imcTest}`, '  }'] : []),
    '  imv-attest {',
    `    references = ${peer.refPath}`,
    `    trustedAiks = ${toHex(peer.aik.keyId)}`,
    `    files = ${peer.bin}/`,
    `    requiredPcrs = ${o.requiredPcrs ?? '0, 7, 10'}`,
    '  }',
  ];
}

/** Cleanups run in reverse order, as node:test runs `t.after` hooks. */
export class Scope implements CleanupScope {
  readonly #fns: (() => unknown)[] = [];
  after(fn: () => unknown): void {
    this.#fns.push(fn);
  }
  async close(): Promise<void> {
    for (const fn of this.#fns.splice(0).reverse()) await fn();
  }
}

/** What the daemons published while a scenario ran. */
export interface Observed {
  verdicts: Verdict[];
  pts: DiagChannels['pts:verdict'][];
  deleted: DiagChannels['ike:sa:deleted'][];
  messages: DiagChannels['ike:message'][];
  /** Log lines of the daemons (when started with a log level that shows them). */
  log: string[];
}

/**
 * Runs `fn` with a fresh pair of daemons (stopped afterwards) while recording the diagnostics channels; daemons log
 * at `info` into `observed.log` (not to the terminal) when `opts.logLevel` is 'info'.
 */
export async function withPair<T>(
  opts: AttestedPairOptions,
  fn: (pair: AttestedPair, observed: Observed) => Promise<T>,
): Promise<T> {
  const observed: Observed = { verdicts: [], pts: [], deleted: [], messages: [], log: [] };
  const offs = [
    subscribe('attest:verdict', (m) => observed.verdicts.push(m)),
    subscribe('pts:verdict', (m) => observed.pts.push(m)),
    subscribe('ike:sa:deleted', (m) => observed.deleted.push(m)),
    subscribe('ike:message', (m) => observed.messages.push(m)),
  ];
  // The daemon's logger writes to process.stderr; keep its lines for the scenario instead of the terminal.
  const write = process.stderr.write.bind(process.stderr);
  const capture = opts.logLevel !== undefined && opts.logLevel !== 'silent';
  if (capture)
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      observed.log.push(...text.split('\n').filter(Boolean));
      if (process.env.INTEROP_DEBUG) return (write as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
      return true;
    }) as typeof process.stderr.write;
  const scope = new Scope();
  try {
    const pair = await startAttestedPair(scope, opts);
    return await fn(pair, observed);
  } finally {
    await scope.close();
    if (capture) process.stderr.write = write;
    for (const off of offs) off();
  }
}

export const listSas = (pair: AttestedPair, n: 'a' | 'b'): Promise<SaInfo[]> =>
  controlRequest(pair.sock(n), { cmd: 'list-sas' }) as Promise<SaInfo[]>;

/** Polls until `n` has no IKE SA left; returns how long that took (ms). */
export async function waitNoSas(pair: AttestedPair, n: 'a' | 'b', timeoutMs = 5000): Promise<number> {
  const t0 = Date.now();
  let last: SaInfo[] = [];
  while (Date.now() - t0 < timeoutMs) {
    last = await listSas(pair, n);
    if (!last.length) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${n} still has ${last.length} IKE SA(s) after ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

/** Shortens each reason to `max` characters for detail strings. */
export const short = (reasons: readonly string[], max = 120): string =>
  reasons.map((r) => (r.length > max ? `${r.slice(0, max - 1)}…` : r)).join('; ') || 'none';

/** IKE_AUTH requests the responder received from `peer` (address:port) — the round trips of the authentication. */
export const authRounds = (o: Observed, peer: string): number =>
  o.messages.filter((m) => m.dir === 'in' && m.exchange.startsWith('IKE_AUTH') && m.peer === peer).length;
