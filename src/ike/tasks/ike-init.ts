/**
 * IKE_SA_INIT (RFC 7296 §1.2, §2.6 cookies, §1.3 INVALID_KE_PAYLOAD, §2.23 NAT detection, RFC 7383 fragmentation
 * support, RFC 7427 signature hash algorithms, RFC 4739 multiple authentication support).
 *
 *   Initiator                         Responder
 *   HDR, [N(COOKIE)], SAi1, KEi, Ni,
 *        N(NAT_D)*, N(...)       -->
 *                                <--  HDR, SAr1, KEr, Nr, [CERTREQ], N(NAT_D)*, N(...)
 *                                <--  HDR, N(COOKIE)              (retry with the cookie first)
 *                                <--  HDR, N(INVALID_KE_PAYLOAD)  (retry with the group named)
 */
import { ProtocolError } from '../../common/errors.ts';
import type { Rng } from '../../common/rng.ts';
import { createKeyExchange, deriveIkeKeys, type SelectedProposal } from '../../crypto/index.ts';
import { TransformType, type KeyExchange, type Suite, type Transform } from '../../crypto/types.ts';
import { keyIdSha1 } from '../auth/certs.ts';
import { ourSignatureHashes } from '../auth/authenticator.ts';
import { errorNotify, first, notify, all } from '../message/index.ts';
import {
  CertEncoding,
  ExchangeType,
  NotifyType,
  PayloadType,
  ProtocolId,
  type IkeMessage,
  type Payload,
  type Proposal,
} from '../payloads/types.ts';
import type { IkeSa } from '../sa/ike-sa.ts';
import { detectNat, natNotifies } from './nat.ts';
import {
  acceptedProposal,
  chooseProposal,
  notifyPayload,
  readU16,
  u16,
  type Task,
  type TaskContext,
  type TaskStatus,
} from './task.ts';
import { concat } from '../../common/bytes.ts';

const NONCE_SIZE = 32;
/** The IKE port for NAT traversal (RFC 7296 §2.23). */
export const NAT_T_PORT = 4500;
const MAX_RETRIES = 5;

export function proposalsFor(
  configured: Transform[][],
  protocol: number,
  spi: Uint8Array,
  keFirst?: number,
): Proposal[] {
  return configured.map((transforms, i) => {
    let ts = transforms;
    if (keFirst !== undefined) {
      // Put the group we send a KE for first, so the peer prefers it.
      const ke = ts.filter((t) => t.type === TransformType.KE);
      const rest = ts.filter((t) => t.type !== TransformType.KE);
      ke.sort((a, b) => (a.id === keFirst ? -1 : b.id === keFirst ? 1 : 0));
      ts = [...rest, ...ke];
    }
    return { num: i + 1, protocol, spi, transforms: ts };
  });
}

function hashAlgorithmsData(): Uint8Array {
  return concat(...ourSignatureHashes.map(u16));
}

function capabilityNotifies(ctx: TaskContext): Payload[] {
  const out: Payload[] = [];
  if (ctx.sa.conn.fragmentation !== 'no') out.push(notifyPayload(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED));
  out.push(notifyPayload(NotifyType.SIGNATURE_HASH_ALGORITHMS, hashAlgorithmsData()));
  out.push(notifyPayload(NotifyType.MULTIPLE_AUTH_SUPPORTED));
  return out;
}

function readCapabilities(sa: IkeSa, msg: IkeMessage): void {
  sa.peer.fragmentation = !!notify(msg, NotifyType.IKEV2_FRAGMENTATION_SUPPORTED);
  sa.peer.multipleAuth = !!notify(msg, NotifyType.MULTIPLE_AUTH_SUPPORTED);
  const sh = notify(msg, NotifyType.SIGNATURE_HASH_ALGORITHMS);
  sa.peer.signatureHashes = [];
  if (sh)
    for (let i = 0; i + 1 < sh.data.byteLength; i += 2) sa.peer.signatureHashes.push(readU16(sh.data.subarray(i)));
}

function checkNonce(data: Uint8Array): void {
  // RFC 7296 §3.9: between 16 and 256 octets.
  if (data.byteLength < 16 || data.byteLength > 256) {
    throw new ProtocolError('IKE', NotifyType.INVALID_SYNTAX, `nonce of ${data.byteLength} bytes`);
  }
}

function firstKeGroup(proposals: Transform[][]): number {
  for (const p of proposals) for (const t of p) if (t.type === TransformType.KE) return t.id;
  throw new ProtocolError('IKE', NotifyType.NO_PROPOSAL_CHOSEN, 'no key exchange method configured');
}

function offersGroup(proposals: Transform[][], group: number): boolean {
  return proposals.some((p) => p.some((t) => t.type === TransformType.KE && t.id === group));
}

/** SKEYSEED and the IKE SA keys from the finished key exchange (RFC 7296 §2.14); the shared secret is wiped. */
function setInitialKeys(sa: IkeSa, suite: Suite, ke: KeyExchange, rng: Rng): void {
  const secret = ke.sharedSecret();
  const { keys } = deriveIkeKeys({ suite, ni: sa.ni, nr: sa.nr, sharedSecret: secret, spiI: sa.spiI, spiR: sa.spiR });
  secret.fill(0);
  ke.dispose();
  sa.setKeys(suite, keys, rng);
}

export class IkeInitInitiator implements Task {
  readonly name = 'ike-init';
  readonly exchange = ExchangeType.IKE_SA_INIT;
  #group = 0;
  #ke: KeyExchange | undefined;
  #cookie: Uint8Array | undefined;
  #retries = 0;

  build(ctx: TaskContext, out: Payload[]): void {
    const { sa, svc } = ctx;
    if (!this.#ke) {
      this.#group ||= firstKeGroup(sa.conn.proposals);
      this.#ke = createKeyExchange(this.#group, svc.rng);
      sa.ni = svc.rng(NONCE_SIZE);
    }
    if (this.#cookie) out.push(notifyPayload(NotifyType.COOKIE, this.#cookie));
    out.push({
      type: PayloadType.SA,
      proposals: proposalsFor(sa.conn.proposals, ProtocolId.IKE, new Uint8Array(0), this.#group),
    });
    out.push({ type: PayloadType.KE, group: this.#group, data: this.#ke.publicValue() });
    out.push({ type: PayloadType.NONCE, data: sa.ni });
    out.push(...natNotifies(sa.spiI, 0n, sa.local, sa.remote, sa.conn.encap, svc.rng));
    out.push(...capabilityNotifies(ctx));
  }

  process(ctx: TaskContext, msg: IkeMessage): TaskStatus {
    const { sa, svc } = ctx;
    const cookie = notify(msg, NotifyType.COOKIE);
    if (cookie) {
      if (++this.#retries > MAX_RETRIES) throw new ProtocolError('IKE', NotifyType.COOKIE, 'too many COOKIE retries');
      this.#cookie = cookie.data.slice();
      svc.log.info('IKE', `${sa.label} received COOKIE, retrying`);
      return 'again';
    }
    const invalidKe = notify(msg, NotifyType.INVALID_KE_PAYLOAD);
    if (invalidKe) {
      const group = invalidKe.data.byteLength >= 2 ? readU16(invalidKe.data) : 0;
      if (++this.#retries > MAX_RETRIES || !offersGroup(sa.conn.proposals, group) || group === this.#group) {
        throw new ProtocolError(
          'IKE',
          NotifyType.INVALID_KE_PAYLOAD,
          `peer wants key exchange method ${group}, which we do not offer`,
        );
      }
      svc.log.info('IKE', `${sa.label} peer requested key exchange method ${group}, retrying`);
      this.#ke?.dispose();
      this.#ke = createKeyExchange(group, svc.rng);
      this.#group = group;
      return 'again';
    }
    const err = errorNotify(msg);
    if (err) throw new ProtocolError('IKE', err.notifyType, 'IKE_SA_INIT refused by peer');

    const saP = first(msg, PayloadType.SA);
    const keP = first(msg, PayloadType.KE);
    const nonce = first(msg, PayloadType.NONCE);
    if (!saP || !keP || !nonce)
      throw new ProtocolError('IKE', NotifyType.INVALID_SYNTAX, 'IKE_SA_INIT response lacks SA, KE or Nr');
    const { chosen } = acceptedProposal(saP, sa.conn.proposals, undefined, 'IKE_SA_INIT response');
    if (chosen.suite.ke !== keP.group || keP.group !== this.#group) {
      throw new ProtocolError('IKE', NotifyType.INVALID_KE_PAYLOAD, 'KE group does not match the chosen proposal');
    }
    checkNonce(nonce.data);
    this.#ke!.receive(keP.data);
    sa.nr = nonce.data.slice();
    sa.spiR = msg.header.spiR;
    setInitialKeys(sa, chosen.suite, this.#ke!, svc.rng);
    readCapabilities(sa, msg);
    const nat = detectNat(msg, sa.spiI, sa.spiR, sa.local, sa.remote);
    if (nat) {
      sa.natHere = nat.natHere || sa.conn.encap;
      sa.natThere = nat.natThere;
    }
    sa.certreqs = all(msg, PayloadType.CERTREQ).map((c) => c.data.slice());
    // RFC 7296 §2.23: once a NAT is detected (or encapsulation forced) the initiator moves to port 4500 for IKE_AUTH.
    if (sa.encap && sa.remote.port !== NAT_T_PORT) {
      sa.local = { ...sa.local, port: NAT_T_PORT };
      sa.remote = { ...sa.remote, port: NAT_T_PORT };
    }
    svc.log.info('IKE', `${sa.label} IKE_SA_INIT done`, { nat: sa.encap });
    return 'done';
  }

  failed(): void {
    this.#ke?.dispose();
  }
}

export class IkeInitResponder implements Task {
  readonly name = 'ike-init';
  readonly exchange = ExchangeType.IKE_SA_INIT;
  #chosen: SelectedProposal | undefined;
  #ke: KeyExchange | undefined;

  process(ctx: TaskContext, msg: IkeMessage): void {
    const { sa, svc } = ctx;
    const saP = first(msg, PayloadType.SA);
    const keP = first(msg, PayloadType.KE);
    const nonce = first(msg, PayloadType.NONCE);
    if (!saP || !keP || !nonce)
      throw new ProtocolError('IKE', NotifyType.INVALID_SYNTAX, 'IKE_SA_INIT request lacks SA, KE or Ni');
    const { chosen } = chooseProposal(saP, sa.conn.proposals, ProtocolId.IKE, undefined, 'IKE proposal');
    if (chosen.suite.ke !== keP.group) {
      // RFC 7296 §1.3: tell the initiator which group we want.
      throw new ProtocolError(
        'IKE',
        NotifyType.INVALID_KE_PAYLOAD,
        `KE method ${keP.group} instead of ${chosen.suite.ke}`,
        u16(chosen.suite.ke ?? 0),
      );
    }
    checkNonce(nonce.data);
    this.#ke = createKeyExchange(keP.group, svc.rng);
    this.#ke.receive(keP.data);
    this.#chosen = chosen;
    sa.ni = nonce.data.slice();
    sa.nr = svc.rng(NONCE_SIZE);
    readCapabilities(sa, msg);
    const nat = detectNat(msg, sa.spiI, 0n, sa.local, sa.remote);
    if (nat) {
      sa.natHere = nat.natHere || sa.conn.encap;
      sa.natThere = nat.natThere;
    }
  }

  build(ctx: TaskContext, out: Payload[]): TaskStatus {
    const { sa, svc } = ctx;
    const chosen = this.#chosen!;
    const ke = this.#ke!;
    out.push({
      type: PayloadType.SA,
      proposals: [{ num: chosen.num, protocol: ProtocolId.IKE, spi: new Uint8Array(0), transforms: chosen.transforms }],
    });
    out.push({ type: PayloadType.KE, group: ke.method, data: ke.publicValue() });
    out.push({ type: PayloadType.NONCE, data: sa.nr });
    out.push(...natNotifies(sa.spiI, sa.spiR, sa.local, sa.remote, sa.conn.encap, svc.rng));
    out.push(...capabilityNotifies(ctx));
    if (sa.conn.sendCertreq && sa.conn.remote.some((r) => r.method === 'pubkey' || r.method === 'any')) {
      const anchors = svc.creds.trustAnchors();
      if (anchors.length) {
        out.push({
          type: PayloadType.CERTREQ,
          encoding: CertEncoding.X509_SIGNATURE,
          data: concat(...anchors.map((a) => keyIdSha1(a))),
        });
      }
    }
    setInitialKeys(sa, chosen.suite, ke, svc.rng);
    return 'done';
  }

  failed(): void {
    this.#ke?.dispose();
  }
}
