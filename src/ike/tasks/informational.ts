/**
 * INFORMATIONAL exchanges (RFC 7296 §1.4): deleting the IKE SA or CHILD_SAs, and liveness checks (an empty
 * INFORMATIONAL request, §2.4).
 *
 *   HDR, SK {D(IKE)}         -->  <--  HDR, SK {}
 *   HDR, SK {D(ESP, spi_i)}  -->  <--  HDR, SK {D(ESP, spi_r)}
 *   HDR, SK {}               -->  <--  HDR, SK {}
 */
import { all, notify } from '../message/index.ts';
import { ExchangeType, NotifyType, PayloadType, ProtocolId, type IkeMessage, type Payload } from '../payloads/types.ts';
import { ChildState, type ChildSa } from '../sa/child-sa.ts';
import { IkeState } from '../sa/ike-sa.ts';
import { readU32, u32, type Task, type TaskContext, type TaskStatus } from './task.ts';

export class IkeDeleteInitiator implements Task {
  readonly name = 'ike-delete';
  readonly exchange = ExchangeType.INFORMATIONAL;
  readonly reason: string;
  constructor(reason = 'deleted') {
    this.reason = reason;
  }
  build(ctx: TaskContext, out: Payload[]): void {
    ctx.sa.state = IkeState.DELETING;
    out.push({ type: PayloadType.DELETE, protocol: ProtocolId.IKE, spis: [] });
  }
  process(ctx: TaskContext): TaskStatus {
    ctx.engine.destroyLater(ctx.sa, this.reason);
    return 'done';
  }
  failed(ctx: TaskContext): void {
    ctx.engine.destroyLater(ctx.sa, this.reason);
  }
}

export class ChildDeleteInitiator implements Task {
  readonly name = 'child-delete';
  readonly exchange = ExchangeType.INFORMATIONAL;
  readonly child: ChildSa;
  constructor(child: ChildSa) {
    this.child = child;
  }
  build(_ctx: TaskContext, out: Payload[]): void {
    this.child.state = ChildState.DELETING;
    out.push({ type: PayloadType.DELETE, protocol: ProtocolId.ESP, spis: [u32(this.child.spiIn)] });
  }
  async process(ctx: TaskContext): Promise<TaskStatus> {
    await removeChild(ctx, this.child);
    return 'done';
  }
  async failed(ctx: TaskContext): Promise<void> {
    await removeChild(ctx, this.child);
  }
}

/** A liveness check: an empty INFORMATIONAL request. */
export class DpdInitiator implements Task {
  readonly name = 'dpd';
  readonly exchange = ExchangeType.INFORMATIONAL;
  build(): void {}
  process(): TaskStatus {
    return 'done';
  }
}

export async function removeChild(ctx: TaskContext, child: ChildSa): Promise<void> {
  const { sa, svc } = ctx;
  if (child.state === ChildState.DESTROYED) return;
  child.state = ChildState.DESTROYED;
  child.wipeKeys();
  await svc.dataplane.removeSa(child.spiIn);
  const i = sa.children.indexOf(child);
  if (i >= 0) sa.children.splice(i, 1);
  ctx.engine.childRemoved(sa, child);
  svc.log.info('IKE', `${sa.label} CHILD_SA ${child.config.name}{${child.id}} deleted`);
}

/** Responder side of every INFORMATIONAL request. */
export class InformationalResponder implements Task {
  readonly name = 'informational';
  readonly exchange = ExchangeType.INFORMATIONAL;
  #deleteIke = false;
  #deleted: ChildSa[] = [];

  async process(ctx: TaskContext, msg: IkeMessage): Promise<void> {
    const { sa, svc } = ctx;
    for (const d of all(msg, PayloadType.DELETE)) {
      if (d.protocol === ProtocolId.IKE) {
        this.#deleteIke = true;
        continue;
      }
      if (d.protocol !== ProtocolId.ESP && d.protocol !== ProtocolId.AH) continue;
      for (const spi of d.spis) {
        if (spi.byteLength !== 4) continue;
        const outbound = readU32(spi);
        const child = sa.children.find((c) => c.spiOut === outbound);
        if (child) this.#deleted.push(child);
        else svc.log.debug('IKE', `${sa.label} DELETE for unknown CHILD_SA ${outbound.toString(16)}`);
      }
    }
    if (notify(msg, NotifyType.AUTHENTICATION_FAILED)) {
      svc.log.error('IKE', `${sa.label} peer reports AUTHENTICATION_FAILED`);
      this.#deleteIke = true;
    }
  }

  async build(ctx: TaskContext, out: Payload[]): Promise<TaskStatus> {
    const { sa } = ctx;
    if (this.#deleteIke) {
      sa.state = IkeState.DELETING;
      ctx.engine.destroyLater(sa, 'deleted by peer');
      return 'done';
    }
    if (this.#deleted.length) {
      // Answer with our inbound SPIs of the same CHILD_SAs (RFC 7296 §1.4.1), unless we are deleting them ourselves.
      const ours = this.#deleted.filter((c) => c.state !== ChildState.DELETING);
      if (ours.length) out.push({ type: PayloadType.DELETE, protocol: ProtocolId.ESP, spis: ours.map((c) => u32(c.spiIn)) });
      for (const c of this.#deleted) await removeChild(ctx, c);
    }
    return 'done';
  }
}
