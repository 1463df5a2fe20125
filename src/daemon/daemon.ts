/**
 * `attestd daemon`: loads swanctl.conf, opens the IKE sockets, runs the IKE engine with the chosen data plane,
 * starts children with `start_action = start`, and serves the control socket. SIGTERM deletes SAs cleanly; SIGHUP
 * (or `attestd reload`) reloads the configuration, keeping SAs whose connection is unchanged.
 */
import { createPublicKey, KeyObject } from 'node:crypto';
import type { Server } from 'node:net';
import { isIP } from 'node:net';
import { systemClock } from '../common/clock.ts';
import { ConfigError, StateError } from '../common/errors.ts';
import { Logger, type LogLevelName } from '../common/log.ts';
import { systemRng } from '../common/rng.ts';
import type { IkeConnection } from '../ike/config.ts';
import { NoneDataPlane, type DataPlane } from '../ike/dataplane.ts';
import { IkeEngine } from '../ike/engine.ts';
import { IkeSockets } from '../ike/net/udp.ts';
import { IkeState } from '../ike/sa/ike-sa.ts';
import { loadSwanctl } from './config/index.ts';
import { startControlServer, defaultControlPath, type ControlRequest } from './control.ts';
import { credentialStore, ikeConnections } from './wiring.ts';
import { Attestation } from './attestation.ts';
import type { EapProvider } from '../eap/method.ts';
import { TunDataPlane } from './dataplane.ts';
import { XfrmDataPlane } from '../esp/xfrm.ts';

export interface DaemonOptions {
  config: string;
  dataPlane?: 'none' | 'tun' | 'xfrm';
  control?: string;
  controlGroup?: string;
  logLevel?: LogLevelName;
  json?: boolean;
  /** Bind these addresses instead of the concrete local_addrs of the connections. */
  listen?: string[];
  port?: number;
  natPort?: number;
  /** TUN device name for `dataPlane: 'tun'` (default attestd0). */
  tunDevice?: string;
}

export class Daemon {
  readonly opts: DaemonOptions;
  readonly log: Logger;
  #connections: IkeConnection[] = [];
  #creds: ReturnType<typeof credentialStore> | undefined;
  #attestation: Attestation | undefined;
  #eap: EapProvider | undefined;
  #engine: IkeEngine | undefined;
  #sockets: IkeSockets | undefined;
  #control: Server | undefined;
  #dataplane: DataPlane | undefined;
  #tun: TunDataPlane | undefined;

  constructor(opts: DaemonOptions) {
    this.opts = opts;
    this.log = new Logger({ level: opts.logLevel ?? 'info', json: opts.json ?? false });
  }

  get engine(): IkeEngine {
    if (!this.#engine) throw new StateError('daemon not started');
    return this.#engine;
  }

  async #load(): Promise<void> {
    const { config, credentials, warnings } = loadSwanctl(this.opts.config);
    for (const w of warnings) this.log.info('CFG', `warning: ${w}`);
    const connections = ikeConnections(config, credentials);
    const creds = credentialStore(config, credentials);
    const attestation = Attestation.fromSettings(config.attestd, credentials, this.log);
    await attestation.load();
    // Built before anything is replaced, so that a bad file leaves the running configuration untouched.
    const eap = attestation.provider((id) => creds.eapSecret(id));
    this.#connections = connections;
    this.#creds = creds;
    this.#attestation = attestation;
    this.#eap = eap;
    if (this.#engine) this.#engine.svc.eap = eap;
    this.log.info('CFG', `loaded ${connections.length} connection(s) from ${this.opts.config}`, {
      attestation: attestation.attesting ? `imcs=${attestation.config.tnc.imcs.join(',')} imvs=${attestation.config.tnc.imvs.join(',')}` : 'off',
    });
  }

  /** The data plane (`tun` by default); ESP of the tun plane travels over the IKE port-4500 socket. */
  async #dataPlane(): Promise<DataPlane> {
    const kind = this.opts.dataPlane ?? 'tun';
    switch (kind) {
      case 'none':
        return new NoneDataPlane();
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
        const targets = engine.sas.filter((s) =>
          req.id !== undefined ? s.id === Number(req.id) : s.conn.name === req.ike,
        );
        if (!targets.length) throw new StateError('no matching IKE SA');
        await Promise.all(targets.map((s) => engine.terminate(s)));
        return { terminated: targets.length };
      }
      case 'rekey': {
        const sa = engine.sas.find(
          (s) =>
            (req.id !== undefined ? s.id === Number(req.id) : s.conn.name === req.ike) &&
            s.state === IkeState.ESTABLISHED,
        );
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
      case 'stats':
        return {
          engine: engine.stats,
          udp: this.#sockets?.stats,
          halfOpen: engine.halfOpenCount,
          ...(this.#tun ? { esp: this.#tun.stats } : {}),
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
    this.log.info('CFG', `reloaded: kept ${kept} SA(s), deleted ${deleted}`);
    return { kept, deleted };
  }

  async stop(): Promise<void> {
    this.log.info('DMN', 'stopping: deleting SAs');
    await this.#engine?.close(true);
    await new Promise<void>((r) => (this.#control ? this.#control.close(() => r()) : r()));
    await this.#sockets?.close();
    await this.#dataplane?.close();
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
