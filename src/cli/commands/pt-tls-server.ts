/**
 * `attestd pt-tls-server`: a PT-TLS (RFC 6876) server that assesses each client with the configured verifiers and,
 * in mutual mode, lets the client assess it with the configured collectors. Prints one line per session with the
 * recommendation and the reasons. Also exports the pieces `pt-tls-client` shares (built-in modules, exit codes).
 *
 * Exit codes (both commands): 0 access allowed, 3 isolated (quarantined), 4 access denied, 5 no recommendation
 * (the exchange ended without a result), 1 runtime error, 2 usage error. In mutual mode the worse of the two
 * verdicts counts. The server exits only with --once (after its first session) or on SIGINT/SIGTERM (0).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, Logger } from '../../common/index.ts';
import type { LogLevelName } from '../../common/index.ts';
import { Recommendation, RecommendationName } from '../../tnc/pb/index.ts';
import type { RecommendationValue, TncDecision, TncResult } from '../../tnc/pb/index.ts';
import { loadImc, loadImv, parseRecommendationPolicy } from '../../tnc/imc-imv/index.ts';
import type { ImcModule, ImvModule } from '../../tnc/imc-imv/index.ts';
import { startAssessmentServer } from '../../tnc/pt-tls-assess.ts';
import type { Command } from '../command.ts';

// One list of built-in collectors and verifiers for the daemon and the stand-alone PT-TLS commands.
import { builtinImcs, imvBuiltinsFor } from '../../daemon/attestation.ts';
import { openStore } from '../../refdb/open.ts';
import type { RefStore } from '../../refdb/store.ts';
import { recordAssessment } from '../../refdb/assessments.ts';
import { ActionRecommendation } from '../../tnc/pb/index.ts';

export const ExitCode = { ALLOWED: 0, ERROR: 1, USAGE: 2, ISOLATED: 3, DENIED: 4, NO_RESULT: 5 } as const;

export function exitCodeOf(rec: RecommendationValue | undefined): number {
  switch (rec) {
    case Recommendation.ACCESS_ALLOWED:
      return ExitCode.ALLOWED;
    case Recommendation.QUARANTINED:
      return ExitCode.ISOLATED;
    case Recommendation.ACCESS_DENIED:
      return ExitCode.DENIED;
    case undefined:
      return ExitCode.NO_RESULT;
  }
}

/** The worse of several exit codes (denied > isolated > allowed; no result worst). */
export function worst(...codes: number[]): number {
  const rank = (c: number) =>
    [ExitCode.ALLOWED, ExitCode.ISOLATED, ExitCode.DENIED, ExitCode.NO_RESULT].indexOf(c as never);
  return codes.reduce((a, b) => (rank(b) > rank(a) ? b : a), ExitCode.ALLOWED);
}

/** `user:pass` → credentials. */
export function parseSasl(s: string): { user: string; password: string } {
  const i = s.indexOf(':');
  if (i <= 0) throw new ConfigError(`--sasl wants user:password, got '${s}'`);
  return { user: s.slice(0, i), password: s.slice(i + 1) };
}

/** A JSON file mapping module names to their configuration: { "os": {...}, "test": {...} }. */
export function readModuleConfig(file: string | undefined): Record<string, Record<string, unknown>> {
  if (!file) return {};
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(`${file}: expected a JSON object`);
  return v as Record<string, Record<string, unknown>>;
}

export async function loadImcs(
  names: string[],
  config: Record<string, Record<string, unknown>>,
  command?: string,
): Promise<ImcModule[]> {
  return Promise.all(
    names.map((name) => {
      const c = { ...(config[name] ?? {}) };
      if (name === 'test' && command !== undefined) c.command = command;
      return loadImc({ name, config: c }, builtinImcs);
    }),
  );
}

export async function loadImvs(
  names: string[],
  config: Record<string, Record<string, unknown>>,
  store?: RefStore,
): Promise<ImvModule[]> {
  const builtins = imvBuiltinsFor(store);
  return Promise.all(names.map((name) => loadImv({ name, config: config[name] ?? {} }, builtins)));
}

/** Runs a command body; configuration and option errors print the usage and exit 2. */
export async function usageGuard(name: string, usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (e instanceof ConfigError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      console.error(`attestd ${name}: ${(e as Error).message}\nusage: ${usage}`);
      return ExitCode.USAGE;
    }
    throw e;
  }
}

export function describeResult(who: string, r: TncResult | TncDecision | undefined): string[] {
  if (!r) return [`${who}: no recommendation`];
  const lines = [`${who}: ${RecommendationName.get(r.recommendation) ?? r.recommendation}`];
  for (const reason of r.reasons ?? []) lines.push(`  reason: ${reason.reason}`);
  return lines;
}

export const command: Command = {
  summary: 'PT-TLS (RFC 6876) server assessing clients with IMVs (and, mutually, assessed by them)',
  usage:
    'attestd pt-tls-server --cert FILE --key FILE [--ca FILE] [--host ADDR] [--port 271] [--sasl user:pass]... ' +
    '[--imv os --imv test] [--policy default|any|all] [--imv-config FILE] [--imc os --imc test --command allow] ' +
    '[--imc-config FILE] [--database URI] [--max-sessions N] [--idle-timeout MS] [--once] [--log-level info|debug]\n' +
    '  --database sqlite:PATH|postgres://…: the attest verifier reads its references from it (unless its config\n' +
    "  names a references manifest), and every assessment is stored there with each verifier's reasons",
  run(argv) {
    return usageGuard('pt-tls-server', command.usage, () => serve(argv));
  },
};

const serveOptions = {
  cert: { type: 'string' },
  key: { type: 'string' },
  ca: { type: 'string' },
  host: { type: 'string', default: '::' },
  port: { type: 'string', default: '271' },
  sasl: { type: 'string', multiple: true },
  imv: { type: 'string', multiple: true },
  imc: { type: 'string', multiple: true },
  policy: { type: 'string', default: 'default' },
  'imv-config': { type: 'string' },
  'imc-config': { type: 'string' },
  database: { type: 'string' },
  command: { type: 'string' },
  'max-sessions': { type: 'string' },
  'idle-timeout': { type: 'string' },
  once: { type: 'boolean', default: false },
  'log-level': { type: 'string', default: 'error' },
} as const;

type ServeValues = ReturnType<typeof parseArgs<{ options: typeof serveOptions }>>['values'];

async function serve(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: serveOptions });
  if (!values.cert || !values.key) throw new ConfigError('--cert and --key are required');
  const store = values.database ? await openStore(values.database) : undefined;
  try {
    return await serveWith(values, store);
  } finally {
    await Promise.allSettled(pending);
    await store?.close();
  }
}

/** Assessments being written to the database (awaited before it closes). */
const pending = new Set<Promise<unknown>>();

async function serveWith(values: ServeValues, store: RefStore | undefined): Promise<number> {
  const policy = parseRecommendationPolicy(values.policy);
  const log = new Logger({ level: values['log-level'] as LogLevelName });
  const users = new Map((values.sasl ?? []).map((s) => parseSasl(s)).map((c) => [c.user, c.password]));
  const imvs = await loadImvs(values.imv ?? ['test'], readModuleConfig(values['imv-config']), store);
  const imcs = values.imc
    ? await loadImcs(values.imc, readModuleConfig(values['imc-config']), values.command ?? 'allow')
    : [];
  const num = (s: string | undefined, what: string) => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${what} must be a non-negative integer`);
    return n;
  };
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((r) => (finish = r));
  const maxSessions = num(values['max-sessions'], '--max-sessions');
  const idle = num(values['idle-timeout'], '--idle-timeout');
  const server = await startAssessmentServer({
    host: values.host,
    port: num(values.port, '--port')!,
    cert: readFileSync(values.cert!),
    key: readFileSync(values.key!),
    ...(values.ca ? { ca: readFileSync(values.ca) } : {}),
    clientAuth: users.size ? 'tls-or-sasl' : values.ca ? 'tls' : 'none',
    ...(users.size ? { authenticate: (_z: string, u: string, p: string) => users.get(u) === p } : {}),
    imvs,
    ...(imcs.length ? { imcs } : {}),
    policy,
    limits: {
      ...(maxSessions !== undefined ? { maxSessions } : {}),
      ...(idle !== undefined ? { idleTimeoutMs: idle } : {}),
    },
    log,
    onAssessment({ connection, peer, outcome, verdicts, session }) {
      const who =
        peer?.method === 'certificate' ? peer.subject : peer?.method === 'sasl-plain' ? peer.authcid : session.remote;
      if (store && verdicts.length) {
        const p = recordAssessment(store, {
          identity: who,
          verdicts,
          recommendation: outcome?.verdict?.recommendation ?? ActionRecommendation.NO_ACCESS,
        }).then(
          (id) => log.info('TNC', `${connection}: stored as assessment session ${id}`),
          (e: unknown) => log.error('TNC', `${connection}: cannot store the assessment: ${String(e)}`),
        );
        pending.add(p);
        void p.finally(() => pending.delete(p));
      }
      const lines = [
        `${connection} ${session.remote} (${who}): ${session.ok ? 'complete' : `failed: ${session.error.message}`}`,
      ];
      lines.push(...describeResult('  our verdict on the client', outcome?.decision));
      if (outcome?.mutual) lines.push(...describeResult("  the client's verdict on us", outcome.assessedBy));
      console.log(lines.join('\n'));
      if (values.once) {
        const codes = [exitCodeOf(outcome?.decision?.recommendation)];
        if (outcome?.mutual) codes.push(exitCodeOf(outcome.assessedBy?.recommendation));
        finish(session.ok ? worst(...codes) : ExitCode.ERROR);
      }
    },
  });
  console.log(`PT-TLS server listening on [${server.host}]:${server.port}`);
  const stop = () => finish(0);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const code = await done;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  await server.close();
  return code;
}
