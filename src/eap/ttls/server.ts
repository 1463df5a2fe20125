/**
 * EAP-TTLS server (RFC 5281), the TLS server, and its phase 2 as strongSwan runs it (eap_ttls_server.c):
 *
 *   - The peer opens phase 2 with an unsolicited Response/Identity in an EAP-Message AVP; with `piggyback` we send
 *     a Request/Identity right behind our TLS Finished instead, and a peer that only ACKs gets one as well.
 *   - Then the phase-2 method: EAP-MD5 (`inner: 'md5'`, charon's default `phase2_method`), nothing (`'none'`: the
 *     EAP-only mutual-certificate shell; the client certificate is required), or PT-EAP (`'pt-eap'`: client
 *     certificate required, PB-TNC through the injected endpoint).
 *   - A peer that answers PT-EAP with a Nak (charon without TNC) ends the attempt: EAP-Failure by default, or
 *     Success without attestation when `onPtEapNak = 'succeed'`.
 *   - The inner Success/Failure is not tunnelled: the outer EAP-Success/Failure carries the outcome.
 *
 * The MSK comes from the TLS exporter (tunnel.ts). Client certificates are verified against the CAs; one that does
 * not verify counts as absent.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { ProtocolError, VerifyError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import { silentLogger } from '../../common/log.ts';
import { EapCode, EapType } from '../method.ts';
import type { EapOutcome, ServerMethod, ServerMethodFactory, ServerStep } from '../method.ts';
import { decodeEap } from '../packet.ts';
import { EapServerSession } from '../server.ts';
import type { Rng } from '../../common/rng.ts';
import { EapAvpReader, eapMessageAvp } from './avp.ts';
import { TtlsFramer } from './fragments.ts';
import type { TtlsFramerOptions } from './fragments.ts';
import { TlsTunnel } from './tunnel.ts';
import type { TlsServerOptions } from './tunnel.ts';

export type TtlsPhase2 = 'md5' | 'none' | 'pt-eap';

/** Does the certificate name this identity (subjectAltName DNS / e-mail / IP, or the whole subject DN)? */
export function certCarries(der: Uint8Array, id: string): boolean {
  const c = new X509Certificate(der);
  if (isIP(id)) return c.checkIP(id) !== undefined;
  if (id.includes('=')) {
    const norm = (dn: string) =>
      dn
        .replace(/\s*([,=\n])\s*/g, '$1')
        .replace(/\n/g, ',')
        .toLowerCase();
    return norm(c.subject) === norm(id) || norm(c.subject.split('\n').reverse().join(',')) === norm(id);
  }
  if (id.includes('@')) return c.checkEmail(id) !== undefined;
  return c.checkHost(id, { subject: 'never' }) !== undefined;
}

export interface TtlsServerOptions {
  tls: TlsServerOptions;
  framing?: TtlsFramerOptions;
  phase2: TtlsPhase2;
  /**
   * The outer EAP identity. When set (and `bindClientIdentity` is not false) a client certificate must carry it
   * (DNS name, e-mail or IP subjectAltName, or the subject DN), as strongSwan binds the TLS peer to the EAP identity.
   */
  peerIdentity?: string;
  bindClientIdentity?: boolean;
  /** Makes the phase-2 method (MD5 or PT-EAP) once the inner identity is known. */
  method?: ServerMethodFactory;
  /** Send Request/Identity with our TLS Finished (strongSwan's phase2_piggyback; default false). */
  piggyback?: boolean;
  onPtEapNak?: 'fail' | 'succeed';
  rng?: Rng;
  log?: Logger;
  label?: string;
}

export class TtlsServer implements ServerMethod {
  readonly type = EapType.TTLS;
  readonly #opts: TtlsServerOptions;
  readonly #log: Logger;
  readonly #framer: TtlsFramer;
  #tunnel: TlsTunnel | undefined;
  #inner: EapServerSession | undefined;
  #innerStarted = false;
  readonly #avps = new EapAvpReader();
  #started = false;
  #msk: Uint8Array | undefined;
  /** Subject of the verified client certificate, if any. */
  clientSubject: string | undefined;
  /** True when the PT-EAP attempt ended with the peer's Nak and the outcome followed `onPtEapNak`. */
  ptEapRefused = false;

  constructor(opts: TtlsServerOptions) {
    this.#opts = opts;
    this.#log = opts.log ?? silentLogger;
    this.#framer = new TtlsFramer(opts.framing);
  }

  get tunnel(): TlsTunnel | undefined {
    return this.#tunnel;
  }
  get inner(): EapServerSession | undefined {
    return this.#inner;
  }

  start(): Promise<Uint8Array> {
    this.#tunnel = TlsTunnel.server({ ...this.#opts.tls, requestCert: this.#opts.tls.requestCert ?? true });
    return Promise.resolve(this.#framer.start());
  }

  async process(data: Uint8Array): Promise<ServerStep> {
    const t = this.#tunnel;
    if (!t) throw new ProtocolError('EAP', EapType.TTLS, 'EAP-TTLS server not started');
    const inc = this.#framer.receive(data);
    switch (inc.kind) {
      case 'start':
        return { outcome: 'failure', reason: 'EAP-TTLS start packet from the peer' };
      case 'fragment':
        this.#started = true;
        return { request: this.#framer.ack() };
      case 'ack':
        if (this.#framer.pending) return { request: this.#framer.next() };
        if (!this.#started) return { outcome: 'failure', reason: 'acknowledgement before the conversation started' };
        return this.#turn(t, true);
      case 'message':
        this.#started = true;
        t.feed(inc.data);
        return this.#turn(t, false);
    }
  }

  async #turn(t: TlsTunnel, peerAcked: boolean): Promise<ServerStep> {
    await t.settle();
    if (t.error) return { outcome: 'failure', reason: `TLS: ${t.error.message}` };
    if (t.established) {
      const end = await this.#phase2(t, peerAcked);
      if (end) {
        if (end.outcome === 'success') this.#msk = t.msk();
        t.close();
        return end;
      }
    }
    const out = t.takeOutput();
    if (!out.byteLength) return { outcome: 'failure', reason: 'EAP-TTLS: nothing to send and nothing decided' };
    this.#framer.send(out);
    return { request: this.#framer.next() };
  }

  #setupInner(t: TlsTunnel): EapServerSession {
    const cert = t.peerCertificate();
    this.clientSubject = cert?.verified ? cert.subject : undefined;
    const id = this.#opts.peerIdentity;
    if (cert?.verified && id !== undefined && (this.#opts.bindClientIdentity ?? true) && !certCarries(cert.der, id))
      throw new VerifyError('ttls', `client certificate "${cert.subject}" does not carry the EAP identity '${id}'`);
    const phase2 = this.#opts.phase2;
    if (phase2 !== 'md5' && !this.clientSubject)
      throw new VerifyError(
        'ttls',
        `a verified client certificate is required${cert ? ` (${cert.subject}: ${cert.error ?? 'not verified'})` : ''}`,
      );
    this.#log.info('EAP', `${this.#opts.label ?? ''} EAP-TTLS tunnel up (${t.protocol})`, {
      client: this.clientSubject ?? 'no certificate',
      phase2,
    });
    const methods =
      phase2 === 'none' || !this.#opts.method
        ? []
        : [{ type: phase2 === 'md5' ? EapType.MD5 : EapType.PT_EAP, create: this.#opts.method }];
    return new EapServerSession({
      methods,
      ...(this.#opts.rng ? { rng: this.#opts.rng } : {}),
      log: this.#log,
      label: `${this.#opts.label ?? ''} phase2`,
    });
  }

  async #phase2(t: TlsTunnel, peerAcked: boolean): Promise<{ outcome: EapOutcome; reason?: string } | undefined> {
    let inner = this.#inner;
    if (!inner) {
      try {
        inner = this.#inner = this.#setupInner(t);
      } catch (e) {
        if (e instanceof VerifyError) return { outcome: 'failure', reason: e.message };
        throw e;
      }
    }
    for (const eap of this.#avps.push(t.takePlain())) {
      const p = decodeEap(eap, 'ttls.eap');
      if (p.code !== EapCode.RESPONSE) return { outcome: 'failure', reason: 'tunnelled EAP packet is not a Response' };
      const nak = p.type === EapType.NAK && inner.method?.type === EapType.PT_EAP;
      this.#innerStarted = true;
      const r = await inner.process(eap);
      if (r.outcome) {
        if (nak && r.outcome === 'failure') {
          this.ptEapRefused = true;
          this.#log.info('EAP', `${this.#opts.label ?? ''} peer refused PT-EAP with a Nak`);
          if (this.#opts.onPtEapNak === 'succeed') return { outcome: 'success' };
        }
        return r.outcome === 'success'
          ? { outcome: 'success' }
          : { outcome: 'failure', reason: `phase 2: ${inner.reason ?? 'failed'}` };
      }
      t.write(eapMessageAvp(r.packet));
    }
    if (!this.#innerStarted && (this.#opts.piggyback || peerAcked)) {
      this.#innerStarted = true;
      t.write(eapMessageAvp(await inner.start()));
    }
    await t.settle();
    return undefined;
  }

  msk(): Uint8Array | undefined {
    return this.#msk;
  }

  close(): void {
    this.#tunnel?.close();
  }
}
