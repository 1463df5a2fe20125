/**
 * The IKEv2 engine: the IKE SA table, dispatch of incoming datagrams to SAs and tasks, IKE_SA_INIT handling with
 * COOKIEs under load (RFC 7296 §2.6), half-open limits, NAT-T port floating (§2.23), timers for rekeying and
 * liveness, and the operations the daemon exposes (initiate, terminate, rekey, list).
 *
 * No socket I/O happens here: datagrams come in through `receive` and go out through the injected transport, so
 * tests run two engines against each other in one process.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Reader, Writer, equal } from '../common/bytes.ts';
import type { Timer } from '../common/clock.ts';
import { publish } from '../common/diag.ts';
import { AttestdError, ProtocolError, StateError, VerifyError } from '../common/errors.ts';
import { nameOf } from '../common/names.ts';
import { formatSuite } from '../crypto/index.ts';
import type { ChildConfig, IkeConnection } from './config.ts';
import type { Endpoint } from './dataplane.ts';
import {
  FragmentReassembler,
  checkRules,
  decodeHeader,
  decodeMessage,
  encodeMessage,
  first,
  idToString,
  tsToString,
} from './message/index.ts';
import { ExchangeType, ExchangeTypeNames, HeaderFlag, NotifyType, PayloadType, ProtocolId, type IkeMessage } from './payloads/types.ts';
import { ChildState, type ChildSa } from './sa/child-sa.ts';
import { IkeSa, IkeState, spiHex } from './sa/ike-sa.ts';
import { TaskManager, defaultRetransmit, type RetransmitPolicy, type TaskManagerHost } from './sa/task-manager.ts';
import { ChildCreateInitiator, ChildCreateResponder } from './tasks/child-create.ts';
import { IkeAuthInitiator, IkeAuthResponder } from './tasks/ike-auth.ts';
import { IkeInitInitiator, IkeInitResponder } from './tasks/ike-init.ts';
import { IkeRekeyInitiator, IkeRekeyResponder } from './tasks/ike-rekey.ts';
import { ChildDeleteInitiator, DpdInitiator, IkeDeleteInitiator, InformationalResponder } from './tasks/informational.ts';
import { notifyPayload, type IkeServices, type Task, type TaskContext, type TaskEngine } from './tasks/task.ts';

/** Sends one IKE datagram; the adapter adds the non-ESP marker on port 4500 (RFC 3948 §2.2). */
export interface IkeTransport {
  send(data: Uint8Array, local: Endpoint, remote: Endpoint): void;
}

export interface EngineOptions {
  services: IkeServices;
  transport: IkeTransport;
  retransmit?: RetransmitPolicy;
  /** Half-open IKE_SAs above which IKE_SA_INIT requests must carry a COOKIE (charon: 10). 0 = always. */
  cookieThreshold?: number;
  /** Half-open SAs allowed per peer address before requests are dropped (charon's block_threshold: 5). */
  blockThreshold?: number;
  /** How long a half-open SA may live (ms). */
  halfOpenTimeout?: number;
  /** Cap on IKE SAs; new IKE_SA_INIT requests beyond it are refused (TEMPORARY_FAILURE... dropped). */
  maxSas?: number;
}

/** Counters for `list-sas`, metrics and tests. */
export interface EngineStats {
  received: number;
  sent: number;
  dropped: number;
  parseErrors: number;
  icvFailures: number;
  cookiesSent: number;
  retransmitsAnswered: number;
}

export interface ChildInfo {
  name: string;
  id: number;
  state: string;
  mode: string;
  spiIn: string;
  spiOut: string;
  suite: string;
  localTs: string[];
  remoteTs: string[];
  installedAt: number;
}

export interface SaInfo {
  id: number;
  name: string;
  state: string;
  initiator: boolean;
  spiI: string;
  spiR: string;
  local: string;
  remote: string;
  suite: string;
  nat: boolean;
  localIds: string[];
  peerIds: string[];
  authorization?: { decision: string; reasons: string[] } | undefined;
  establishedAt: number;
  children: ChildInfo[];
  notes: string[];
}

const isAny = (a: string) => a === '%any' || a === '0.0.0.0' || a === '::' || a === '%any4' || a === '%any6';

/** Does a configured address list match an address? (exact, %any, or CIDR prefix) */
function addrMatch(list: string[], addr: string): boolean {
  if (!list.length) return true;
  return list.some((a) => {
    if (isAny(a) || a === addr) return true;
    const [net, bits] = a.split('/');
    if (!net || bits === undefined || !net.includes('.') || !addr.includes('.')) return false;
    const n = Number(bits);
    const toInt = (s: string) => s.split('.').reduce((x, o) => (x << 8) + Number(o), 0) >>> 0;
    const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0;
    return ((toInt(net) & mask) >>> 0) === ((toInt(addr) & mask) >>> 0);
  });
}

export class IkeEngine implements TaskEngine, TaskManagerHost {
  readonly svc: IkeServices;
  readonly retransmit: RetransmitPolicy;
  readonly stats: EngineStats = { received: 0, sent: 0, dropped: 0, parseErrors: 0, icvFailures: 0, cookiesSent: 0, retransmitsAnswered: 0 };
  readonly #transport: IkeTransport;
  readonly #sas = new Map<bigint, IkeSa>();
  readonly #managers = new Map<IkeSa, TaskManager>();
  readonly #reassemblers = new Map<IkeSa, FragmentReassembler>();
  /** Responder: IKE_SA_INIT requests already taken, by peer and SPIi, with their bytes, to spot retransmits. */
  readonly #initIndex = new Map<string, { sa: IkeSa; request: Uint8Array }>();
  readonly #timers = new Map<object, Timer[]>();
  readonly #waiters = new Map<IkeSa, { resolve: (sa: IkeSa) => void; reject: (e: Error) => void }[]>();
  readonly #childOwner = new Map<ChildSa, IkeSa>();
  readonly #cookieThreshold: number;
  readonly #blockThreshold: number;
  readonly #halfOpenTimeout: number;
  readonly #maxSas: number;
  /** IKE SAs past IKE_SA_INIT but not yet authenticated (responder side), and their count per peer address. */
  readonly #halfOpen = new Set<IkeSa>();
  readonly #halfOpenPerPeer = new Map<string, number>();
  #cookieSecret = randomBytes(32);
  #cookieVersion = 1;
  #closed = false;

  constructor(opts: EngineOptions) {
    this.svc = opts.services;
    this.#transport = opts.transport;
    this.retransmit = opts.retransmit ?? defaultRetransmit;
    this.#cookieThreshold = opts.cookieThreshold ?? 10;
    this.#blockThreshold = opts.blockThreshold ?? 5;
    this.#halfOpenTimeout = opts.halfOpenTimeout ?? 30_000;
    this.#maxSas = opts.maxSas ?? 100_000;
    this.svc.dataplane.onEvent((e) => {
      if (e.type === 'soft-expire' || e.type === 'seq-exhausted') {
        const found = this.#findChildBySpi(e.spiIn);
        if (found) this.rekeyChild(found.sa, found.child);
      } else if (e.type === 'hard-expire') {
        const found = this.#findChildBySpi(e.spiIn);
        if (found) this.#queueAndRun(found.sa, [new ChildDeleteInitiator(found.child)]);
      }
    });
  }

  // ---------------------------------------------------------------- TaskManagerHost / TaskEngine

  context(sa: IkeSa, raw?: Uint8Array): TaskContext {
    return raw ? { sa, svc: this.svc, engine: this, raw } : { sa, svc: this.svc, engine: this };
  }

  after(ms: number, fn: () => void): Timer {
    return this.svc.clock.after(ms, fn);
  }

  sendPackets(sa: IkeSa, packets: Uint8Array[]): void {
    for (const p of packets) {
      this.stats.sent++;
      this.#transport.send(p, sa.local, sa.remote);
    }
  }

  responderTasks(sa: IkeSa, msg: IkeMessage): Task[] {
    switch (msg.header.exchange) {
      case ExchangeType.IKE_SA_INIT:
        return [new IkeInitResponder()];
      case ExchangeType.IKE_AUTH:
        if (sa.state !== IkeState.CONNECTING || sa.authComplete) throw new StateError('IKE_AUTH on an SA that is not connecting');
        return [new IkeAuthResponder(), new ChildCreateResponder(ExchangeType.IKE_AUTH)];
      case ExchangeType.CREATE_CHILD_SA: {
        if (!sa.authComplete) throw new ProtocolError('IKE', NotifyType.INVALID_SYNTAX, 'CREATE_CHILD_SA before IKE_AUTH completed');
        const saP = first(msg, PayloadType.SA);
        if (saP?.proposals.some((p) => p.protocol === ProtocolId.IKE)) return [new IkeRekeyResponder()];
        return [new ChildCreateResponder(ExchangeType.CREATE_CHILD_SA)];
      }
      case ExchangeType.INFORMATIONAL:
        return [new InformationalResponder()];
      default:
        throw new ProtocolError('IKE', NotifyType.INVALID_SYNTAX, `unsupported exchange ${msg.header.exchange}`);
    }
  }

  exchangeFailed(sa: IkeSa, exchange: number, error: unknown): void {
    const why = error instanceof Error ? error.message : String(error);
    this.svc.log.error('IKE', `${sa.label} ${nameOf(ExchangeTypeNames, exchange)} failed: ${why}`);
    publish('ike:error', { peer: sa.remote.address, error: why });
    if (exchange === ExchangeType.IKE_SA_INIT || exchange === ExchangeType.IKE_AUTH || sa.state !== IkeState.ESTABLISHED || error instanceof AttestdError && error.code === 'ERR_TIMEOUT') {
      if (exchange === ExchangeType.IKE_AUTH && error instanceof ProtocolError && error.wireCode === NotifyType.AUTHENTICATION_FAILED && sa.skOut) {
        // RFC 7296 §2.21.2: tell the responder why we give up, in an INFORMATIONAL it need not answer.
        this.#sendOneShotInformational(sa, NotifyType.AUTHENTICATION_FAILED);
      }
      this.destroy(sa, why);
    }
  }

  requestFailed(sa: IkeSa, exchange: number, error: unknown): void {
    const why = error instanceof Error ? error.message : String(error);
    this.svc.log.error('IKE', `${sa.label} refused ${nameOf(ExchangeTypeNames, exchange)}: ${why}`);
    if (exchange === ExchangeType.IKE_SA_INIT || exchange === ExchangeType.IKE_AUTH) this.destroyLater(sa, why);
  }

  queue(sa: IkeSa, group: Task[]): void {
    this.#managers.get(sa)?.queue(group);
  }

  newSpi(): bigint {
    for (;;) {
      const spi = new Reader(randomBytes(8)).u64('spi');
      if (spi !== 0n && !this.#sas.has(spi)) return spi;
    }
  }

  adoptRekeyed(old: IkeSa, fresh: IkeSa): void {
    this.#register(fresh);
    for (const c of old.children.splice(0)) {
      fresh.children.push(c);
      this.#childOwner.set(c, fresh);
    }
    fresh.notes.push(...old.notes);
    old.state = IkeState.REKEYED;
    this.#cancelTimers(old);
    this.#scheduleIke(fresh);
    publish('ike:sa:rekeyed', { oldSpi: spiHex(old.spiLocal), newSpi: spiHex(fresh.spiLocal) });
    if (fresh.initiator) {
      // The rekey initiator deletes the old SA (RFC 7296 §2.18).
      setImmediate(() => this.#queueAndRun(old, [new IkeDeleteInitiator('rekeyed')]));
    } else {
      // The peer deletes the old SA; if it never does, expire it.
      this.#addTimer(old, this.after(this.#halfOpenTimeout, () => this.destroy(old, 'rekeyed, peer never deleted it')));
    }
  }

  childInstalled(sa: IkeSa, child: ChildSa): void {
    this.#childOwner.set(child, sa);
    publish('ike:child:established', { name: child.config.name, spiIn: child.spiIn, spiOut: child.spiOut });
    const rekey = child.config.rekeyTime;
    if (rekey > 0) {
      const jitter = Math.floor(rekey * 0.1 * (this.svc.rng(1)[0]! / 255));
      this.#addTimer(child, this.after(rekey - jitter, () => {
        const owner = this.#childOwner.get(child);
        if (owner && child.state === ChildState.INSTALLED) this.rekeyChild(owner, child);
      }));
    }
    if (child.config.lifeTime > 0) {
      this.#addTimer(child, this.after(child.config.lifeTime, () => {
        const owner = this.#childOwner.get(child);
        if (owner && child.state !== ChildState.DESTROYED) this.#queueAndRun(owner, [new ChildDeleteInitiator(child)]);
      }));
    }
  }

  childRemoved(_sa: IkeSa, child: ChildSa): void {
    this.#cancelTimers(child);
    this.#childOwner.delete(child);
    publish('ike:child:deleted', { name: child.config.name, spiIn: child.spiIn });
  }

  destroyLater(sa: IkeSa, reason: string): void {
    setImmediate(() => this.destroy(sa, reason));
  }

  // ---------------------------------------------------------------- incoming

  /** One IKE datagram (non-ESP marker already removed) received on `local` from `remote`. */
  async receive(data: Uint8Array, local: Endpoint, remote: Endpoint): Promise<void> {
    if (this.#closed) return;
    this.stats.received++;
    let header;
    try {
      header = decodeHeader(data);
    } catch (e) {
      this.stats.parseErrors++;
      this.svc.log.debug('NET', `dropping malformed IKE datagram from ${remote.address}: ${e instanceof Error ? e.message : e}`);
      return;
    }
    const isResponse = (header.flags & HeaderFlag.RESPONSE) !== 0;
    if (header.exchange === ExchangeType.IKE_SA_INIT && !isResponse) {
      if (header.spiR !== 0n || header.messageId !== 0) return this.#drop('IKE_SA_INIT request with SPIr or message id set');
      return this.#onInitRequest(header.spiI, data, local, remote);
    }
    const fromOriginalInitiator = (header.flags & HeaderFlag.INITIATOR) !== 0;
    const ourSpi = fromOriginalInitiator ? header.spiR : header.spiI;
    const sa = this.#sas.get(ourSpi);
    if (!sa || sa.state === IkeState.DESTROYED) return this.#drop(`no IKE SA for SPI ${spiHex(ourSpi)}`);
    if (sa.initiator === fromOriginalInitiator) return this.#drop('initiator flag does not match our role');
    const manager = this.#managers.get(sa)!;
    await manager.serialize(async () => {
      if (sa.state === IkeState.DESTROYED) return;
      let msg: IkeMessage;
      try {
        if (header.exchange === ExchangeType.IKE_SA_INIT) {
          if (sa.state !== IkeState.CONNECTING || !sa.initiator) return this.#drop('unexpected IKE_SA_INIT response');
          const r = decodeMessage(data);
          if (r.kind !== 'message') return this.#drop('fragmented IKE_SA_INIT');
          msg = r.message;
        } else {
          if (!sa.skIn) return this.#drop('no keys yet');
          const r = decodeMessage(data, sa.skIn);
          if (r.kind === 'fragment') {
            let ra = this.#reassemblers.get(sa);
            if (!ra) this.#reassemblers.set(sa, (ra = new FragmentReassembler()));
            const whole = ra.add(r);
            if (!whole) return;
            msg = whole;
          } else {
            msg = r.message;
          }
        }
      } catch (e) {
        if (e instanceof VerifyError) this.stats.icvFailures++;
        else this.stats.parseErrors++;
        if (e instanceof ProtocolError && e.wireCode === NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD && !isResponse) {
          this.#answerError(sa, header.exchange, header.messageId, NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD, e.data);
        }
        return this.#drop(`${sa.label}: ${e instanceof Error ? e.message : String(e)}`);
      }
      publish('ike:message', { dir: 'in', exchange: nameOf(ExchangeTypeNames, header.exchange), mid: header.messageId, bytes: data.byteLength, peer: `${remote.address}:${remote.port}` });
      try {
        checkRules(msg);
      } catch (e) {
        if (!isResponse && e instanceof ProtocolError) {
          this.#answerError(sa, header.exchange, header.messageId, e.wireCode, e.data);
          // RFC 7296 §2.21.2: an error in IKE_AUTH means the IKE SA is not created; do not keep it half-open.
          if (header.exchange === ExchangeType.IKE_AUTH && sa.state === IkeState.CONNECTING) this.destroyLater(sa, `invalid IKE_AUTH request: ${e.message}`);
        }
        return this.#drop(`${sa.label}: ${e instanceof Error ? e.message : String(e)}`);
      }
      // Authenticated (or, for IKE_SA_INIT, matched) message: follow the peer's address and port (NAT-T, §2.23),
      // but only for a new request or the response we wait for: a retransmitted or replayed message (anyone on the
      // path can resend one from elsewhere) must not move the SA.
      if (header.exchange !== ExchangeType.IKE_SA_INIT) {
        sa.lastInbound = this.svc.clock.now();
        const fresh = isResponse ? manager.busy && header.messageId === manager.nextMid : header.messageId === manager.expectMid;
        if (fresh) {
          if (sa.remote.port !== remote.port || sa.remote.address !== remote.address) sa.remote = { ...remote };
          if (sa.local.port !== local.port) sa.local = { ...local };
        }
      }
      const raw = data;
      if (isResponse) await manager.onResponse(msg, raw);
      else await manager.onRequest(msg, raw);
      this.#afterExchange(sa);
    });
  }

  #drop(why: string): void {
    this.stats.dropped++;
    this.svc.log.debug('NET', `dropped: ${why}`);
  }

  /** Answers a request that could not be processed with an error notify, outside the task flow. */
  #answerError(sa: IkeSa, exchange: number, mid: number, code: number, data?: Uint8Array): void {
    const manager = this.#managers.get(sa)!;
    if (mid !== manager.expectMid) return;
    const msg: IkeMessage = {
      header: { spiI: sa.spiI, spiR: sa.spiR, nextPayload: 0, version: 0x20, exchange, flags: HeaderFlag.RESPONSE | (sa.initiator ? HeaderFlag.INITIATOR : 0), messageId: mid, length: 0 },
      encrypted: true,
      payloads: [notifyPayload(code, data ?? new Uint8Array(0))],
    };
    manager.expectMid++;
    this.sendPackets(sa, [encodeMessage(msg, sa.skOut)]);
  }

  #sendOneShotInformational(sa: IkeSa, code: number): void {
    const manager = this.#managers.get(sa)!;
    const msg: IkeMessage = {
      header: { spiI: sa.spiI, spiR: sa.spiR, nextPayload: 0, version: 0x20, exchange: ExchangeType.INFORMATIONAL, flags: sa.initiator ? HeaderFlag.INITIATOR : 0, messageId: manager.nextMid++, length: 0 },
      encrypted: true,
      payloads: [notifyPayload(code)],
    };
    try {
      this.sendPackets(sa, [encodeMessage(msg, sa.skOut)]);
    } catch {
      /* best effort */
    }
  }

  #cookieFor(ni: Uint8Array, remote: Endpoint, spiI: bigint, version: number): Uint8Array {
    const h = createHash('sha256').update(ni).update(remote.address).update(new Writer(8).u64(spiI).finish()).update(this.#cookieSecret).digest();
    return new Writer(36).u32(version).bytes(h).finish();
  }

  async #onInitRequest(spiI: bigint, data: Uint8Array, local: Endpoint, remote: Endpoint): Promise<void> {
    const key = `${remote.address}|${remote.port}|${spiI}`;
    const entry = this.#initIndex.get(key);
    if (entry && !equal(entry.request, data) && entry.sa.state === IkeState.CONNECTING && !entry.sa.authComplete) {
      // Same SPIi, different request: the initiator started over (after INVALID_KE_PAYLOAD or COOKIE, RFC 7296
      // §1.3, §2.6), possibly before we let go of the SA we refused. The new request replaces the half-open SA.
      this.destroy(entry.sa, 'superseded by a new IKE_SA_INIT from the peer');
    } else if (entry) {
      // A retransmission is answered from the response cache; a different request for an SA past IKE_SA_INIT is
      // dropped by the task manager's message-id check.
      const known = entry.sa;
      const m = this.#managers.get(known);
      if (m) await m.serialize(async () => {
        let msg: IkeMessage;
        try {
          const r = decodeMessage(data);
          if (r.kind !== 'message') return;
          msg = r.message;
        } catch {
          return;
        }
        const before = m.retransmits;
        await m.onRequest(msg, data);
        if (m.retransmits > before) this.stats.retransmitsAnswered++;
      });
      return;
    }
    let msg: IkeMessage;
    try {
      const r = decodeMessage(data);
      if (r.kind !== 'message') return this.#drop('fragmented IKE_SA_INIT');
      msg = r.message;
      checkRules(msg);
    } catch (e) {
      this.stats.parseErrors++;
      // Malformed IKE_SA_INIT requests are not answered: no state, no amplification (RFC 7296 §2.21.1).
      return this.#drop(`IKE_SA_INIT from ${remote.address}: ${e instanceof Error ? e.message : String(e)}`);
    }
    // RFC 7296 §2.6: under load, require a cookie before creating state.
    if (this.#halfOpen.size >= this.#cookieThreshold) {
      const nonce = first(msg, PayloadType.NONCE)?.data ?? new Uint8Array(0);
      const cookie = msg.payloads[0]?.type === PayloadType.NOTIFY && 'notifyType' in msg.payloads[0] && msg.payloads[0].notifyType === NotifyType.COOKIE ? msg.payloads[0].data : undefined;
      const valid = cookie && cookie.byteLength === 36 &&
        [this.#cookieVersion, this.#cookieVersion - 1].some((v) => equal(cookie, this.#cookieFor(nonce, remote, spiI, v)));
      if (!valid) {
        this.stats.cookiesSent++;
        this.#statelessReply(spiI, local, remote, NotifyType.COOKIE, this.#cookieFor(nonce, remote, spiI, this.#cookieVersion));
        return;
      }
    }
    const perPeer = this.#halfOpenPerPeer.get(remote.address) ?? 0;
    if (perPeer >= this.#blockThreshold && this.#halfOpen.size >= this.#cookieThreshold) return this.#drop(`too many half-open SAs from ${remote.address}`);
    if (this.#sas.size >= this.#maxSas) return this.#drop('IKE SA limit reached');
    const conn = this.svc.connections().find((c) => addrMatch(c.localAddrs, local.address) && addrMatch(c.remoteAddrs, remote.address));
    if (!conn) {
      this.#statelessReply(spiI, local, remote, NotifyType.NO_PROPOSAL_CHOSEN);
      return this.#drop(`no connection for ${remote.address} -> ${local.address}`);
    }
    const sa = new IkeSa({ initiator: false, conn, spiI, local: { ...local }, remote: { ...remote }, now: this.svc.clock.now() });
    sa.spiR = this.newSpi();
    sa.state = IkeState.CONNECTING;
    this.#register(sa);
    this.#initIndex.set(key, { sa, request: data.slice() });
    this.#halfOpenAdd(sa);
    this.#addTimer(sa, this.after(this.#halfOpenTimeout, () => {
      if (sa.state === IkeState.CONNECTING) this.destroy(sa, 'half-open timeout');
    }));
    const manager = this.#managers.get(sa)!;
    await manager.serialize(async () => {
      await manager.onRequest(msg, data);
      this.#afterExchange(sa);
    });
  }

  #halfOpenAdd(sa: IkeSa): void {
    if (this.#halfOpen.has(sa)) return;
    this.#halfOpen.add(sa);
    this.#halfOpenPerPeer.set(sa.remote.address, (this.#halfOpenPerPeer.get(sa.remote.address) ?? 0) + 1);
  }

  #halfOpenRemove(sa: IkeSa): void {
    if (!this.#halfOpen.delete(sa)) return;
    const n = (this.#halfOpenPerPeer.get(sa.remote.address) ?? 1) - 1;
    if (n <= 0) this.#halfOpenPerPeer.delete(sa.remote.address);
    else this.#halfOpenPerPeer.set(sa.remote.address, n);
  }

  #statelessReply(spiI: bigint, local: Endpoint, remote: Endpoint, code: number, data?: Uint8Array): void {
    const msg: IkeMessage = {
      header: { spiI, spiR: 0n, nextPayload: 0, version: 0x20, exchange: ExchangeType.IKE_SA_INIT, flags: HeaderFlag.RESPONSE, messageId: 0, length: 0 },
      encrypted: false,
      payloads: [notifyPayload(code, data ?? new Uint8Array(0))],
    };
    this.stats.sent++;
    this.#transport.send(encodeMessage(msg), local, remote);
  }

  #afterExchange(sa: IkeSa): void {
    if (sa.state === IkeState.CONNECTING && sa.authComplete) this.#established(sa);
    const m = this.#managers.get(sa);
    if (m && !m.busy && m.queued && sa.state !== IkeState.DESTROYED) void m.serialize(() => m.initiate());
  }

  #established(sa: IkeSa): void {
    sa.state = IkeState.ESTABLISHED;
    sa.establishedAt = this.svc.clock.now();
    this.#halfOpenRemove(sa);
    this.svc.log.info('IKE', `${sa.label} established`, {
      spis: `${spiHex(sa.spiI)}_i ${spiHex(sa.spiR)}_r`,
      suite: formatSuite(sa.suite!, 'ike'),
      peer: `${sa.remote.address}:${sa.remote.port}`,
      ids: sa.peerAuth.map((a) => idToString(a.id)).join(','),
    });
    publish('ike:sa:established', { spi: spiHex(sa.spiLocal), peer: sa.remote.address, name: sa.conn.name });
    this.#scheduleIke(sa);
    for (const w of this.#waiters.get(sa) ?? []) w.resolve(sa);
    this.#waiters.delete(sa);
  }

  #scheduleIke(sa: IkeSa): void {
    if (sa.conn.rekeyTime > 0) {
      const jitter = Math.floor(sa.conn.rekeyTime * 0.1 * (this.svc.rng(1)[0]! / 255));
      this.#addTimer(sa, this.after(sa.conn.rekeyTime - jitter, () => {
        if (sa.state === IkeState.ESTABLISHED) this.rekeyIke(sa);
      }));
    }
    if (sa.conn.dpdDelay > 0) this.#scheduleDpd(sa);
  }

  #scheduleDpd(sa: IkeSa): void {
    this.#addTimer(sa, this.after(sa.conn.dpdDelay, () => {
      if (sa.state !== IkeState.ESTABLISHED) return;
      const idle = this.svc.clock.now() - sa.lastInbound;
      const m = this.#managers.get(sa);
      if (idle >= sa.conn.dpdDelay && m && !m.busy) this.#queueAndRun(sa, [new DpdInitiator()]);
      this.#scheduleDpd(sa);
    }));
  }

  // ---------------------------------------------------------------- bookkeeping

  #register(sa: IkeSa): void {
    this.#sas.set(sa.spiLocal, sa);
    this.#managers.set(sa, new TaskManager(sa, this));
  }

  #addTimer(owner: object, t: Timer): void {
    const list = this.#timers.get(owner);
    if (list) list.push(t);
    else this.#timers.set(owner, [t]);
  }

  #cancelTimers(owner: object): void {
    for (const t of this.#timers.get(owner) ?? []) t.cancel();
    this.#timers.delete(owner);
  }

  #findChildBySpi(spiIn: number): { sa: IkeSa; child: ChildSa } | undefined {
    for (const sa of this.#sas.values()) {
      const child = sa.children.find((c) => c.spiIn === spiIn);
      if (child) return { sa, child };
    }
    return undefined;
  }

  #queueAndRun(sa: IkeSa, group: Task[]): void {
    const m = this.#managers.get(sa);
    if (!m || sa.state === IkeState.DESTROYED) return;
    m.queue(group);
    void m.serialize(() => m.initiate());
  }

  /** Tears an IKE SA down locally: children out of the data plane, keys wiped, timers cancelled. */
  destroy(sa: IkeSa, reason: string): void {
    if (sa.state === IkeState.DESTROYED) return;
    const wasEstablished = sa.establishedAt > 0;
    sa.state = IkeState.DESTROYED;
    this.#halfOpenRemove(sa);
    this.#managers.get(sa)?.abort(reason);
    this.#cancelTimers(sa);
    for (const c of sa.children.splice(0)) {
      c.state = ChildState.DESTROYED;
      c.wipeKeys();
      this.#cancelTimers(c);
      this.#childOwner.delete(c);
      void this.svc.dataplane.removeSa(c.spiIn);
      publish('ike:child:deleted', { name: c.config.name, spiIn: c.spiIn });
    }
    sa.wipeKeys();
    this.#sas.delete(sa.spiLocal);
    this.#managers.delete(sa);
    this.#reassemblers.delete(sa);
    for (const [k, v] of this.#initIndex) if (v.sa === sa) this.#initIndex.delete(k);
    this.svc.log.info('IKE', `${sa.label} destroyed: ${reason}`);
    publish('ike:sa:deleted', { spi: spiHex(sa.spiLocal), peer: sa.remote.address, reason });
    for (const w of this.#waiters.get(sa) ?? []) w.reject(new StateError(`${sa.label} ${wasEstablished ? 'deleted' : 'failed'}: ${reason}`));
    this.#waiters.delete(sa);
  }

  // ---------------------------------------------------------------- operations

  #connection(name: string): IkeConnection {
    const conn = this.svc.connections().find((c) => c.name === name);
    if (!conn) throw new StateError(`no connection named ${name}`);
    return conn;
  }

  /**
   * Starts a connection: IKE_SA_INIT, IKE_AUTH with the first child (all children with `start_action = start`,
   * or the named ones), further children in CREATE_CHILD_SA. Resolves when the IKE SA is established.
   */
  initiate(name: string, opts: { children?: string[]; local?: Endpoint; remote?: Endpoint } = {}): Promise<IkeSa> {
    const conn = this.#connection(name);
    const remoteAddr = opts.remote?.address ?? conn.remoteAddrs.find((a) => !isAny(a) && !a.includes('/'));
    if (!remoteAddr) return Promise.reject(new StateError(`connection ${name} has no concrete remote address to initiate to`));
    const localAddr = opts.local?.address ?? conn.localAddrs.find((a) => !isAny(a) && !a.includes('/')) ?? '0.0.0.0';
    const sa = new IkeSa({
      initiator: true,
      conn,
      spiI: this.newSpi(),
      local: opts.local ?? { address: localAddr, port: conn.localPort },
      remote: opts.remote ?? { address: remoteAddr, port: conn.remotePort },
      now: this.svc.clock.now(),
    });
    sa.state = IkeState.CONNECTING;
    this.#register(sa);
    const children: ChildConfig[] = opts.children
      ? opts.children.map((n) => {
          const c = conn.children.find((x) => x.name === n);
          if (!c) throw new StateError(`connection ${name} has no child ${n}`);
          return c;
        })
      : conn.children.filter((c) => c.startAction === 'start').concat().slice(0, Infinity);
    const list = children.length ? children : conn.children.slice(0, 1);
    const m = this.#managers.get(sa)!;
    m.queue([new IkeInitInitiator()]);
    const authGroup: Task[] = [new IkeAuthInitiator()];
    if (list[0]) authGroup.push(new ChildCreateInitiator(list[0], ExchangeType.IKE_AUTH));
    m.queue(authGroup);
    for (const c of list.slice(1)) m.queue([new ChildCreateInitiator(c, ExchangeType.CREATE_CHILD_SA)]);
    const done = new Promise<IkeSa>((resolve, reject) => {
      this.#waiters.set(sa, [{ resolve, reject }]);
    });
    void m.serialize(() => m.initiate());
    return done;
  }

  /** Creates another CHILD_SA on an established IKE SA. */
  createChild(sa: IkeSa, childName: string): void {
    const cfg = sa.conn.children.find((c) => c.name === childName);
    if (!cfg) throw new StateError(`no child ${childName} in ${sa.conn.name}`);
    this.#queueAndRun(sa, [new ChildCreateInitiator(cfg, ExchangeType.CREATE_CHILD_SA)]);
  }

  /** Deletes an IKE SA with an INFORMATIONAL exchange; resolves when done. */
  terminate(sa: IkeSa, reason = 'terminated'): Promise<void> {
    return new Promise((resolve) => {
      if (sa.state === IkeState.DESTROYED) return resolve();
      const prev = this.#waiters.get(sa) ?? [];
      prev.push({ resolve: () => {}, reject: () => resolve() });
      this.#waiters.set(sa, prev);
      this.#queueAndRun(sa, [new IkeDeleteInitiator(reason)]);
    });
  }

  rekeyChild(sa: IkeSa, child: ChildSa): void {
    if (child.state !== ChildState.INSTALLED) return;
    child.state = ChildState.REKEYING;
    const task = new ChildCreateInitiator(child.config, ExchangeType.CREATE_CHILD_SA, child);
    task.onDone = (ok) => {
      if (ok) {
        child.state = ChildState.REKEYED;
        const owner = this.#childOwner.get(child) ?? sa;
        this.#queueAndRun(owner, [new ChildDeleteInitiator(child)]);
      } else if (child.state === ChildState.REKEYING) {
        child.state = ChildState.INSTALLED;
      }
    };
    this.#queueAndRun(sa, [task]);
  }

  deleteChild(sa: IkeSa, child: ChildSa): void {
    this.#queueAndRun(sa, [new ChildDeleteInitiator(child)]);
  }

  rekeyIke(sa: IkeSa): void {
    if (sa.state !== IkeState.ESTABLISHED) return;
    this.#queueAndRun(sa, [new IkeRekeyInitiator()]);
  }

  /** Sends a liveness check now. */
  dpd(sa: IkeSa): void {
    this.#queueAndRun(sa, [new DpdInitiator()]);
  }

  /**
   * Waits until the SA's queued and in-flight exchanges are done (for tests and orderly shutdown): for 1000
   * event-loop turns (in-memory peers), then, when `timeoutMs` is given, polling every 5 ms of real time until that
   * much has passed (peers over a real network answer in milliseconds, not turns).
   */
  async idle(sa: IkeSa, timeoutMs = 0): Promise<void> {
    const isIdle = () => {
      const m = this.#managers.get(sa);
      return !m || (!m.busy && !m.queued);
    };
    for (let i = 0; i < 1000; i++) {
      if (isIdle()) return;
      await new Promise((r) => setImmediate(r));
    }
    const deadline = Date.now() + timeoutMs;
    while (!isIdle() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  }

  get sas(): IkeSa[] {
    return [...this.#sas.values()];
  }

  find(pred: (sa: IkeSa) => boolean): IkeSa | undefined {
    return this.sas.find(pred);
  }

  get halfOpenCount(): number {
    return this.#halfOpen.size;
  }

  list(): SaInfo[] {
    return this.sas.map((sa) => ({
      id: sa.id,
      name: sa.conn.name,
      state: sa.state,
      initiator: sa.initiator,
      spiI: spiHex(sa.spiI),
      spiR: spiHex(sa.spiR),
      local: `${sa.local.address}[${sa.local.port}]`,
      remote: `${sa.remote.address}[${sa.remote.port}]`,
      suite: sa.suite ? formatSuite(sa.suite, 'ike') : '',
      nat: sa.encap,
      localIds: sa.localIds.map(idToString),
      peerIds: sa.peerAuth.map((a) => idToString(a.id)),
      authorization: sa.authorization ? { decision: sa.authorization.decision, reasons: sa.authorization.reasons } : undefined,
      establishedAt: sa.establishedAt,
      notes: [...sa.notes],
      children: sa.children.map((c) => ({
        name: c.config.name,
        id: c.id,
        state: c.state,
        mode: c.mode,
        spiIn: c.spiIn.toString(16).padStart(8, '0'),
        spiOut: c.spiOut.toString(16).padStart(8, '0'),
        suite: c.suite ? formatSuite(c.suite, 'esp') : '',
        localTs: c.localTs.map(tsToString),
        remoteTs: c.remoteTs.map(tsToString),
        installedAt: c.installedAt,
      })),
    }));
  }

  /** Deletes every SA (with INFORMATIONAL DELETE when `graceful`), then stops. */
  async close(graceful = true): Promise<void> {
    if (graceful) {
      await Promise.race([
        Promise.all(this.sas.filter((s) => s.state === IkeState.ESTABLISHED).map((s) => this.terminate(s, 'shutdown'))),
        new Promise((r) => setTimeout(r, 3000)),
      ]);
    }
    for (const sa of this.sas) this.destroy(sa, 'shutdown');
    this.#closed = true;
  }

  /** For tests: rotate the cookie secret (old cookies stay valid for one version). */
  rotateCookieSecret(): void {
    this.#cookieSecret = randomBytes(32);
    this.#cookieVersion++;
  }
}
