/**
 * Drives the exchanges of one IKE SA (RFC 7296 §2.1–§2.3): message ids with a window of one, retransmission of
 * requests with exponential backoff, answering retransmitted requests from the response cache, ignoring replayed
 * and out-of-window messages, and IKE fragmentation (RFC 7383) on the way out.
 */
import type { Timer } from '../../common/clock.ts';
import { ProtocolError, StateError, TimeoutError } from '../../common/errors.ts';
import { publish } from '../../common/diag.ts';
import {
  ExchangeType,
  ExchangeTypeNames,
  HeaderFlag,
  NotifyType,
  type IkeMessage,
  type Payload,
} from '../payloads/types.ts';
import { encodeFragments, encodeMessage, IKE_VERSION, sortPayloads } from '../message/index.ts';
import type { Task, TaskContext } from '../tasks/task.ts';
import { notifyPayload } from '../tasks/task.ts';
import { IkeState, type IkeSa } from './ike-sa.ts';
import { nameOf } from '../../common/names.ts';

export interface RetransmitPolicy {
  /** First timeout in ms (charon: 4 s). */
  timeout: number;
  /** Backoff base (charon: 1.8). */
  base: number;
  /** Retransmissions before giving up (charon: 5). */
  tries: number;
}

export const defaultRetransmit: RetransmitPolicy = { timeout: 4000, base: 1.8, tries: 5 };

/** What the task manager needs from the engine. */
export interface TaskManagerHost {
  context(sa: IkeSa, raw?: Uint8Array): TaskContext;
  sendPackets(sa: IkeSa, packets: Uint8Array[]): void;
  /** Responder tasks for a new request. */
  responderTasks(sa: IkeSa, msg: IkeMessage): Task[];
  /** An exchange we initiated failed (error notify, exception, timeout). */
  exchangeFailed(sa: IkeSa, exchange: number, error: unknown): void;
  /** An exchange we answered failed with an error answer; the engine decides whether the SA dies. */
  requestFailed(sa: IkeSa, exchange: number, error: unknown): void;
  after(ms: number, fn: () => void): Timer;
  readonly retransmit: RetransmitPolicy;
}

interface Active {
  tasks: Task[];
  exchange: number;
  mid: number;
  packets: Uint8Array[];
  tries: number;
  timer: Timer | undefined;
}

export class TaskManager {
  readonly sa: IkeSa;
  readonly #host: TaskManagerHost;
  readonly #queue: Task[][] = [];
  #active: Active | undefined;
  /** Responder tasks that span several exchanges of one type (IKE_AUTH rounds). */
  #passive: { exchange: number; tasks: Task[] } | undefined;
  /** Next message id for our requests, and the next one we expect from the peer. */
  nextMid = 0;
  expectMid = 0;
  #lastResponse: { mid: number; packets: Uint8Array[] } | undefined;
  /** Serializes processing of everything that touches this SA. */
  #chain: Promise<void> = Promise.resolve();
  retransmits = 0;

  constructor(sa: IkeSa, host: TaskManagerHost) {
    this.sa = sa;
    this.#host = host;
  }

  /** Runs fn after everything queued on this SA so far. */
  serialize(fn: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(fn, fn);
    this.#chain = next.catch(() => {});
    return next;
  }

  get busy(): boolean {
    return this.#active !== undefined;
  }

  get queued(): number {
    return this.#queue.length;
  }

  queue(group: Task[]): void {
    this.#queue.push(group);
  }

  /** Starts the next queued exchange if none is in flight. */
  async initiate(): Promise<void> {
    if (this.#active || this.sa.state === IkeState.DESTROYED) return;
    const group = this.#queue.shift();
    if (!group) return;
    await this.#request(group);
  }

  async #request(group: Task[]): Promise<void> {
    const exchange = group[0]!.exchange;
    const ctx = this.#host.context(this.sa);
    const out: Payload[] = [];
    try {
      for (const t of group) await t.build(ctx, out);
    } catch (e) {
      for (const t of group) t.failed?.(ctx, String(e));
      this.#host.exchangeFailed(this.sa, exchange, e);
      return;
    }
    const msg: IkeMessage = {
      header: {
        spiI: this.sa.spiI,
        spiR: exchange === ExchangeType.IKE_SA_INIT ? 0n : this.sa.spiR,
        nextPayload: 0,
        version: IKE_VERSION,
        exchange,
        flags: this.sa.initiator ? HeaderFlag.INITIATOR : 0,
        messageId: this.nextMid,
        length: 0,
      },
      encrypted: exchange !== ExchangeType.IKE_SA_INIT,
      payloads: sortPayloads(exchange, false, out),
    };
    const packets = this.#encode(msg);
    if (exchange === ExchangeType.IKE_SA_INIT) this.sa.initRequest = packets[0]!;
    this.#active = { tasks: group, exchange, mid: this.nextMid, packets, tries: 0, timer: undefined };
    this.#send(packets, msg);
    this.#arm();
  }

  #encode(msg: IkeMessage): Uint8Array[] {
    const conn = this.sa.conn;
    if (!msg.encrypted) return [encodeMessage(msg)];
    const fragment =
      conn.fragmentation !== 'no' &&
      (this.sa.peer.fragmentation || conn.fragmentation === 'force') &&
      msg.header.exchange !== ExchangeType.IKE_SA_INIT;
    if (!fragment) return [encodeMessage(msg, this.sa.skOut)];
    if (!this.sa.skOut) throw new StateError('an encrypted message needs the SK keys of its IKE SA');
    // One message when it fits in fragmentSize (with `force` too), else SKF fragments.
    return encodeFragments(msg, this.sa.skOut, conn.fragmentSize);
  }

  #send(packets: Uint8Array[], msg: IkeMessage): void {
    const bytes = packets.reduce((n, p) => n + p.byteLength, 0);
    publish('ike:message', {
      dir: 'out',
      exchange: nameOf(ExchangeTypeNames, msg.header.exchange),
      mid: msg.header.messageId,
      bytes,
      peer: `${this.sa.remote.address}:${this.sa.remote.port}`,
    });
    this.#host.sendPackets(this.sa, packets);
  }

  #arm(): void {
    const a = this.#active;
    if (!a) return;
    const p = this.#host.retransmit;
    const delay = p.timeout * p.base ** a.tries;
    a.timer = this.#host.after(delay, () => {
      void this.serialize(async () => {
        if (this.#active !== a) return;
        if (a.tries >= p.tries) {
          this.#active = undefined;
          const ctx = this.#host.context(this.sa);
          for (const t of a.tasks) t.failed?.(ctx, 'timeout');
          this.#host.exchangeFailed(
            this.sa,
            a.exchange,
            new TimeoutError(`no response to ${nameOf(ExchangeTypeNames, a.exchange)} after ${a.tries} retransmits`),
          );
          return;
        }
        a.tries++;
        this.retransmits++;
        this.#host.sendPackets(this.sa, a.packets);
        this.#arm();
      });
    });
  }

  /** Cancels timers and forgets pending work (SA destroyed). */
  abort(reason: string): void {
    const a = this.#active;
    this.#active = undefined;
    a?.timer?.cancel();
    const ctx = this.#host.context(this.sa);
    for (const t of a?.tasks ?? []) t.failed?.(ctx, reason);
    for (const g of this.#queue.splice(0)) for (const t of g) t.failed?.(ctx, reason);
  }

  /** A response to our request. */
  async onResponse(msg: IkeMessage, raw: Uint8Array): Promise<void> {
    const a = this.#active;
    if (!a || msg.header.messageId !== a.mid || msg.header.exchange !== a.exchange) return; // stale or unexpected
    a.timer?.cancel();
    this.#active = undefined;
    if (a.exchange === ExchangeType.IKE_SA_INIT) this.sa.initResponse = raw;
    const ctx = this.#host.context(this.sa, raw);
    const again: Task[] = [];
    try {
      for (const t of a.tasks) if ((await t.process(ctx, msg)) === 'again') again.push(t);
    } catch (e) {
      for (const t of a.tasks) t.failed?.(ctx, String(e));
      if (a.exchange !== ExchangeType.IKE_SA_INIT) this.nextMid++;
      this.#host.exchangeFailed(this.sa, a.exchange, e);
      return;
    }
    // IKE_SA_INIT retries (COOKIE, INVALID_KE) reuse message id 0 with a fresh responder SPI.
    if (a.exchange === ExchangeType.IKE_SA_INIT && again.length) {
      this.sa.spiR = 0n;
    } else {
      this.nextMid++;
    }
    if (again.length) await this.#request(again);
    else await this.initiate();
  }

  /** A request from the peer. */
  async onRequest(msg: IkeMessage, raw: Uint8Array): Promise<void> {
    const mid = msg.header.messageId;
    if (this.#lastResponse && mid === this.#lastResponse.mid) {
      // Retransmitted request: answer from the cache (RFC 7296 §2.1).
      this.retransmits++;
      this.#host.sendPackets(this.sa, this.#lastResponse.packets);
      return;
    }
    if (mid !== this.expectMid) return; // old or out of window: ignore
    const exchange = msg.header.exchange;
    if (exchange === ExchangeType.IKE_SA_INIT) this.sa.initRequest = raw;
    const ctx = this.#host.context(this.sa, raw);
    let tasks = this.#passive?.exchange === exchange ? this.#passive.tasks : undefined;
    this.#passive = undefined;
    let out: Payload[] = [];
    let failure: unknown;
    const stay: Task[] = [];
    try {
      tasks ??= this.#host.responderTasks(this.sa, msg);
      for (const t of tasks) await t.process(ctx, msg);
      for (const t of tasks) if ((await t.build(ctx, out)) === 'again') stay.push(t);
    } catch (e) {
      failure = e;
      const code = e instanceof ProtocolError && e.protocol === 'IKE' ? e.wireCode : errorCodeFor(exchange);
      out = [notifyPayload(code, e instanceof ProtocolError && e.data ? e.data : new Uint8Array(0))];
      for (const t of tasks ?? []) t.failed?.(ctx, String(e));
    }
    if (stay.length && !failure) this.#passive = { exchange, tasks: stay };
    const response: IkeMessage = {
      header: {
        spiI: this.sa.spiI,
        spiR: this.sa.spiR,
        nextPayload: 0,
        version: IKE_VERSION,
        exchange,
        flags: HeaderFlag.RESPONSE | (this.sa.initiator ? HeaderFlag.INITIATOR : 0),
        messageId: mid,
        length: 0,
      },
      encrypted: exchange !== ExchangeType.IKE_SA_INIT,
      payloads: sortPayloads(exchange, true, out),
    };
    const packets = this.#encode(response);
    if (exchange === ExchangeType.IKE_SA_INIT) this.sa.initResponse = packets[0]!;
    this.#lastResponse = { mid, packets };
    this.expectMid++;
    this.#send(packets, response);
    if (failure !== undefined) this.#host.requestFailed(this.sa, exchange, failure);
  }
}

function errorCodeFor(exchange: number): number {
  // Unexpected local errors: in IKE_AUTH the peer must not get an SA, elsewhere the request is simply refused.
  return exchange === ExchangeType.IKE_AUTH
    ? NotifyType.AUTHENTICATION_FAILED
    : exchange === ExchangeType.CREATE_CHILD_SA
      ? NotifyType.NO_PROPOSAL_CHOSEN
      : NotifyType.INVALID_SYNTAX;
}
