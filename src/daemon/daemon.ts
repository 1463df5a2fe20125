/**
 * `attestd daemon`: loads swanctl.conf, opens the IKE sockets, runs the IKE engine with the chosen data plane,
 * starts children with `start_action = start`, and serves the control socket. SIGTERM deletes SAs cleanly; SIGHUP
 * (or `attestd reload`) reloads the configuration, keeping SAs whose connection is unchanged.
 *
 * Operations, configured in the `attestd { }` section of swanctl.conf (command-line flags override the file):
 *
 *   attestd {
 *     metrics {
 *       listen = 127.0.0.1:9464   # Prometheus endpoint: GET /metrics and GET /healthz (`--metrics HOST:PORT`,
 *     }                           # `--metrics off`); absent = no endpoint. [::1]:9464 for IPv6.
 *     log {
 *       format = json             # text (default) | json: JSON lines {time, level, subsystem, message, …fields}
 *     }                           # (`--log-format json|text`)
 *   }
 *
 * Metrics: IKE and CHILD SAs by state (gauges), half-open IKE SAs; IKE SAs established / deleted / rekeyed, CHILD
 * SAs installed / removed, failed IKE exchanges, IKE messages and drops of the engine (counters); attestation
 * verdicts on IKE peers by decision (`attestd_attestation_verdicts_total{decision}`); ESP packets and drops by
 * reason of the userspace data plane (counters), bytes / packets / replay and ICV drops of the installed CHILD_SAs
 * (gauges). A reload keeps the endpoint (it is rebound only if `listen` changed); stop closes it.
 *
 * `attestd list-verdicts` (control command `list-verdicts`) shows the last 256 attestation verdicts, newest first:
 * a peer refused for its posture has no SA, so `list-sas` cannot say why it was refused.
 */
import { createPublicKey, KeyObject } from 'node:crypto';
import type { Server } from 'node:net';
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { systemClock } from '../common/clock.ts';
import { subscribe, type DiagChannels, type DiagName } from '../common/diag.ts';
import { ConfigError, StateError } from '../common/errors.ts';
import { LOG_FORMATS, Logger, type LogFormat, type LogLevelName, type LogSink } from '../common/log.ts';
import { systemRng } from '../common/rng.ts';
import type { IkeConnection } from '../ike/config.ts';
import { NoneDataPlane, type DataPlane } from '../ike/dataplane.ts';
import { IkeEngine, type EngineStats } from '../ike/engine.ts';
import { IkeSockets } from '../ike/net/udp.ts';
import { ChildState } from '../ike/sa/child-sa.ts';
import { IkeState, spiHex, type IkeSa } from '../ike/sa/ike-sa.ts';
import { getSection, getValue, loadSwanctl, type SettingsSection } from './config/index.ts';
import { startControlServer, defaultControlPath, type ControlRequest, type VerdictInfo } from './control.ts';
import {
  Metrics,
  formatListenAddress,
  parseListenAddress,
  startMetricsServer,
  type GaugeSample,
  type ListenAddress,
} from './metrics.ts';
import { credentialStore, ikeConnections } from './wiring.ts';
import { Attestation, attestdChoice } from './attestation.ts';
import type { EapProvider } from '../eap/method.ts';
import { TunDataPlane, randomFirstSpi } from './dataplane.ts';
import { XfrmDataPlane } from '../esp/xfrm.ts';

export interface DaemonOptions {
  config: string;
  dataPlane?: 'none' | 'tun' | 'xfrm';
  control?: string;
  controlGroup?: string;
  logLevel?: LogLevelName;
  /** Log format; overrides `attestd.log.format` (default text). */
  logFormat?: LogFormat;
  /** Same as `logFormat: 'json'` (the older `--json-log` flag); `logFormat` wins. */
  json?: boolean;
  /** Where log lines go (default stderr); for tests. */
  logSink?: LogSink;
  /**
   * `HOST:PORT` of the Prometheus endpoint, overriding `attestd.metrics.listen`; `off` disables it whatever the file
   * says. Port 0 binds an ephemeral port (see `metricsAddress`).
   */
  metrics?: string;
  /** Bind these addresses instead of the concrete local_addrs of the connections. */
  listen?: string[];
  port?: number;
  natPort?: number;
  /** TUN device name for `dataPlane: 'tun'` (default attestd0). */
  tunDevice?: string;
}

/** What the daemon reads from `attestd { metrics { } log { } }` (attestation.ts reads the rest of the section). */
interface OperationsConfig {
  metrics: ListenAddress | undefined;
  logFormat: LogFormat | undefined;
}

/** Parses the operations subsections of `attestd { }`; unknown keys there come back as warnings. */
function parseOperations(attestd: SettingsSection | undefined): {
  config: OperationsConfig;
  warnings: string[];
} {
  const warnings: string[] = [];
  const known = { metrics: ['listen'], log: ['format'] } as const;
  for (const [name, keys] of Object.entries(known)) {
    const section = attestd ? getSection(attestd, name) : undefined;
    for (const k of section?.values.keys() ?? [])
      if (!(keys as readonly string[]).includes(k)) warnings.push(`attestd.${name}.${k}: unknown setting, ignored`);
    for (const k of section?.sections.keys() ?? []) warnings.push(`attestd.${name}.${k}: unknown section, ignored`);
  }
  const listen = attestd ? getValue(attestd, 'metrics.listen') : undefined;
  const logFormat = attestdChoice(attestd, 'log.format', LOG_FORMATS);
  return {
    config: { metrics: listen ? parseListenAddress(listen, 'attestd.metrics.listen') : undefined, logFormat },
    warnings,
  };
}

interface MetricsServer {
  app: FastifyInstance;
  key: string;
  at: ListenAddress;
}

/** How many attestation verdicts `list-verdicts` remembers. */
export const VERDICT_HISTORY = 256;

/** An event on a diagnostics channel, as a union that narrows on `name`. */
type DiagEvent = { [N in DiagName]: { name: N; message: DiagChannels[N] } }[DiagName];

export class Daemon {
  /**
   * The daemons running in this process. Diagnostics channels are process-wide; with several daemons in one
   * process (tests), each counts only the events about its own SAs (and those no daemon claims).
   */
  static readonly #live = new Set<Daemon>();

  readonly opts: DaemonOptions;
  readonly log: Logger;
  #connections: IkeConnection[] = [];
  #creds: ReturnType<typeof credentialStore> | undefined;
  #attestation: Attestation | undefined;
  /** Attestations replaced by a reload, released later. */
  readonly #retired = new Set<Attestation>();
  #eap: EapProvider | undefined;
  #engine: IkeEngine | undefined;
  #sockets: IkeSockets | undefined;
  #control: Server | undefined;
  #dataplane: DataPlane | undefined;
  #tun: TunDataPlane | undefined;
  #ops: OperationsConfig = { metrics: undefined, logFormat: undefined };
  #metrics: Metrics | undefined;
  #metricsServer: MetricsServer | undefined;
  /** The last VERDICT_HISTORY attestation verdicts, oldest first. */
  readonly #verdicts: VerdictInfo[] = [];
  #unsubscribe: (() => void)[] = [];
  /** Local SPIs of our IKE SAs and inbound SPIs of our CHILD_SAs, to tell our events from another daemon's. */
  readonly #ikeSpis = new Set<string>();
  readonly #childSpis = new Set<number>();
  readonly #startedAt = Date.now();
  /** `opts.metrics`, parsed. */
  readonly #cliMetrics: ListenAddress | 'off' | undefined;

  constructor(opts: DaemonOptions) {
    this.opts = opts;
    this.#cliMetrics =
      opts.metrics === undefined || opts.metrics === 'off'
        ? opts.metrics
        : parseListenAddress(opts.metrics, '--metrics');
    this.log = new Logger({
      level: opts.logLevel ?? 'info',
      format: this.#cliLogFormat() ?? 'text',
      ...(opts.logSink ? { sink: opts.logSink } : {}),
    });
  }

  #cliLogFormat(): LogFormat | undefined {
    return this.opts.logFormat ?? (this.opts.json ? 'json' : undefined);
  }

  /** The address the metrics endpoint is bound to (its real port when configured with port 0), if it runs. */
  get metricsAddress(): ListenAddress | undefined {
    const s = this.#metricsServer;
    if (!s) return undefined;
    const a = s.app.server.address();
    return a && typeof a === 'object' ? { host: s.at.host, port: a.port } : s.at;
  }

  get engine(): IkeEngine {
    if (!this.#engine) throw new StateError('daemon not started');
    return this.#engine;
  }

  async #load(): Promise<void> {
    const { config, credentials, warnings } = loadSwanctl(this.opts.config);
    const ops = parseOperations(config.attestd);
    warnings.push(...ops.warnings);
    const connections = ikeConnections(config, credentials);
    const creds = credentialStore(config, credentials);
    const attestation = Attestation.fromSettings(config.attestd, credentials, this.log);
    await attestation.load();
    // Built before anything is replaced, so that a bad file leaves the running configuration untouched.
    const eap = this.#recordingRefusals(
      attestation.provider((id) => creds.eapSecret(id)),
      attestation,
    );
    this.#connections = connections;
    this.#creds = creds;
    // The previous attestation (its database connection, its collectors' TPM) may still serve IKE SAs in the middle
    // of EAP: it is released a while later, or at stop.
    const previous = this.#attestation;
    if (previous) {
      this.#retired.add(previous);
      setTimeout(() => {
        if (this.#retired.delete(previous)) void previous.close();
      }, 120_000).unref();
    }
    this.#attestation = attestation;
    this.#eap = eap;
    this.#ops = ops.config;
    this.log.configure({ format: this.#cliLogFormat() ?? ops.config.logFormat ?? 'text' });
    for (const w of warnings) this.log.info('CFG', `warning: ${w}`);
    if (this.#engine) this.#engine.svc.eap = eap;
    this.log.info('CFG', `loaded ${connections.length} connection(s) from ${this.opts.config}`, {
      attestation: attestation.attesting
        ? `imcs=${attestation.config.tnc.imcs.join(',')} imvs=${attestation.config.tnc.imvs.join(',')}`
        : 'off',
    });
  }

  /** The data plane (`tun` by default); ESP of the tun plane travels over the IKE port-4500 socket. */
  async #dataPlane(): Promise<DataPlane> {
    const kind = this.opts.dataPlane ?? 'tun';
    switch (kind) {
      case 'none':
        return new NoneDataPlane(randomFirstSpi(systemRng));
      case 'xfrm': {
        const x = new XfrmDataPlane();
        await x.probe();
        return x;
      }
      case 'tun': {
        const tun = new TunDataPlane({
          log: this.log,
          clock: systemClock,
          rng: systemRng,
          ...(this.opts.tunDevice ? { device: this.opts.tunDevice } : {}),
          transport: {
            sendEsp: (d, l, r) => this.#sockets?.sendEsp(d, l, r),
            sendKeepalive: (l, r) => this.#sockets?.sendKeepalive(l, r),
          },
        });
        await tun.start();
        this.#tun = tun;
        return tun;
      }
      default:
        throw new ConfigError(`data_plane = ${String(kind)}: use tun, xfrm or none`);
    }
  }

  async start(): Promise<void> {
    await this.#load();
    Daemon.#live.add(this);
    this.#metrics = new Metrics().listen((name, message) => this.#ours({ name, message } as DiagEvent));
    this.#metrics.collect(() => this.#samples());
    this.#unsubscribe.push(
      subscribe('attest:verdict', (m) => {
        if (this.#ours({ name: 'attest:verdict', message: m })) this.#recordVerdict(m);
      }),
    );
    try {
      await this.#applyMetrics(true);
      await this.#startServices();
    } catch (e) {
      await this.#closeOperations();
      await this.#sockets?.close().catch(() => {});
      await this.#dataplane?.close().catch(() => {});
      throw e;
    }
  }

  async #startServices(): Promise<void> {
    this.#dataplane = await this.#dataPlane();
    const addrs = this.opts.listen ?? [
      ...new Set(this.#connections.flatMap((c) => c.localAddrs).filter((a) => isIP(a) !== 0)),
    ];
    const engineRef: { e?: IkeEngine } = {};
    this.#sockets = new IkeSockets({
      addresses: addrs.length ? addrs : ['0.0.0.0'],
      port: this.opts.port ?? 500,
      natPort: this.opts.natPort ?? 4500,
      log: this.log,
      onIke: (data, local, remote) => void engineRef.e?.receive(data, local, remote),
      onEsp: (data) => this.#tun?.onEsp(data),
    });
    await this.#sockets.open();
    const engine = new IkeEngine({
      services: {
        rng: systemRng,
        clock: systemClock,
        log: this.log,
        dataplane: this.#dataplane,
        creds: { psk: (l, r) => this.#creds!.psk(l, r), trustAnchors: () => this.#creds!.trustAnchors() },
        connections: () => this.#connections,
        ...(this.#eap ? { eap: this.#eap } : {}),
        // Each side enforces its own verifiers' verdict on the peer (allow / isolate / no access).
        authorize: (sa) => this.#attestation!.authorize(sa),
      },
      transport: this.#sockets,
    });
    engineRef.e = engine;
    this.#engine = engine;
    this.#control = await startControlServer({
      path: this.opts.control ?? defaultControlPath,
      ...(this.opts.controlGroup ? { group: this.opts.controlGroup } : {}),
      log: this.log,
      handler: (req) => this.#handle(req),
    });
    this.#startConnections();
  }

  #startConnections(): void {
    for (const conn of this.#connections) {
      const children = conn.children.filter((c) => c.startAction === 'start').map((c) => c.name);
      if (!children.length) continue;
      this.engine
        .initiate(conn.name, { children })
        .catch((e: unknown) => this.log.error('IKE', `${conn.name}: ${e instanceof Error ? e.message : e}`));
    }
  }

  async #handle(req: ControlRequest): Promise<unknown> {
    const engine = this.engine;
    // The IKE SAs a request names: by `id`, else by connection name `ike`.
    const named = (s: IkeSa) => (req.id !== undefined ? s.id === Number(req.id) : s.conn.name === req.ike);
    switch (req.cmd) {
      case 'list-sas':
        // The engine knows SAs, the data plane their traffic: add the counters per CHILD_SA.
        return engine.list().map((sa) => ({
          ...sa,
          children: sa.children.map((c) => ({ ...c, counters: this.#dataplane?.counters(parseInt(c.spiIn, 16)) })),
        }));
      case 'list-conns':
        return this.#connections.map((c) => ({
          name: c.name,
          local: c.localAddrs,
          remote: c.remoteAddrs,
          children: c.children.map((x) => x.name),
        }));
      case 'initiate': {
        const ike = String(req.ike ?? '');
        const child = req.child === undefined ? undefined : String(req.child);
        const sa = await engine.initiate(ike, child ? { children: [child] } : {});
        await engine.idle(sa, 30_000);
        return engine.list().find((s) => s.id === sa.id);
      }
      case 'terminate': {
        const targets = engine.sas.filter(named);
        if (!targets.length) throw new StateError('no matching IKE SA');
        await Promise.all(targets.map((s) => engine.terminate(s)));
        return { terminated: targets.length };
      }
      case 'rekey': {
        const sa = engine.sas.find((s) => named(s) && s.state === IkeState.ESTABLISHED);
        if (!sa) throw new StateError('no matching established IKE SA');
        if (req.child) {
          const child = sa.children.find((c) => c.config.name === req.child);
          if (!child) throw new StateError(`no CHILD_SA ${String(req.child)}`);
          engine.rekeyChild(sa, child);
        } else engine.rekeyIke(sa);
        await engine.idle(sa, 30_000);
        return { rekeyed: sa.id };
      }
      case 'reload':
        return this.reload();
      case 'list-verdicts':
        return this.listVerdicts({
          ...(req.limit !== undefined ? { limit: Number(req.limit) } : {}),
          ...(req.ike !== undefined ? { connection: String(req.ike) } : {}),
        });
      case 'stats':
        return {
          engine: engine.stats,
          udp: this.#sockets?.stats,
          halfOpen: engine.halfOpenCount,
          ...(this.#tun ? { esp: this.#tun.stats } : {}),
          ...(this.metricsAddress ? { metrics: formatListenAddress(this.metricsAddress) } : {}),
        };
      default:
        throw new StateError(`unknown command ${req.cmd}`);
    }
  }

  /** Reloads the configuration; SAs of removed or changed connections are deleted, the others kept. */
  async reload(): Promise<{ kept: number; deleted: number }> {
    const before = new Map(this.#connections.map((c) => [c.name, fingerprint(c)]));
    await this.#load();
    const after = new Map(this.#connections.map((c) => [c.name, c]));
    let kept = 0;
    let deleted = 0;
    for (const sa of this.engine.sas) {
      const fresh = after.get(sa.conn.name);
      const same = fresh && before.get(sa.conn.name) === fingerprint(fresh);
      if (same) {
        sa.conn = fresh;
        kept++;
      } else {
        deleted++;
        await this.engine.terminate(sa, 'configuration changed');
      }
    }
    await this.#applyMetrics(false);
    this.log.info('CFG', `reloaded: kept ${kept} SA(s), deleted ${deleted}`);
    return { kept, deleted };
  }

  async stop(): Promise<void> {
    this.log.info('DMN', 'stopping: deleting SAs');
    await this.#engine?.close(true);
    await new Promise<void>((r) => (this.#control ? this.#control.close(() => r()) : r()));
    await this.#closeOperations();
    await this.#sockets?.close();
    await this.#dataplane?.close();
    for (const a of [...this.#retired, this.#attestation]) await a?.close();
    this.#retired.clear();
  }

  /**
   * Wraps the EAP provider so that the verdict on a peer whose IKE SA fails during EAP is on record too. Verdicts are
   * published by the authorization hook, which IKE reaches only after EAP succeeded; but a peer our verifiers
   * refuse ends the conversation before that: as EAP server with EAP-Failure, as EAP peer (mutual attestation) by
   * IKE checking our verdict on the responder right after EAP-Success. In those cases, and when the peer refuses
   * us after our verifiers concluded, the IKE SA's attestation outcome is taken (and published) at that point.
   */
  #recordingRefusals(eap: EapProvider, attestation: Attestation): EapProvider {
    // Refused during EAP, the peer has no authenticated IKE identity yet: the verdict names the one it claimed.
    const record = (label: string): void => {
      const sa = this.#engine?.find((s) => s.label === label);
      if (!sa) return;
      attestation.authorize(sa).then(
        (a) => void (sa.authorization = a),
        (e: unknown) => this.log.error('TNC', `${label} attestation outcome: ${e instanceof Error ? e.message : e}`),
      );
    };
    return {
      peer: (method, ctx) => {
        const inner = eap.peer(method, ctx);
        let recorded = false;
        const once = () => {
          if (recorded) return;
          recorded = true;
          record(ctx.label);
        };
        const verdict = inner.verdict?.bind(inner);
        return {
          process: (request) => inner.process(request),
          msk: () => inner.msk(),
          finish: (outcome) => {
            inner.finish(outcome);
            // Refused by the responder: our verifiers' verdict on it, if they reached one.
            if (outcome === 'failure' && verdict?.() !== undefined) once();
          },
          ...(verdict
            ? {
                verdict: () => {
                  const v = verdict();
                  if (v === 'failure') once();
                  return v;
                },
              }
            : {}),
        };
      },
      server: (method, ctx) => {
        const inner = eap.server(method, ctx);
        return {
          start: () => inner.start(),
          msk: () => inner.msk(),
          get identity() {
            return inner.identity;
          },
          process: async (response) => {
            const r = await inner.process(response);
            if (r.outcome === 'failure') record(ctx.label);
            return r;
          },
        };
      },
    };
  }

  /** The most recent attestation verdicts, newest first (optionally of one connection, at most `limit`). */
  listVerdicts(opts: { limit?: number; connection?: string } = {}): VerdictInfo[] {
    const limit = opts.limit ?? VERDICT_HISTORY;
    if (!Number.isInteger(limit) || limit < 0) throw new StateError(`limit must be a non-negative integer`);
    const out: VerdictInfo[] = [];
    for (let i = this.#verdicts.length - 1; i >= 0 && out.length < limit; i--) {
      const v = this.#verdicts[i]!;
      if (opts.connection === undefined || v.connection === opts.connection)
        out.push({ ...v, reasons: [...v.reasons] });
    }
    return out;
  }

  #recordVerdict(m: DiagChannels['attest:verdict']): void {
    this.#verdicts.push({ time: new Date().toISOString(), ...m, reasons: [...m.reasons] });
    if (this.#verdicts.length > VERDICT_HISTORY) this.#verdicts.splice(0, this.#verdicts.length - VERDICT_HISTORY);
    this.log.log('TNC', m.decision === 'allow' ? 'debug' : 'info', `${m.ike} attestation of the peer: ${m.decision}`, {
      peer: m.peerId,
      remote: m.remote,
      ...(m.reasons.length ? { reasons: m.reasons.join('; ') } : {}),
    });
  }

  /** The wanted metrics endpoint: `--metrics` if given (`off` = none), else `attestd.metrics.listen`. */
  #metricsWanted(): ListenAddress | undefined {
    const cli = this.#cliMetrics;
    return cli === 'off' ? undefined : (cli ?? this.#ops.metrics);
  }

  async #serveMetrics(at: ListenAddress): Promise<MetricsServer> {
    const app = await startMetricsServer(this.#metrics!, {
      host: at.host,
      port: at.port,
      health: () => ({
        uptime: Math.round((Date.now() - this.#startedAt) / 1000),
        ikeSas: this.#engine?.sas.length ?? 0,
      }),
    });
    return { app, key: formatListenAddress(at), at };
  }

  /**
   * (Re)binds the metrics endpoint to the wanted address, if it changed. At start a failure is fatal; on reload it
   * is logged and the endpoint stays where it was.
   */
  async #applyMetrics(starting: boolean): Promise<void> {
    const want = this.#metricsWanted();
    const key = want ? formatListenAddress(want) : undefined;
    const old = this.#metricsServer;
    if (key === old?.key) return;
    if (!want) {
      this.#metricsServer = undefined;
      await old?.app.close();
      this.log.info('DMN', `metrics endpoint ${old?.key ?? ''} closed`);
      return;
    }
    try {
      let next: MetricsServer;
      try {
        next = await this.#serveMetrics(want);
      } catch (e) {
        // The new address may overlap the old one (127.0.0.1:9464 → 0.0.0.0:9464): free the old one and retry.
        if (!old || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
        this.#metricsServer = undefined;
        await old.app.close();
        try {
          next = await this.#serveMetrics(want);
        } catch (e2) {
          this.#metricsServer = await this.#serveMetrics(old.at).catch(() => undefined);
          throw e2;
        }
      }
      const previous = this.#metricsServer;
      this.#metricsServer = next;
      await previous?.app.close().catch(() => {});
      this.log.info('DMN', `metrics endpoint http://${formatListenAddress(this.metricsAddress ?? want)}/metrics`);
    } catch (e) {
      const why = `metrics endpoint ${key}: ${e instanceof Error ? e.message : String(e)}`;
      if (starting) throw new ConfigError(why, { cause: e });
      this.log.error('DMN', `${why}${this.#metricsServer ? ` (still serving on ${this.#metricsServer.key})` : ''}`);
    }
  }

  async #closeOperations(): Promise<void> {
    const server = this.#metricsServer;
    this.#metricsServer = undefined;
    await server?.app.close().catch(() => {});
    this.#metrics?.close();
    this.#metrics = undefined;
    for (const u of this.#unsubscribe.splice(0)) u();
    Daemon.#live.delete(this);
  }

  /** Is an event ours to count? Yes with one daemon in the process; else if we claim it or no other daemon does. */
  #ours(e: DiagEvent): boolean {
    const ours =
      Daemon.#live.size <= 1 || this.#claims(e) || ![...Daemon.#live].some((d) => d !== this && d.#claims(e));
    if (!ours) return false;
    // Track our SPIs; forget them after every subscriber saw the deletion (they may still ask whose it was).
    switch (e.name) {
      case 'ike:sa:established':
        this.#ikeSpis.add(e.message.spi);
        break;
      case 'ike:sa:rekeyed':
        this.#ikeSpis.add(e.message.newSpi);
        break;
      case 'ike:sa:deleted': {
        const spi = e.message.spi;
        queueMicrotask(() => this.#ikeSpis.delete(spi));
        break;
      }
      case 'ike:child:established':
        this.#childSpis.add(e.message.spiIn);
        break;
      case 'ike:child:deleted': {
        const spi = e.message.spiIn;
        queueMicrotask(() => this.#childSpis.delete(spi));
        break;
      }
      default:
        break;
    }
    return true;
  }

  /** Does this event concern one of our SAs? (false for events that name no SA) */
  #claims(e: DiagEvent): boolean {
    const sas = this.#engine?.sas ?? [];
    const ike = (spi: string) => this.#ikeSpis.has(spi) || sas.some((s) => spiHex(s.spiLocal) === spi);
    const child = (spi: number) => this.#childSpis.has(spi) || sas.some((s) => s.children.some((c) => c.spiIn === spi));
    switch (e.name) {
      case 'ike:sa:established':
      case 'ike:sa:deleted':
        return ike(e.message.spi);
      case 'ike:sa:rekeyed':
        return ike(e.message.oldSpi) || ike(e.message.newSpi);
      case 'ike:child:established':
      case 'ike:child:deleted':
        return child(e.message.spiIn);
      case 'esp:replay':
      case 'esp:icv':
        return child(e.message.spi);
      case 'ike:error':
        return sas.some((s) => s.remote.address === e.message.peer);
      case 'attest:verdict':
        return sas.some((s) => s.label === e.message.ike);
      default:
        return false;
    }
  }

  /** Samples read at scrape time: SAs by state from the engine, traffic from the data plane. */
  #samples(): GaugeSample[] {
    const engine = this.#engine;
    if (!engine) return [];
    const out: GaugeSample[] = [];
    const ikeByState = new Map<string, number>(
      Object.values(IkeState)
        .filter((s) => s !== IkeState.DESTROYED)
        .map((s) => [s, 0]),
    );
    const childByState = new Map<string, number>(
      Object.values(ChildState)
        .filter((s) => s !== ChildState.DESTROYED)
        .map((s) => [s, 0]),
    );
    const traffic = { bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0, replayDrops: 0, icvFailures: 0 };
    for (const sa of engine.sas) {
      if (ikeByState.has(sa.state)) ikeByState.set(sa.state, ikeByState.get(sa.state)! + 1);
      for (const c of sa.children) {
        if (childByState.has(c.state)) childByState.set(c.state, childByState.get(c.state)! + 1);
        const n = c.spiIn ? this.#dataplane?.counters(c.spiIn) : undefined;
        if (n) for (const k of Object.keys(traffic) as (keyof typeof traffic)[]) traffic[k] += n[k];
      }
    }
    for (const [state, value] of ikeByState)
      out.push({ name: 'attestd_ike_sas', help: 'IKE SAs by state', labels: { state }, value });
    for (const [state, value] of childByState)
      out.push({ name: 'attestd_child_sas', help: 'CHILD SAs by state', labels: { state }, value });
    out.push({ name: 'attestd_ike_sas_half_open', help: 'half-open IKE SAs (responder)', value: engine.halfOpenCount });
    const installed = 'of the installed CHILD SAs (falls when SAs go)';
    for (const dir of ['in', 'out'] as const) {
      const d = dir === 'in' ? 'In' : 'Out';
      out.push(
        {
          name: 'attestd_child_sa_bytes',
          help: `ESP payload bytes ${installed}`,
          labels: { direction: dir },
          value: traffic[`bytes${d}`],
        },
        {
          name: 'attestd_child_sa_packets',
          help: `ESP packets ${installed}`,
          labels: { direction: dir },
          value: traffic[`packets${d}`],
        },
      );
    }
    out.push(
      { name: 'attestd_child_sa_replay_drops', help: `ESP replay drops ${installed}`, value: traffic.replayDrops },
      { name: 'attestd_child_sa_icv_failures', help: `ESP ICV failures ${installed}`, value: traffic.icvFailures },
    );
    const ikeStats: Record<keyof EngineStats, [string, string]> = {
      received: ['attestd_ike_messages_received_total', 'IKE datagrams received'],
      sent: ['attestd_ike_messages_sent_total', 'IKE datagrams sent'],
      dropped: ['attestd_ike_messages_dropped_total', 'IKE datagrams dropped (no SA, limits, duplicates)'],
      parseErrors: ['attestd_ike_parse_errors_total', 'IKE datagrams that did not parse'],
      icvFailures: ['attestd_ike_icv_failures_total', 'IKE messages failing the integrity check'],
      cookiesSent: ['attestd_ike_cookies_sent_total', 'COOKIE notifies sent under load'],
      retransmitsAnswered: ['attestd_ike_retransmits_answered_total', 'retransmitted requests answered again'],
    };
    for (const [k, [name, help]] of Object.entries(ikeStats))
      out.push({ name, help, type: 'counter', value: engine.stats[k as keyof EngineStats] });
    if (this.#tun) {
      const { in: pin, out: pout, ...drops } = this.#tun.stats;
      for (const [direction, value] of [
        ['in', pin],
        ['out', pout],
      ] as const)
        out.push({
          name: 'attestd_esp_packets_total',
          help: 'ESP packets through the userspace data plane',
          type: 'counter',
          labels: { direction },
          value,
        });
      for (const [reason, value] of Object.entries(drops))
        out.push({
          name: 'attestd_esp_dropped_packets_total',
          help: 'packets the userspace ESP data plane dropped, by reason',
          type: 'counter',
          labels: { reason },
          value,
        });
    }
    return out;
  }
}

/** A comparable rendering of a connection (keys by their public half), to tell changed connections on reload. */
function fingerprint(conn: IkeConnection): string {
  return JSON.stringify(conn, (_k, v: unknown) => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
    if (v instanceof KeyObject) return createPublicKey(v).export({ type: 'spki', format: 'der' }).toString('hex');
    return v;
  });
}
