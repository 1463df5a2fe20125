/**
 * EAP-TTLS peer (RFC 5281), the TLS client. Phase 1 is the TLS handshake carried in TTLS packets (fragments.ts);
 * phase 2 runs an inner EAP peer (peer.ts) whose packets travel in EAP-Message AVPs.
 *
 *   server                                   peer
 *   [S]                               →
 *                                     ←      ClientHello
 *   ServerHello … (fragments, ACKed)  →
 *                                     ←      [Certificate, CertificateVerify,] ClientKeyExchange, Finished
 *   ChangeCipherSpec, Finished        →
 *                                     ←      AVP(EAP Response/Identity)     unsolicited, as strongSwan's peer
 *   AVP(EAP Request/MD5 | PT-EAP)     →      (or a piggybacked Request/Identity with the Finished: answered)
 *   …
 *   Success                           →      MSK from the TLS exporter
 *
 * The server certificate is verified against the configured CAs and, if configured, against the server identity
 * (aaa_id, else the IKE identity of the responder).
 */
import { ProtocolError, VerifyError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import { silentLogger } from '../../common/log.ts';
import { EapCode, EapType } from '../method.ts';
import type { EapOutcome, PeerMethod } from '../method.ts';
import type { EapPeerSession } from '../peer.ts';
import { decodeEap } from '../packet.ts';
import { EapAvpReader, eapMessageAvp } from './avp.ts';
import { TtlsFramer } from './fragments.ts';
import type { TtlsFramerOptions } from './fragments.ts';
import { TlsTunnel } from './tunnel.ts';
import type { TlsClientOptions } from './tunnel.ts';

export interface TtlsPeerOptions {
  tls: TlsClientOptions;
  framing?: TtlsFramerOptions;
  /** The inner EAP peer of phase 2. */
  inner: EapPeerSession;
  log?: Logger;
}

export class TtlsPeer implements PeerMethod {
  readonly type = EapType.TTLS;
  readonly #opts: TtlsPeerOptions;
  readonly #log: Logger;
  readonly #framer: TtlsFramer;
  #tunnel: TlsTunnel | undefined;
  readonly #avps = new EapAvpReader();
  #identitySent = false;
  #innerSeen = false;
  #msk: Uint8Array | undefined;

  constructor(opts: TtlsPeerOptions) {
    this.#opts = opts;
    this.#log = opts.log ?? silentLogger;
    this.#framer = new TtlsFramer(opts.framing);
  }

  get tunnel(): TlsTunnel | undefined {
    return this.#tunnel;
  }
  get inner(): EapPeerSession {
    return this.#opts.inner;
  }

  async process(data: Uint8Array): Promise<Uint8Array> {
    const inc = this.#framer.receive(data);
    switch (inc.kind) {
      case 'start':
        this.#tunnel?.close();
        this.#tunnel = TlsTunnel.client(this.#opts.tls);
        return this.#flush();
      case 'ack':
        if (!this.#framer.pending) throw new ProtocolError('EAP', EapType.TTLS, 'acknowledgement with nothing to send');
        return this.#framer.next();
      case 'fragment':
        return this.#framer.ack();
      case 'message': {
        const t = this.#tunnel;
        if (!t) throw new ProtocolError('EAP', EapType.TTLS, 'TLS data before the start packet');
        t.feed(inc.data);
        return this.#flush();
      }
    }
  }

  async #flush(): Promise<Uint8Array> {
    const t = this.#tunnel!;
    await t.settle();
    if (t.error) throw new VerifyError('ttls', `TLS: ${t.error.message}`, { cause: t.error });
    if (t.established) {
      this.#msk ??= t.msk();
      await this.#phase2(t);
    }
    const out = t.takeOutput();
    if (!out.byteLength) return this.#framer.ack();
    this.#framer.send(out);
    return this.#framer.next();
  }

  async #phase2(t: TlsTunnel): Promise<void> {
    let wrote = false;
    for (const eap of this.#avps.push(t.takePlain())) {
      const p = decodeEap(eap, 'ttls.eap');
      if (p.code !== EapCode.REQUEST) throw new ProtocolError('EAP', p.code, 'tunnelled EAP packet is not a Request');
      this.#innerSeen = true;
      const answer = await this.#opts.inner.process(eap);
      this.#log.debug('EAP', `sending tunnelled EAP-TTLS AVP [EAP/RES/${p.type}]`);
      t.write(eapMessageAvp(answer));
      wrote = true;
    }
    if (!wrote && !this.#identitySent && !this.#innerSeen) {
      // strongSwan's TTLS server waits for the peer to open phase 2 with its identity.
      this.#identitySent = true;
      t.write(eapMessageAvp(this.#opts.inner.identityResponse(0)));
      wrote = true;
    }
    if (wrote) await t.settle();
  }

  finish(outcome: EapOutcome): void {
    this.#opts.inner.finish(outcome);
    this.#tunnel?.close();
  }

  msk(): Uint8Array | undefined {
    return this.#msk;
  }

  verdict(): EapOutcome | undefined {
    return this.#opts.inner.verdict();
  }
}
