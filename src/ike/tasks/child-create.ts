/**
 * CHILD_SA creation, piggybacked on IKE_AUTH or in its own CREATE_CHILD_SA exchange (RFC 7296 §1.3.1), with
 * traffic-selector narrowing (§2.9) and optional PFS. Also used for CHILD_SA rekeying (§1.3.3) when `rekey` names
 * the SA being replaced: the request then carries N(REKEY_SA) with the old inbound SPI.
 *
 *   HDR, SK {[N(REKEY_SA)], [N(USE_TRANSPORT_MODE)], SA, Ni, [KEi], TSi, TSr}  -->
 *                              <--  HDR, SK {[N(USE_TRANSPORT_MODE)], SA, Nr, [KEr], TSi, TSr}
 * (In IKE_AUTH there is no Ni/Nr/KE: the IKE_SA_INIT nonces are used.)
 */
import { ProtocolError } from '../../common/errors.ts';
import { createKeyExchange, deriveChildKeys, formatSuite } from '../../crypto/index.ts';
import type { KeyExchange, Transform } from '../../crypto/types.ts';
import type { ChildConfig } from '../config.ts';
import { errorNotify, first, notify, tsFromCidr, tsIntersect, tsToString } from '../message/index.ts';
import {
  ExchangeType,
  NotifyType,
  PayloadType,
  ProtocolId,
  type IkeMessage,
  type Payload,
  type TrafficSelector,
} from '../payloads/types.ts';
import { ChildSa, ChildState } from '../sa/child-sa.ts';
import type { IkeSa } from '../sa/ike-sa.ts';
import { childErrors } from './ike-auth.ts';
import { proposalsFor } from './ike-init.ts';
import {
  acceptedProposal,
  chooseProposal,
  notifyPayload,
  readU32,
  u16,
  u32,
  type Task,
  type TaskContext,
  type TaskStatus,
} from './task.ts';

const NONCE_SIZE = 32;

/** Resolves configured selectors; `dynamic` is the IKE address of that side. */
export function resolveTs(specs: string[], dynamicAddr: string): TrafficSelector[] {
  return specs.flatMap((s) => (s === 'dynamic' ? [tsFromCidr(dynamicAddr)] : [tsFromCidr(s)]));
}

/** Every non-empty intersection of the offered selectors with ours (RFC 7296 §2.9 narrowing). */
export function narrow(offered: TrafficSelector[], ours: TrafficSelector[]): TrafficSelector[] {
  const out: TrafficSelector[] = [];
  for (const o of offered)
    for (const m of ours) {
      const x = tsIntersect(o, m);
      if (x && !out.some((y) => tsToString(y) === tsToString(x))) out.push(x);
    }
  return out;
}

function firstKe(proposals: Transform[][]): number | undefined {
  for (const p of proposals) for (const t of p) if (t.type === 4) return t.id;
  return undefined;
}

/** Installs the child into the data plane with keys by direction, then wipes the copies. */
export async function installChild(ctx: TaskContext, child: ChildSa): Promise<void> {
  const { sa, svc } = ctx;
  const k = child.keys!;
  const inbound = sa.initiator ? { e: k.encrR, i: k.integR } : { e: k.encrI, i: k.integI };
  const outbound = sa.initiator ? { e: k.encrI, i: k.integI } : { e: k.encrR, i: k.integR };
  const cfg = child.config;
  await svc.dataplane.installSa({
    name: cfg.name,
    id: child.id,
    mode: child.mode,
    spiIn: child.spiIn,
    spiOut: child.spiOut,
    suite: child.suite!,
    encrIn: inbound.e,
    integIn: inbound.i,
    encrOut: outbound.e,
    integOut: outbound.i,
    esn: child.suite!.esn === 1,
    localTs: child.localTs,
    remoteTs: child.remoteTs,
    local: { ...sa.local },
    remote: { ...sa.remote },
    encap: sa.encap,
    lifetimes: {
      softBytes: cfg.rekeyBytes,
      hardBytes: cfg.lifeBytes,
      softPackets: cfg.rekeyPackets,
      hardPackets: cfg.lifePackets,
    },
  });
  child.wipeKeys();
  child.state = ChildState.INSTALLED;
  child.installedAt = svc.clock.now();
  sa.children.push(child);
  ctx.engine.childInstalled(sa, child);
  svc.log.info('IKE', `${sa.label} CHILD_SA ${cfg.name}{${child.id}} established`, {
    spis: `${child.spiIn.toString(16)}_i ${child.spiOut.toString(16)}_o`,
    suite: formatSuite(child.suite!, 'esp'),
    ts: `${child.localTs.map(tsToString).join(',')} === ${child.remoteTs.map(tsToString).join(',')}`,
  });
}

function deriveKeys(sa: IkeSa, child: ChildSa, ni: Uint8Array, nr: Uint8Array, secret?: Uint8Array): void {
  child.keys = deriveChildKeys({
    prf: sa.prf!,
    skD: sa.skD!,
    ni,
    nr,
    ...(secret ? { sharedSecret: secret } : {}),
    suite: child.suite!,
  });
}

export class ChildCreateInitiator implements Task {
  readonly name: string;
  readonly exchange: number;
  readonly child: ChildSa;
  /** The CHILD_SA being rekeyed, if any. */
  readonly rekey: ChildSa | undefined;
  #ni: Uint8Array = new Uint8Array(0);
  #ke: KeyExchange | undefined;
  #built = false;
  #offered: Transform[][] = [];
  /** Called with the outcome, e.g. to queue the deletion of the rekeyed SA. */
  onDone: ((ok: boolean) => void) | undefined;

  constructor(config: ChildConfig, exchange: number, rekey?: ChildSa) {
    this.child = new ChildSa(config);
    this.exchange = exchange;
    this.rekey = rekey;
    this.name = rekey ? 'child-rekey' : 'child-create';
    if (rekey) {
      this.child.rekeyOf = rekey.id;
      this.child.mode = rekey.mode;
    }
  }

  async build(ctx: TaskContext, out: Payload[]): Promise<void> {
    if (this.#built) return; // later IKE_AUTH rounds carry nothing of ours
    this.#built = true;
    const { sa, svc } = ctx;
    const cfg = this.child.config;
    this.child.spiIn = await svc.dataplane.allocateSpi();
    const inIkeAuth = this.exchange === ExchangeType.IKE_AUTH;
    // In IKE_AUTH no KE is possible: strip key exchange methods from the ESP proposals (RFC 7296 §1.2).
    this.#offered = cfg.espProposals.map((p) => (inIkeAuth ? p.filter((t) => t.type !== 4) : p));
    const group = inIkeAuth ? undefined : firstKe(this.#offered);
    if (this.rekey)
      out.push(notifyPayload(NotifyType.REKEY_SA, new Uint8Array(0), ProtocolId.ESP, u32(this.rekey.spiIn)));
    if (this.child.mode === 'transport') out.push(notifyPayload(NotifyType.USE_TRANSPORT_MODE));
    out.push({
      type: PayloadType.SA,
      proposals: proposalsFor(this.#offered, ProtocolId.ESP, u32(this.child.spiIn), group),
    });
    if (!inIkeAuth) {
      this.#ni = svc.rng(NONCE_SIZE);
      out.push({ type: PayloadType.NONCE, data: this.#ni });
      if (group !== undefined) {
        this.#ke = createKeyExchange(group, svc.rng);
        out.push({ type: PayloadType.KE, group, data: this.#ke.publicValue() });
      }
    }
    const localTs = this.rekey ? this.rekey.localTs : resolveTs(cfg.localTs, sa.local.address);
    const remoteTs = this.rekey ? this.rekey.remoteTs : resolveTs(cfg.remoteTs, sa.remote.address);
    this.child.localTs = localTs;
    this.child.remoteTs = remoteTs;
    out.push({ type: PayloadType.TSi, selectors: localTs });
    out.push({ type: PayloadType.TSr, selectors: remoteTs });
  }

  async process(ctx: TaskContext, msg: IkeMessage): Promise<TaskStatus> {
    const { sa, svc } = ctx;
    const err = errorNotify(msg);
    const saP = first(msg, PayloadType.SA);
    if (this.exchange === ExchangeType.IKE_AUTH && !saP && !(err && childErrors.has(err.notifyType))) {
      return 'again'; // the CHILD_SA comes with the last IKE_AUTH response
    }
    try {
      if (err) throw new ProtocolError('IKE', err.notifyType, `CHILD_SA ${this.child.config.name} refused by peer`);
      const tsi = first(msg, PayloadType.TSi);
      const tsr = first(msg, PayloadType.TSr);
      if (!saP || !tsi || !tsr)
        throw new ProtocolError('IKE', NotifyType.INVALID_SYNTAX, 'response lacks SA, TSi or TSr');
      const { chosen, spi } = acceptedProposal(saP, this.#offered, 4, `CHILD_SA ${this.child.config.name} response`);
      // The selectors chosen must lie within what we proposed.
      const li = narrow(tsi.selectors, this.child.localTs);
      const ri = narrow(tsr.selectors, this.child.remoteTs);
      if (li.length !== tsi.selectors.length || ri.length !== tsr.selectors.length) {
        throw new ProtocolError('IKE', NotifyType.TS_UNACCEPTABLE, 'peer widened the traffic selectors');
      }
      this.child.localTs = tsi.selectors;
      this.child.remoteTs = tsr.selectors;
      this.child.spiOut = readU32(spi);
      this.child.suite = chosen.suite;
      if (this.child.mode === 'transport' && !notify(msg, NotifyType.USE_TRANSPORT_MODE)) this.child.mode = 'tunnel';
      let secret: Uint8Array | undefined;
      let ni = sa.ni;
      let nr = sa.nr;
      if (this.exchange !== ExchangeType.IKE_AUTH) {
        const nonce = first(msg, PayloadType.NONCE);
        if (!nonce) throw new ProtocolError('IKE', NotifyType.INVALID_SYNTAX, 'response lacks Nr');
        ni = this.#ni;
        nr = nonce.data;
        if (this.#ke) {
          const ke = first(msg, PayloadType.KE);
          if (!ke || ke.group !== this.#ke.method || chosen.suite.ke !== ke.group) {
            throw new ProtocolError('IKE', NotifyType.INVALID_KE_PAYLOAD, 'missing or wrong KE in response');
          }
          this.#ke.receive(ke.data);
          secret = this.#ke.sharedSecret(); // wiped by dispose() below
        }
      }
      deriveKeys(sa, this.child, ni, nr, secret);
      await installChild(ctx, this.child);
      this.onDone?.(true);
    } catch (e) {
      svc.log.error(
        'IKE',
        `${sa.label} CHILD_SA ${this.child.config.name} failed: ${e instanceof Error ? e.message : String(e)}`,
      );
      await svc.dataplane.removeSa(this.child.spiIn);
      this.child.state = ChildState.DESTROYED;
      this.onDone?.(false);
      if (this.exchange !== ExchangeType.IKE_AUTH && !(e instanceof ProtocolError)) throw e;
    } finally {
      this.#ke?.dispose();
    }
    return 'done';
  }

  failed(): void {
    this.#ke?.dispose();
    this.onDone?.(false);
  }
}

export class ChildCreateResponder implements Task {
  readonly name: string;
  readonly exchange: number;
  #request: IkeMessage | undefined;
  #rekey: ChildSa | undefined;

  constructor(exchange: number) {
    this.exchange = exchange;
    this.name = 'child-create';
  }

  process(ctx: TaskContext, msg: IkeMessage): void {
    // In IKE_AUTH the child payloads come with the first request only.
    if (!this.#request && first(msg, PayloadType.SA)) this.#request = msg;
    const rekey = notify(msg, NotifyType.REKEY_SA);
    if (rekey && rekey.protocol === ProtocolId.ESP && rekey.spi.byteLength === 4) {
      const spi = readU32(rekey.spi);
      this.#rekey = ctx.sa.children.find((c) => c.spiOut === spi && c.state === ChildState.INSTALLED);
      if (!this.#rekey)
        throw new ProtocolError(
          'IKE',
          NotifyType.CHILD_SA_NOT_FOUND,
          `no CHILD_SA with SPI ${spi.toString(16)}`,
          undefined,
        );
    }
  }

  async build(ctx: TaskContext, out: Payload[]): Promise<TaskStatus> {
    const { sa, svc } = ctx;
    if (this.exchange === ExchangeType.IKE_AUTH && !sa.authComplete) return 'again';
    const req = this.#request;
    if (!req) return 'done'; // no CHILD_SA requested
    try {
      const child = await this.#create(ctx, req, out);
      if (this.#rekey) {
        this.#rekey.state = ChildState.REKEYED;
        child.rekeyOf = this.#rekey.id;
      }
    } catch (e) {
      if (!(e instanceof ProtocolError) || e.protocol !== 'IKE') throw e;
      svc.log.error('IKE', `${sa.label} CHILD_SA refused: ${e.message}`);
      if (this.exchange !== ExchangeType.IKE_AUTH) throw e; // whole response is the error notify
      out.push(notifyPayload(e.wireCode, e.data ?? new Uint8Array(0)));
    }
    return 'done';
  }

  async #create(ctx: TaskContext, req: IkeMessage, out: Payload[]): Promise<ChildSa> {
    const { sa, svc } = ctx;
    const saP = first(req, PayloadType.SA)!;
    const tsi = first(req, PayloadType.TSi);
    const tsr = first(req, PayloadType.TSr);
    if (!tsi || !tsr) throw new ProtocolError('IKE', NotifyType.INVALID_SYNTAX, 'request lacks TSi or TSr');
    const inIkeAuth = this.exchange === ExchangeType.IKE_AUTH;

    // Pick the child config: the one being rekeyed, else the first whose selectors narrow to something.
    let config: ChildConfig | undefined = this.#rekey?.config;
    let localTs: TrafficSelector[] = [];
    let remoteTs: TrafficSelector[] = [];
    const isolate = sa.authorization?.decision === 'isolate' ? sa.authorization.isolateTs : undefined;
    for (const cfg of config ? [config] : sa.conn.children) {
      let theirs = resolveTs(cfg.remoteTs, sa.remote.address);
      if (isolate) theirs = narrow(theirs, resolveTs(isolate, sa.remote.address));
      const l = narrow(tsr.selectors, resolveTs(cfg.localTs, sa.local.address));
      const r = narrow(tsi.selectors, theirs);
      if (l.length && r.length) {
        config = cfg;
        localTs = l;
        remoteTs = r;
        break;
      }
    }
    if (!config || !localTs.length)
      throw new ProtocolError('IKE', NotifyType.TS_UNACCEPTABLE, 'traffic selectors unacceptable');
    const configured = config.espProposals.map((p) => (inIkeAuth ? p.filter((t) => t.type !== 4) : p));
    const { chosen, spi } = chooseProposal(saP, configured, ProtocolId.ESP, 4, 'ESP proposal');

    const child = new ChildSa(config);
    child.suite = chosen.suite;
    child.spiOut = readU32(spi);
    child.spiIn = await svc.dataplane.allocateSpi();
    child.localTs = localTs;
    child.remoteTs = remoteTs;
    child.mode = config.mode === 'transport' && notify(req, NotifyType.USE_TRANSPORT_MODE) ? 'transport' : 'tunnel';
    if (this.#rekey) child.mode = this.#rekey.mode;

    let ni = sa.ni;
    let nr = sa.nr;
    let secret: Uint8Array | undefined;
    let kePayload: Payload | undefined;
    let noncePayload: Payload | undefined;
    if (!inIkeAuth) {
      const nonce = first(req, PayloadType.NONCE);
      if (!nonce) throw new ProtocolError('IKE', NotifyType.INVALID_SYNTAX, 'request lacks Ni');
      ni = nonce.data;
      nr = svc.rng(NONCE_SIZE);
      noncePayload = { type: PayloadType.NONCE, data: nr };
      if (chosen.suite.ke) {
        const ke = first(req, PayloadType.KE);
        if (!ke || ke.group !== chosen.suite.ke) {
          throw new ProtocolError(
            'IKE',
            NotifyType.INVALID_KE_PAYLOAD,
            'KE does not match the chosen proposal',
            u16(chosen.suite.ke),
          );
        }
        const kex = createKeyExchange(ke.group, svc.rng);
        try {
          kex.receive(ke.data);
          kePayload = { type: PayloadType.KE, group: ke.group, data: kex.publicValue() };
          secret = kex.sharedSecret().slice();
        } finally {
          kex.dispose();
        }
      }
    }
    deriveKeys(sa, child, ni, nr, secret);
    secret?.fill(0);
    if (child.mode === 'transport') out.push(notifyPayload(NotifyType.USE_TRANSPORT_MODE));
    out.push({
      type: PayloadType.SA,
      proposals: [{ num: chosen.num, protocol: ProtocolId.ESP, spi: u32(child.spiIn), transforms: chosen.transforms }],
    });
    if (noncePayload) out.push(noncePayload);
    if (kePayload) out.push(kePayload);
    out.push({ type: PayloadType.TSi, selectors: remoteTs });
    out.push({ type: PayloadType.TSr, selectors: localTs });
    await installChild(ctx, child);
    return child;
  }
}
