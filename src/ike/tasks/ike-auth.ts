/**
 * IKE_AUTH (RFC 7296 §1.2, §2.15, §2.16 EAP, RFC 4739 multiple authentication, RFC 5998 EAP-only).
 *
 *   HDR, SK {IDi, [CERT+], [CERTREQ], [IDr], AUTH | (no AUTH: EAP), [N(EAP_ONLY_AUTHENTICATION)],
 *            [N(ANOTHER_AUTH_FOLLOWS)], SAi2, TSi, TSr}                                     -->
 *                              <--  HDR, SK {IDr, [CERT+], AUTH (omitted with EAP-only), [EAP]}
 *   HDR, SK {EAP}  -->  <--  HDR, SK {EAP}          (as many rounds as the method needs)
 *   HDR, SK {AUTH (from the MSK)}  -->  <--  HDR, SK {AUTH (from the MSK), SAr2, TSi, TSr}
 *
 * Further RFC 4739 rounds of the initiator repeat the pattern with a new IDi. The responder authenticates in one
 * round (its first response, or the MSK-based AUTH with EAP-only).
 */
import { ProtocolError, StateError } from '../../common/errors.ts';
import { EapCode } from '../../eap/method.ts';
import type { EapPeer, EapServer } from '../../eap/method.ts';
import { buildAuth, verifyAuth } from '../auth/authenticator.ts';
import { keyIdSha1 } from '../auth/certs.ts';
import type { Identity, IkeConnection, LocalAuth, RemoteAuth } from '../config.ts';
import { all, first, notify, errorNotify, idToString } from '../message/index.ts';
import {
  CertEncoding,
  ExchangeType,
  NotifyType,
  PayloadType,
  type IkeMessage,
  type Payload,
} from '../payloads/types.ts';
import { equal, concat } from '../../common/bytes.ts';
import { notifyPayload, type Task, type TaskContext, type TaskStatus } from './task.ts';

/** Error notifies that concern only the CHILD_SA created with IKE_AUTH; the IKE_SA still comes up. */
export const childErrors: ReadonlySet<number> = new Set([
  NotifyType.NO_PROPOSAL_CHOSEN,
  NotifyType.TS_UNACCEPTABLE,
  NotifyType.SINGLE_PAIR_REQUIRED,
  NotifyType.INTERNAL_ADDRESS_FAILURE,
  NotifyType.FAILED_CP_REQUIRED,
  NotifyType.INVALID_SELECTORS,
  NotifyType.NO_ADDITIONAL_SAS,
]);

const authFailed = (why: string) => new ProtocolError('IKE', NotifyType.AUTHENTICATION_FAILED, why);

function idMatches(want: Identity | undefined, got: Identity): boolean {
  return !want || (want.idType === got.idType && equal(want.data, got.data));
}

function certPayloads(ctx: TaskContext, round: LocalAuth, first: boolean): Payload[] {
  if (round.method !== 'pubkey') return [];
  const send = ctx.sa.conn.sendCert;
  const asked = ctx.sa.certreqs.length > 0 || !first;
  if (send === 'never' || (send === 'ifasked' && !asked)) return [];
  return round.certs.map((data) => ({ type: PayloadType.CERT, encoding: CertEncoding.X509_SIGNATURE, data }));
}

function certreqPayload(ctx: TaskContext, remote: RemoteAuth | undefined): Payload[] {
  if (!ctx.sa.conn.sendCertreq || !remote || (remote.method !== 'pubkey' && remote.method !== 'any')) return [];
  const anchors = remote.cacerts?.length ? remote.cacerts : ctx.svc.creds.trustAnchors();
  if (!anchors.length) return [];
  return [
    {
      type: PayloadType.CERTREQ,
      encoding: CertEncoding.X509_SIGNATURE,
      data: concat(...anchors.map((a) => keyIdSha1(a))),
    },
  ];
}

function receivedCerts(msg: IkeMessage): Uint8Array[] {
  return all(msg, PayloadType.CERT)
    .filter((c) => c.encoding === CertEncoding.X509_SIGNATURE)
    .map((c) => c.data);
}

async function runAuthorization(ctx: TaskContext): Promise<void> {
  const { sa, svc } = ctx;
  if (!svc.authorize) {
    sa.authorization = { decision: 'allow', reasons: [] };
    return;
  }
  const verdict = await svc.authorize(sa);
  sa.authorization = verdict;
  svc.log.info('IKE', `${sa.label} authorization: ${verdict.decision}`, { reasons: verdict.reasons.join('; ') });
  if (verdict.decision === 'deny')
    throw authFailed(`access denied: ${verdict.reasons.join('; ') || 'no reason given'}`);
}

type Phase = 'round' | 'eap' | 'eap-auth' | 'done';

export class IkeAuthInitiator implements Task {
  readonly name = 'ike-auth';
  readonly exchange = ExchangeType.IKE_AUTH;
  #round = 0;
  #phase: Phase = 'round';
  #peerVerified = false;
  #eap: EapPeer | undefined;
  #eapResponse: Uint8Array | undefined;
  #msk: Uint8Array | undefined;

  build(ctx: TaskContext, out: Payload[]): void {
    const { sa, svc } = ctx;
    const round = sa.conn.local[this.#round];
    if (!round) throw new StateError('no local authentication round configured');
    if (this.#phase === 'eap') {
      out.push({ type: PayloadType.EAP, data: this.#eapResponse! });
      return;
    }
    if (this.#phase === 'eap-auth') {
      out.push(buildAuth(sa, round, round.id, this.#msk));
      return;
    }
    const firstRound = this.#round === 0;
    out.push({ type: PayloadType.IDi, idType: round.id.idType, data: round.id.data });
    out.push(...certPayloads(ctx, round, firstRound));
    if (firstRound) {
      out.push(...certreqPayload(ctx, sa.conn.remote[0]));
      const rid = sa.conn.remote[0]?.id;
      if (rid) out.push({ type: PayloadType.IDr, idType: rid.idType, data: rid.data });
      out.push(notifyPayload(NotifyType.INITIAL_CONTACT));
    }
    if (round.method === 'eap') {
      if (sa.conn.eapOnly) out.push(notifyPayload(NotifyType.EAP_ONLY_AUTHENTICATION));
      if (!svc.eap) throw new StateError('EAP configured but no EAP methods are available');
      const serverId = sa.conn.remote[0]?.id;
      this.#eap = svc.eap.peer(round.eapType, {
        connection: sa.conn.name,
        label: sa.label,
        identity: round.eapId ?? idToString(round.id),
        // The TTLS server's certificate must name the responder's configured IKE identity.
        ...(serverId ? { serverIdentity: idToString(serverId) } : {}),
      });
    } else {
      const psk = round.method === 'psk' ? svc.creds.psk(round.id, sa.conn.remote[0]?.id) : undefined;
      out.push(buildAuth(sa, round, round.id, psk));
    }
    if (this.#round < sa.conn.local.length - 1) {
      if (!sa.peer.multipleAuth)
        throw authFailed('several authentication rounds configured but the peer does not support RFC 4739');
      out.push(notifyPayload(NotifyType.ANOTHER_AUTH_FOLLOWS));
    }
    sa.localIds.push(round.id);
  }

  async process(ctx: TaskContext, msg: IkeMessage): Promise<TaskStatus> {
    const { sa, svc } = ctx;
    const err = errorNotify(msg);
    if (err && !childErrors.has(err.notifyType))
      throw new ProtocolError('IKE', err.notifyType, 'IKE_AUTH refused by peer');
    const round = sa.conn.local[this.#round]!;
    const auth = first(msg, PayloadType.AUTH);

    if (!this.#peerVerified && this.#round === 0 && this.#phase === 'round') {
      const idr = first(msg, PayloadType.IDr);
      if (!idr) throw authFailed('IKE_AUTH response lacks IDr');
      const peerId: Identity = { idType: idr.idType, data: idr.data.slice() };
      if (!idMatches(sa.conn.remote[0]?.id, peerId))
        throw authFailed(`peer identity ${idToString(peerId)} is not the configured one`);
      this.#peerId = peerId;
      sa.peerId = peerId;
      if (auth) {
        sa.peerAuth.push(
          verifyAuth({
            sa,
            required: sa.conn.remote[0] ?? { method: 'any' },
            auth,
            peerId,
            certs: receivedCerts(msg),
            store: svc.creds,
            localId: round.id,
            now: svc.clock.now(),
          }),
        );
        this.#peerVerified = true;
      } else if (!(round.method === 'eap' && sa.conn.eapOnly)) {
        throw authFailed('IKE_AUTH response lacks AUTH');
      }
    }

    const eap = first(msg, PayloadType.EAP);
    if (eap && this.#eap) {
      const code = eap.data[0];
      if (code === EapCode.REQUEST) {
        this.#eapResponse = await this.#eap.process(eap.data);
        this.#phase = 'eap';
        return 'again';
      }
      if (code === EapCode.SUCCESS) {
        this.#eap.finish('success');
        // Mutual attestation: EAP cannot carry the peer's refusal of the server, so our own verdict is checked here.
        if (this.#eap.verdict?.() === 'failure') throw authFailed('our verifiers refused the responder (attestation)');
        this.#msk = this.#eap.msk();
        this.#phase = 'eap-auth';
        return 'again';
      }
      this.#eap.finish('failure');
      throw authFailed('EAP authentication failed');
    }
    if (this.#phase === 'eap') throw authFailed('EAP conversation ended without EAP-Success');

    if (this.#phase === 'eap-auth') {
      if (!auth) throw authFailed('final IKE_AUTH response lacks the MSK-based AUTH');
      const result = verifyAuth({
        sa,
        required: { method: 'eap' },
        auth,
        peerId: this.#peerId!,
        certs: [],
        store: svc.creds,
        localId: round.id,
        now: svc.clock.now(),
        msk: this.#msk,
        eap: true,
      });
      if (!this.#peerVerified) {
        sa.peerAuth.push({ ...result, eapType: round.method === 'eap' ? round.eapType : undefined });
        this.#peerVerified = true;
      }
    }
    // This round is complete.
    this.#round++;
    this.#phase = 'round';
    this.#eap = undefined;
    if (this.#round < sa.conn.local.length) return 'again';
    if (!this.#peerVerified) throw authFailed('peer did not authenticate');
    await runAuthorization(ctx);
    sa.authComplete = true;
    this.#phase = 'done';
    return 'done';
  }

  #peerId: Identity | undefined;
}

export class IkeAuthResponder implements Task {
  readonly name = 'ike-auth';
  readonly exchange = ExchangeType.IKE_AUTH;
  #peerRound = 0;
  #phase: Phase = 'round';
  #sentOwnAuth = false;
  #eapOnly = false;
  #another = false;
  #eap: EapServer | undefined;
  #eapOut: Uint8Array | undefined;
  #peerId: Identity | undefined;
  #roundDone = false;
  #macAuthDue = false;

  /** Picks the connection whose identities match IDi/IDr among those the engine matched by address. */
  #selectConnection(ctx: TaskContext, idi: Identity, idr: Identity | undefined): IkeConnection {
    const current = ctx.sa.conn;
    const candidates = [current, ...ctx.svc.connections().filter((c) => c !== current && c.name !== current.name)];
    const byIdi = candidates.filter((c) => sameAddresses(c, current) && idMatches(c.remote[0]?.id, idi));
    const match = byIdi.find((c) => !idr || !c.local[0] || idMatches(idr, c.local[0].id)) ?? byIdi[0];
    if (!match) throw authFailed(`no connection matches peer identity ${idToString(idi)}`);
    return match;
  }

  async process(ctx: TaskContext, msg: IkeMessage): Promise<void> {
    const { sa, svc } = ctx;
    this.#roundDone = false;
    this.#macAuthDue = false;
    if (this.#phase === 'round') {
      const idi = first(msg, PayloadType.IDi);
      if (!idi) throw authFailed('IKE_AUTH request lacks IDi');
      const peerId: Identity = { idType: idi.idType, data: idi.data.slice() };
      sa.peerId = peerId;
      const idrP = first(msg, PayloadType.IDr);
      if (this.#peerRound === 0) {
        sa.conn = this.#selectConnection(ctx, peerId, idrP ? { idType: idrP.idType, data: idrP.data } : undefined);
        this.#eapOnly = !!notify(msg, NotifyType.EAP_ONLY_AUTHENTICATION);
        sa.certreqs = all(msg, PayloadType.CERTREQ).map((c) => c.data.slice());
      }
      this.#peerId = peerId;
      this.#another = !!notify(msg, NotifyType.ANOTHER_AUTH_FOLLOWS);
      const required = sa.conn.remote[this.#peerRound];
      if (!required) throw authFailed('peer attempts more authentication rounds than configured');
      if (!idMatches(required.id, peerId))
        throw authFailed(`peer identity ${idToString(peerId)} is not the configured one`);
      const auth = first(msg, PayloadType.AUTH);
      const localId = sa.conn.local[0]?.id ?? peerId;
      if (auth) {
        sa.peerAuth.push(
          verifyAuth({
            sa,
            required,
            auth,
            peerId,
            certs: receivedCerts(msg),
            store: svc.creds,
            localId,
            now: svc.clock.now(),
          }),
        );
        this.#roundDone = true;
      } else {
        if (required.method !== 'eap' || !required.eapType)
          throw authFailed('peer sent no AUTH and no EAP method is configured');
        if (!svc.eap) throw authFailed('EAP is not available');
        this.#eap = svc.eap.server(required.eapType, {
          connection: sa.conn.name,
          label: sa.label,
          peerIdentity: idToString(peerId),
        });
        this.#eapOut = await this.#eap.start();
        this.#phase = 'eap';
      }
      return;
    }
    if (this.#phase === 'eap') {
      const eap = first(msg, PayloadType.EAP);
      if (!eap) throw authFailed('expected an EAP payload');
      const r = await this.#eap!.process(eap.data);
      this.#eapOut = r.packet;
      if (r.outcome === 'failure') this.#failAfterSend = true;
      if (r.outcome === 'success') this.#phase = 'eap-auth';
      return;
    }
    if (this.#phase === 'eap-auth') {
      const auth = first(msg, PayloadType.AUTH);
      if (!auth) throw authFailed('expected the MSK-based AUTH payload');
      const required = sa.conn.remote[this.#peerRound]!;
      sa.peerAuth.push({
        ...verifyAuth({
          sa,
          required,
          auth,
          peerId: this.#peerId!,
          certs: [],
          store: svc.creds,
          localId: sa.conn.local[0]?.id ?? this.#peerId!,
          now: svc.clock.now(),
          msk: this.#eap!.msk(),
          eap: true,
        }),
        eapType: required.eapType,
      });
      this.#roundDone = true;
      this.#macAuthDue = true;
      return;
    }
    throw new StateError('IKE_AUTH request after authentication completed');
  }

  #failAfterSend = false;

  async build(ctx: TaskContext, out: Payload[]): Promise<TaskStatus> {
    const { sa, svc } = ctx;
    const own = sa.conn.local[0];
    if (!own) throw authFailed('no local authentication configured');
    if (!this.#sentOwnAuth) {
      this.#sentOwnAuth = true;
      out.push({ type: PayloadType.IDr, idType: own.id.idType, data: own.id.data });
      sa.localIds.push(own.id);
      const omit = this.#eapOnly && own.method === 'eap';
      if (!omit) {
        if (own.method === 'eap')
          throw authFailed('our authentication is EAP-based but the peer did not request EAP-only');
        out.push(...certPayloads(ctx, own, true));
        const psk = own.method === 'psk' ? svc.creds.psk(own.id, this.#peerId) : undefined;
        out.push(buildAuth(sa, own, own.id, psk));
      }
    }
    if (this.#phase === 'eap' && !this.#roundDone) {
      out.push({ type: PayloadType.EAP, data: this.#eapOut! });
      if (this.#failAfterSend) ctx.engine.destroyLater(sa, 'EAP authentication failed');
      return 'again';
    }
    if (this.#phase === 'eap-auth' && !this.#roundDone) {
      // EAP-Success just went out... it is sent here, the AUTH follows in the next exchange.
      out.push({ type: PayloadType.EAP, data: this.#eapOut! });
      return 'again';
    }
    if (this.#macAuthDue) {
      // RFC 7296 §2.16: after EAP, the responder's AUTH is computed from the MSK as well.
      out.push(buildAuth(sa, { method: 'eap', id: own.id, eapType: '' }, own.id, this.#eap!.msk()));
    }
    if (this.#another) {
      this.#peerRound++;
      this.#phase = 'round';
      this.#eap = undefined;
      return 'again';
    }
    if (this.#peerRound !== sa.conn.remote.length - 1)
      throw authFailed('peer completed fewer authentication rounds than required');
    await runAuthorization(ctx);
    sa.authComplete = true;
    this.#phase = 'done';
    return 'done';
  }
}

function sameAddresses(a: IkeConnection, b: IkeConnection): boolean {
  return a.localAddrs.join() === b.localAddrs.join() && a.remoteAddrs.join() === b.remoteAddrs.join();
}
