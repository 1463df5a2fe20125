/**
 * Prometheus metrics: counters fed by the diagnostics channels (SAs established/deleted, rekeys, attestation
 * verdicts by decision from `attest:verdict`, ESP replay and ICV drops, errors) and samples read at scrape time
 * (IKE and CHILD SAs by state, ESP byte and packet counters of the data plane), served in the text exposition
 * format (version 0.0.4) over HTTP with fastify, next to `GET /healthz`.
 *
 * The diagnostics channels are process-wide: `listen(accept)` takes a filter so that a daemon sharing its process
 * with another (tests) counts only the events about its own SAs.
 */
import { isIP } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { ConfigError } from '../common/errors.ts';
import { subscribe, type DiagChannels, type DiagName } from '../common/diag.ts';

type Labels = Record<string, string>;

interface Family {
  help: string;
  type: 'counter' | 'gauge';
  values: Map<string, { labels: Labels; value: number }>;
}

function key(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

/** Adds `by` to the series of `labels` in `f`, creating it. */
function add(f: Family, labels: Labels, by: number): void {
  const k = key(labels);
  const cur = f.values.get(k);
  if (cur) cur.value += by;
  else f.values.set(k, { labels, value: by });
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** A value read at scrape time: a gauge, or a counter kept elsewhere (e.g. by the data plane). */
export interface GaugeSample {
  name: string;
  help: string;
  labels?: Labels;
  value: number;
  /** Default gauge. */
  type?: 'counter' | 'gauge';
}

/** Decides whether an event on a diagnostics channel is to be counted (default: all). */
export type DiagFilter = <N extends DiagName>(name: N, message: DiagChannels[N]) => boolean;

export class Metrics {
  readonly #families = new Map<string, Family>();
  readonly #collectors: (() => GaugeSample[])[] = [];
  readonly #unsubscribe: (() => void)[] = [];

  counter(name: string, help: string, labels: Labels = {}, by = 1): void {
    add(this.#family(name, help, 'counter'), labels, by);
  }

  /** Samples computed at scrape time (e.g. from the engine's SA list); a throwing collector is left out. */
  collect(fn: () => GaugeSample[]): void {
    this.#collectors.push(fn);
  }

  #family(name: string, help: string, type: 'counter' | 'gauge'): Family {
    let f = this.#families.get(name);
    if (!f) this.#families.set(name, (f = { help, type, values: new Map() }));
    return f;
  }

  /**
   * Subscribes to the project's diagnostics channels, counting the events `accept` lets through. Every counter is
   * exported from the start (at 0, for each known label value), so that alerts see a series before its first event.
   */
  listen(accept: DiagFilter = () => true): this {
    const on = <N extends DiagName>(
      channel: N,
      name: string,
      help: string,
      labels: (m: DiagChannels[N]) => Labels = () => ({}),
      initial: Labels[] = [{}],
    ) => {
      for (const l of initial) this.counter(name, help, l, 0);
      this.#unsubscribe.push(
        subscribe(channel, (m) => {
          if (accept(channel, m)) this.counter(name, help, labels(m));
        }),
      );
    };
    on('ike:sa:established', 'attestd_ike_sa_established_total', 'IKE SAs established');
    on('ike:sa:deleted', 'attestd_ike_sa_deleted_total', 'IKE SAs deleted or failed');
    on('ike:sa:rekeyed', 'attestd_ike_sa_rekeyed_total', 'IKE SA rekeys');
    on('ike:child:established', 'attestd_child_sa_established_total', 'CHILD SAs installed (incl. rekeys)');
    on('ike:child:deleted', 'attestd_child_sa_deleted_total', 'CHILD SAs removed');
    on('ike:error', 'attestd_ike_errors_total', 'failed IKE exchanges');
    // One event per attested IKE SA, from the daemon's enforcement (tnc:recommendation is also published by PB-TNC
    // sessions and the policy engine, so counting it would count one verdict several times).
    on(
      'attest:verdict',
      'attestd_attestation_verdicts_total',
      'attestation verdicts on IKE peers by decision',
      (m) => ({ decision: m.decision }),
      [{ decision: 'allow' }, { decision: 'isolate' }, { decision: 'no access' }],
    );
    on(
      'pts:verdict',
      'attestd_pts_verdicts_total',
      'PTS evidence verdicts',
      (m) => ({ result: m.ok ? 'ok' : 'failed' }),
      [{ result: 'ok' }, { result: 'failed' }],
    );
    on('esp:replay', 'attestd_esp_replay_drops_total', 'ESP packets dropped as replays (before the ICV check)');
    on('esp:icv', 'attestd_esp_icv_failures_total', 'ESP packets dropped for ICV failure');
    return this;
  }

  close(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
  }

  /** The text exposition format. */
  render(): string {
    const gauges = new Map<string, Family>();
    for (const c of this.#collectors) {
      let samples: GaugeSample[];
      try {
        samples = c();
      } catch {
        continue;
      }
      for (const s of samples) {
        if (this.#families.has(s.name)) continue; // a name is either ours (counted) or collected, never both
        let f = gauges.get(s.name);
        if (!f) gauges.set(s.name, (f = { help: s.help, type: s.type ?? 'gauge', values: new Map() }));
        add(f, s.labels ?? {}, s.value);
      }
    }
    const lines: string[] = [];
    for (const [name, f] of [...this.#families, ...gauges].sort(([a], [b]) => (a < b ? -1 : 1))) {
      lines.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      for (const { labels, value } of f.values.values()) {
        const l = Object.entries(labels);
        lines.push(`${name}${l.length ? `{${l.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : ''} ${value}`);
      }
    }
    return lines.join('\n') + '\n';
  }
}

/** Serves `GET /metrics` and `GET /healthz` (200 with `health()`'s object, default `{ ok: true }`) on host:port. */
export async function startMetricsServer(
  metrics: Metrics,
  opts: { host?: string; port: number; health?: () => Record<string, unknown> },
): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8');
    return metrics.render();
  });
  app.get('/healthz', async () => ({ ok: true, ...opts.health?.() }));
  try {
    await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port });
  } catch (e) {
    await app.close().catch(() => {});
    throw e;
  }
  return app;
}

export interface ListenAddress {
  host: string;
  port: number;
}

/** Parses `HOST:PORT` (`127.0.0.1:9464`, `[::1]:9464`, `0.0.0.0:9464`); `what` names the setting in errors. */
export function parseListenAddress(text: string, what = 'metrics listen'): ListenAddress {
  const s = text.trim();
  const bracketed = /^\[([^\]]+)\]:(\d{1,5})$/.exec(s);
  const m = bracketed ?? /^([^:[\]]+):(\d{1,5})$/.exec(s);
  const host = m?.[1];
  const port = Number(m?.[2]);
  if (!m || host === undefined || !Number.isInteger(port) || port > 65535)
    throw new ConfigError(`${what}: '${text}' is not HOST:PORT (e.g. 127.0.0.1:9464 or [::1]:9464)`);
  if (bracketed && isIP(host) !== 6) throw new ConfigError(`${what}: '[${host}]' is not an IPv6 address`);
  if (isIP(host) === 0 && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host))
    throw new ConfigError(`${what}: '${host}' is not an IP address or host name`);
  return { host, port };
}

export const formatListenAddress = (a: ListenAddress): string =>
  isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
