/**
 * Prometheus metrics: counters fed by the diagnostics channels (SAs established/deleted, rekeys, attestation
 * verdicts, ESP replay and ICV drops, errors) and gauges read at scrape time (IKE and CHILD SAs by state, ESP
 * byte and packet counters), served in the text exposition format (version 0.0.4) over HTTP with fastify.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { subscribe } from '../common/diag.ts';

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

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export interface GaugeSample {
  name: string;
  help: string;
  labels?: Labels;
  value: number;
}

export class Metrics {
  readonly #families = new Map<string, Family>();
  readonly #collectors: (() => GaugeSample[])[] = [];
  readonly #unsubscribe: (() => void)[] = [];

  counter(name: string, help: string, labels: Labels = {}, by = 1): void {
    const f = this.#family(name, help, 'counter');
    const k = key(labels);
    const cur = f.values.get(k);
    if (cur) cur.value += by;
    else f.values.set(k, { labels, value: by });
  }

  /** Gauges computed at scrape time (e.g. from the engine's SA list). */
  collect(fn: () => GaugeSample[]): void {
    this.#collectors.push(fn);
  }

  #family(name: string, help: string, type: 'counter' | 'gauge'): Family {
    let f = this.#families.get(name);
    if (!f) this.#families.set(name, (f = { help, type, values: new Map() }));
    return f;
  }

  /** Subscribes to the project's diagnostics channels. */
  listen(): this {
    const on = this.#unsubscribe;
    on.push(subscribe('ike:sa:established', () => this.counter('attestd_ike_sa_established_total', 'IKE SAs established')));
    on.push(subscribe('ike:sa:deleted', () => this.counter('attestd_ike_sa_deleted_total', 'IKE SAs deleted or failed')));
    on.push(subscribe('ike:sa:rekeyed', () => this.counter('attestd_ike_sa_rekeyed_total', 'IKE SA rekeys')));
    on.push(subscribe('ike:child:established', () => this.counter('attestd_child_sa_established_total', 'CHILD SAs installed (incl. rekeys)')));
    on.push(subscribe('ike:child:deleted', () => this.counter('attestd_child_sa_deleted_total', 'CHILD SAs removed')));
    on.push(subscribe('ike:error', () => this.counter('attestd_ike_errors_total', 'failed IKE exchanges')));
    on.push(
      subscribe('tnc:recommendation', (m) =>
        this.counter('attestd_attestation_verdicts_total', 'attestation verdicts by recommendation', { recommendation: m.recommendation }),
      ),
    );
    on.push(
      subscribe('pts:verdict', (m) =>
        this.counter('attestd_pts_verdicts_total', 'PTS evidence verdicts', { result: m.ok ? 'ok' : 'failed' }),
      ),
    );
    on.push(subscribe('esp:replay', () => this.counter('attestd_esp_replay_drops_total', 'ESP packets dropped as replays')));
    on.push(subscribe('esp:icv', () => this.counter('attestd_esp_icv_failures_total', 'ESP packets dropped for ICV failure')));
    return this;
  }

  close(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
  }

  /** The text exposition format. */
  render(): string {
    const gauges = new Map<string, Family>();
    for (const c of this.#collectors) {
      for (const s of c()) {
        let f = gauges.get(s.name);
        if (!f) gauges.set(s.name, (f = { help: s.help, type: 'gauge', values: new Map() }));
        const labels = s.labels ?? {};
        const k = key(labels);
        const cur = f.values.get(k);
        if (cur) cur.value += s.value;
        else f.values.set(k, { labels, value: s.value });
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

/** Serves `GET /metrics` (and `/healthz`) on host:port. */
export async function startMetricsServer(metrics: Metrics, opts: { host?: string; port: number }): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8');
    return metrics.render();
  });
  app.get('/healthz', async () => ({ ok: true }));
  await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port });
  return app;
}
