/**
 * IKE SA rekeying with CREATE_CHILD_SA (RFC 7296 §1.3.2, §2.18): a new IKE SA with fresh SPIs, nonces and a fresh
 * key exchange; SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr). CHILD_SAs move to the new SA, and the rekey
 * initiator deletes the old one.
 *
 *   HDR, SK {SA (IKE, new SPIi), Ni, KEi}  -->  <--  HDR, SK {SA (IKE, new SPIr), Nr, KEr}
 */
import { Reader, Writer } from '../../common/bytes.ts';
import { ProtocolError } from '../../common/errors.ts';
import { createKeyExchange, deriveRekeyedIkeKeys, type SelectedProposal } from '../../crypto/index.ts';
import type { KeyExchange, Suite, Transform } from '../../crypto/types.ts';
import { errorNotify, first } from '../message/index.ts';
import { ExchangeType, NotifyType, PayloadType, ProtocolId, type IkeMessage, type Payload } from '../payloads/types.ts';
import { IkeSa, IkeState } from '../sa/ike-sa.ts';
import { proposalsFor } from './ike-init.ts';
import { acceptedProposal, chooseProposal, u16, type Task, type TaskContext, type TaskStatus } from './task.ts';

const NONCE_SIZE = 32;

const spiBytes = (spi: bigint) => new Writer(8).u64(spi).finish();
const spiValue = (b: Uint8Array) => new Reader(b, 'spi').u64('spi');

/** The new SA inherits everything but keys, SPIs and message ids from the old one. */
function successor(
  ctx: TaskContext,
  initiator: boolean,
  spiI: bigint,
  spiR: bigint,
  suite: Suite,
  ni: Uint8Array,
  nr: Uint8Array,
  secret: Uint8Array,
): IkeSa {
  const { sa: old, svc } = ctx;
  const fresh = new IkeSa({
    initiator,
    conn: old.conn,
    spiI,
    local: { ...old.local },
    remote: { ...old.remote },
    now: svc.clock.now(),
  });
  fresh.spiR = spiR;
  fresh.ni = ni;
  fresh.nr = nr;
  const { keys } = deriveRekeyedIkeKeys({
    suite,
    prfOld: old.suite!.prf!,
    skDOld: old.skD!,
    sharedSecret: secret,
    ni,
    nr,
    spiI,
    spiR,
  });
  fresh.setKeys(suite, keys, svc.rng);
  fresh.natHere = old.natHere;
  fresh.natThere = old.natThere;
  fresh.peer = { ...old.peer };
  fresh.localIds = old.localIds;
  fresh.peerAuth = old.peerAuth;
  fresh.peerId = old.peerId;
  fresh.authComplete = true;
  fresh.authorization = old.authorization;
  fresh.rekeyOf = old.id;
  fresh.state = IkeState.ESTABLISHED;
  fresh.establishedAt = svc.clock.now();
  fresh.lastInbound = svc.clock.now();
  return fresh;
}

export class IkeRekeyInitiator implements Task {
  readonly name = 'ike-rekey';
  readonly exchange = ExchangeType.CREATE_CHILD_SA;
  #spi = 0n;
  #ni: Uint8Array = new Uint8Array(0);
  #ke: KeyExchange | undefined;
  #offered: Transform[][] = [];

  build(ctx: TaskContext, out: Payload[]): void {
    const { sa, svc } = ctx;
    sa.state = IkeState.REKEYING;
    this.#spi = ctx.engine.newSpi();
    this.#ni = svc.rng(NONCE_SIZE);
    const group = sa.suite!.ke!;
    this.#ke = createKeyExchange(group, svc.rng);
    this.#offered = sa.conn.proposals;
    out.push({
      type: PayloadType.SA,
      proposals: proposalsFor(this.#offered, ProtocolId.IKE, spiBytes(this.#spi), group),
    });
    out.push({ type: PayloadType.NONCE, data: this.#ni });
    out.push({ type: PayloadType.KE, group, data: this.#ke.publicValue() });
  }

  process(ctx: TaskContext, msg: IkeMessage): TaskStatus {
    const { sa, svc } = ctx;
    try {
      const err = errorNotify(msg);
      if (err) throw new ProtocolError('IKE', err.notifyType, 'IKE_SA rekey refused by peer');
      const saP = first(msg, PayloadType.SA);
      const nonce = first(msg, PayloadType.NONCE);
      const ke = first(msg, PayloadType.KE);
      if (!saP || !nonce || !ke)
        throw new ProtocolError('IKE', NotifyType.INVALID_SYNTAX, 'rekey response lacks SA, Nr or KE');
      const { chosen, spi } = acceptedProposal(saP, this.#offered, 8, 'IKE_SA rekey response');
      if (ke.group !== this.#ke!.method || chosen.suite.ke !== ke.group)
        throw new ProtocolError('IKE', NotifyType.INVALID_KE_PAYLOAD, 'KE group mismatch');
      this.#ke!.receive(ke.data);
      const fresh = successor(
        ctx,
        true,
        this.#spi,
        spiValue(spi),
        chosen.suite,
        this.#ni,
        nonce.data.slice(),
        this.#ke!.sharedSecret(),
      );
      ctx.engine.adoptRekeyed(sa, fresh);
      svc.log.info('IKE', `${sa.label} rekeyed as ${fresh.label}`);
    } catch (e) {
      sa.state = IkeState.ESTABLISHED;
      svc.log.error('IKE', `${sa.label} IKE_SA rekey failed: ${e instanceof Error ? e.message : String(e)}`);
      if (!(e instanceof ProtocolError)) throw e;
    } finally {
      this.#ke?.dispose();
    }
    return 'done';
  }

  failed(ctx: TaskContext): void {
    this.#ke?.dispose();
    if (ctx.sa.state === IkeState.REKEYING) ctx.sa.state = IkeState.ESTABLISHED;
  }
}

export class IkeRekeyResponder implements Task {
  readonly name = 'ike-rekey';
  readonly exchange = ExchangeType.CREATE_CHILD_SA;
  #chosen: SelectedProposal | undefined;
  #peerSpi = 0n;
  #ni: Uint8Array = new Uint8Array(0);
  #ke: KeyExchange | undefined;

  process(ctx: TaskContext, msg: IkeMessage): void {
    const { sa, svc } = ctx;
    const saP = first(msg, PayloadType.SA)!;
    const nonce = first(msg, PayloadType.NONCE);
    const ke = first(msg, PayloadType.KE);
    if (!nonce || !ke) throw new ProtocolError('IKE', NotifyType.INVALID_SYNTAX, 'IKE rekey request lacks Ni or KE');
    const { chosen, spi: peerSpi } = chooseProposal(
      saP,
      sa.conn.proposals,
      ProtocolId.IKE,
      8,
      'IKE proposal for rekey',
    );
    if (chosen.suite.ke !== ke.group) {
      throw new ProtocolError('IKE', NotifyType.INVALID_KE_PAYLOAD, 'KE group mismatch', u16(chosen.suite.ke ?? 0));
    }
    this.#chosen = chosen;
    this.#peerSpi = spiValue(peerSpi);
    this.#ni = nonce.data.slice();
    this.#ke = createKeyExchange(ke.group, svc.rng);
    this.#ke.receive(ke.data);
  }

  build(ctx: TaskContext, out: Payload[]): TaskStatus {
    const { sa, svc } = ctx;
    const chosen = this.#chosen!;
    const spi = ctx.engine.newSpi();
    const nr = svc.rng(NONCE_SIZE);
    out.push({
      type: PayloadType.SA,
      proposals: [{ num: chosen.num, protocol: ProtocolId.IKE, spi: spiBytes(spi), transforms: chosen.transforms }],
    });
    out.push({ type: PayloadType.NONCE, data: nr });
    out.push({ type: PayloadType.KE, group: this.#ke!.method, data: this.#ke!.publicValue() });
    const fresh = successor(ctx, false, this.#peerSpi, spi, chosen.suite, this.#ni, nr, this.#ke!.sharedSecret());
    this.#ke!.dispose(); // wipes the shared secret
    ctx.engine.adoptRekeyed(sa, fresh);
    svc.log.info('IKE', `${sa.label} rekeyed by peer as ${fresh.label}`);
    return 'done';
  }

  failed(): void {
    this.#ke?.dispose();
  }
}
