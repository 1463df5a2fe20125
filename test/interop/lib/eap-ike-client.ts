/**
 * A scripted IKEv2 initiator for EAP bad-input scenarios against our daemon as EAP server: it runs IKE_SA_INIT
 * (aes256gcm16-prfsha256-x25519), sends IKE_AUTH without AUTH (EAP, RFC 7296 §2.16; with N(EAP_ONLY_AUTHENTICATION),
 * RFC 5998) and then whatever EAP payloads a scenario crafts, each inside SK in its own IKE_AUTH request.
 *
 *   scripted initiator                                      our daemon (EAP server)
 *   HDR, SAi1, KEi, Ni                              →
 *                                                   ←       HDR, SAr1, KEr, Nr
 *   HDR, SK {IDi, N(EAP_ONLY), SAi2, TSi, TSr}      →
 *                                                   ←       HDR, SK {IDr, EAP Request/Identity}
 *   HDR, SK {EAP (crafted)}                         →
 *                                                   ←       HDR, SK {EAP …} | SK {N(AUTHENTICATION_FAILED)}
 *
 * Also a minimal EAP-TTLS client (RFC 5281) over our TLS tunnel and framer that reaches phase 2 and then writes
 * whatever tunnelled bytes a scenario wants (bad AVPs).
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { systemRng } from '../../../src/common/rng.ts';
import {
  createKeyExchange,
  createSkCrypto,
  deriveIkeKeys,
  parseProposals,
  suiteFromTransforms,
} from '../../../src/crypto/index.ts';
import type { SkCrypto } from '../../../src/crypto/types.ts';
import { decodeMessage, encodeMessage, first, idFromString, tsFromCidr } from '../../../src/ike/message/index.ts';
import {
  ExchangeType,
  NotifyType,
  NotifyTypeNames,
  PayloadType,
  ProtocolId,
  type IkeMessage,
  type NotifyPayload,
  type Payload,
} from '../../../src/ike/payloads/types.ts';
import { EapCode, EapType } from '../../../src/eap/method.ts';
import { EapCodeName, EapTypeName, decodeEap, response } from '../../../src/eap/packet.ts';
import type { EapPacket } from '../../../src/eap/packet.ts';
import { TlsTunnel } from '../../../src/eap/ttls/tunnel.ts';
import type { TlsClientOptions } from '../../../src/eap/ttls/tunnel.ts';
import { TtlsFramer } from '../../../src/eap/ttls/fragments.ts';
import { initMessage, randomSpi } from './ike-craft.ts';

const FLAG_INITIATOR = 0x08;
const FLAG_RESPONSE = 0x20;

export interface ScriptedOptions {
  /** Our source address (the daemon's configured remote_addrs); an ephemeral UDP port is used. */
  local: string;
  remote: string;
  port?: number;
  idi: string;
  tsi: string;
  tsr: string;
  /** Per-request wait before a retransmission, ms (default 1500; two retransmissions). */
  waitMs?: number;
}

/** What the responder answered to one IKE_AUTH request. */
export interface AuthAnswer {
  /** The decrypted response, or undefined when none came (after the retransmissions). */
  message?: IkeMessage;
  eap?: EapPacket;
  notifies: number[];
}

export class ScriptedInitiator {
  readonly #sock: Socket;
  readonly #opts: ScriptedOptions;
  readonly #queue: Uint8Array[] = [];
  #wake: (() => void) | undefined;
  #skOut: SkCrypto | undefined;
  #skIn: SkCrypto | undefined;
  #mid = 0;
  spiI: bigint = randomSpi();
  spiR = 0n;
  /** IKE_AUTH round trips so far. */
  rounds = 0;

  private constructor(sock: Socket, opts: ScriptedOptions) {
    this.#sock = sock;
    this.#opts = opts;
    sock.on('message', (m) => {
      this.#queue.push(new Uint8Array(m));
      this.#wake?.();
    });
    sock.on('error', () => undefined);
  }

  /** Binds, runs IKE_SA_INIT, and sends the first IKE_AUTH request (IDi, EAP-only, SA, TS; no AUTH). */
  static async start(opts: ScriptedOptions): Promise<{ client: ScriptedInitiator; first: AuthAnswer }> {
    const sock = createSocket('udp4');
    await new Promise<void>((res, rej) => {
      sock.once('error', rej);
      sock.bind(0, opts.local, () => res());
    });
    const c = new ScriptedInitiator(sock, opts);
    try {
      await c.#init();
      const id = idFromString(opts.idi);
      const transforms = parseProposals('aes256gcm16', 'esp')[0]!;
      const first = await c.auth([
        { type: PayloadType.IDi, idType: id.idType, data: id.data },
        {
          type: PayloadType.NOTIFY,
          protocol: 0,
          spi: new Uint8Array(0),
          notifyType: NotifyType.EAP_ONLY_AUTHENTICATION,
          data: new Uint8Array(0),
        },
        {
          type: PayloadType.SA,
          proposals: [{ num: 1, protocol: ProtocolId.ESP, spi: new Uint8Array(randomBytes(4)), transforms }],
        },
        { type: PayloadType.TSi, selectors: [tsFromCidr(opts.tsi)] },
        { type: PayloadType.TSr, selectors: [tsFromCidr(opts.tsr)] },
      ]);
      return { client: c, first };
    } catch (e) {
      c.close();
      throw e;
    }
  }

  async #init(): Promise<void> {
    const ke = createKeyExchange(31);
    const ni = new Uint8Array(randomBytes(32));
    const req = encodeMessage(initMessage(this.spiI, ke.publicValue(), ni));
    try {
      const bytes = await this.#roundTrip(req, 0, false);
      if (!bytes) throw new Error('no answer to IKE_SA_INIT');
      const r = decodeMessage(bytes);
      if (r.kind !== 'message') throw new Error('IKE_SA_INIT answer is a fragment');
      const sa = first(r.message, PayloadType.SA);
      const ker = first(r.message, PayloadType.KE);
      const nr = first(r.message, PayloadType.NONCE);
      if (!sa || !ker || !nr) {
        const n = r.message.payloads.filter((p): p is NotifyPayload => p.type === PayloadType.NOTIFY);
        throw new Error(`IKE_SA_INIT refused (notifies ${n.map((x) => x.notifyType).join(',') || 'none'})`);
      }
      this.spiR = r.message.header.spiR;
      const suite = suiteFromTransforms(sa.proposals[0]!.transforms);
      ke.receive(ker.data);
      const secret = ke.sharedSecret().slice();
      const { keys } = deriveIkeKeys({
        suite,
        ni,
        nr: nr.data,
        sharedSecret: secret,
        spiI: this.spiI,
        spiR: this.spiR,
      });
      secret.fill(0);
      this.#skOut = createSkCrypto(suite, keys.skEi, keys.skAi, systemRng);
      this.#skIn = createSkCrypto(suite, keys.skEr, keys.skAr, systemRng);
      this.#mid = 1;
    } finally {
      ke.dispose();
    }
  }

  #header(exchange: number, messageId: number): IkeMessage['header'] {
    return {
      spiI: this.spiI,
      spiR: this.spiR,
      nextPayload: 0,
      version: 0x20,
      exchange,
      flags: FLAG_INITIATOR,
      messageId,
      length: 0,
    };
  }

  /** Sends `req` and returns the first response datagram with this message id (retransmitting while none comes). */
  async #roundTrip(req: Uint8Array, mid: number, encrypted: boolean): Promise<Uint8Array | undefined> {
    const wait = this.#opts.waitMs ?? 1500;
    for (let attempt = 0; attempt < 3; attempt++) {
      this.#sock.send(req, this.#opts.port ?? 500, this.#opts.remote);
      const deadline = Date.now() + wait;
      while (Date.now() < deadline) {
        const d = this.#queue.shift();
        if (!d) {
          await new Promise<void>((res) => {
            const timer = setTimeout(res, Math.max(1, deadline - Date.now()));
            this.#wake = () => {
              clearTimeout(timer);
              res();
            };
          });
          this.#wake = undefined;
          continue;
        }
        if (d.byteLength < 28) continue;
        const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
        const flags = d[19]!;
        const isEnc = d[16] === PayloadType.SK;
        if (v.getBigUint64(0) !== this.spiI || !(flags & FLAG_RESPONSE) || v.getUint32(20) !== mid) continue;
        if (encrypted && !isEnc) continue;
        return d;
      }
    }
    return undefined;
  }

  /** One IKE_AUTH request carrying `payloads` in SK; the decrypted answer. */
  async auth(payloads: Payload[]): Promise<AuthAnswer> {
    const mid = this.#mid++;
    const req = encodeMessage(
      { header: this.#header(ExchangeType.IKE_AUTH, mid), encrypted: true, payloads },
      this.#skOut,
    );
    this.rounds++;
    const bytes = await this.#roundTrip(req, mid, true);
    if (!bytes) return { notifies: [] };
    const r = decodeMessage(bytes, this.#skIn);
    if (r.kind !== 'message') throw new Error('IKE_AUTH answer is a fragment');
    const notifies = r.message.payloads
      .filter((p): p is NotifyPayload => p.type === PayloadType.NOTIFY)
      .map((n) => n.notifyType);
    const eapP = first(r.message, PayloadType.EAP);
    return { message: r.message, notifies, ...(eapP ? { eap: decodeEap(eapP.data) } : {}) };
  }

  /** One IKE_AUTH request carrying one EAP payload. */
  eap(packet: Uint8Array): Promise<AuthAnswer> {
    return this.auth([{ type: PayloadType.EAP, data: packet }]);
  }

  close(): void {
    try {
      this.#sock.close();
    } catch {
      // already closed
    }
  }
}

/** "N(AUTHENTICATION_FAILED)", "EAP FAILURE id 12", "EAP REQUEST/TTLS id 12", "(no answer)". */
export function describeAnswer(a: AuthAnswer): string {
  if (!a.message) return '(no answer)';
  const parts = a.notifies.map((n) => `N(${NotifyTypeNames.get(n) ?? n})`);
  const p = a.eap;
  if (p) {
    const type = 'type' in p ? `/${EapTypeName.get(p.type) ?? p.type}` : '';
    parts.push(`EAP ${EapCodeName.get(p.code) ?? p.code}${type} id ${p.identifier}`);
  }
  return parts.join(' + ') || '(empty)';
}

export const isRequest = (a: AuthAnswer, type?: number): a is AuthAnswer & { eap: EapPacket & { data: Uint8Array } } =>
  a.eap?.code === EapCode.REQUEST && (type === undefined || ('type' in a.eap && a.eap.type === type));
export const isFailure = (a: AuthAnswer): boolean => a.eap?.code === EapCode.FAILURE;

/**
 * Drives EAP-TTLS from the server's Start as a TLS client with our tunnel and framer until the tunnel is up, then
 * writes `inject` (raw tunnelled bytes) instead of the phase-2 Response/Identity and sends it; returns the server's
 * answer to that and the number of TTLS round trips.
 */
export async function ttlsThenInject(
  c: ScriptedInitiator,
  start: AuthAnswer,
  tls: TlsClientOptions,
  inject: Uint8Array,
): Promise<{ answer: AuthAnswer; rounds: number; protocol: string | null }> {
  const framer = new TtlsFramer({ fragmentSize: 1024 });
  const t = TlsTunnel.client(tls);
  let req = start;
  let injected = false;
  let rounds = 0;
  try {
    while (rounds < 40 && isRequest(req, EapType.TTLS) && !(injected && !framer.pending)) {
      const inc = framer.receive(req.eap.data);
      let out: Uint8Array;
      if (inc.kind === 'fragment') out = framer.ack();
      else if (inc.kind === 'ack') {
        if (!framer.pending) throw new Error('the server acknowledged, but we have nothing more to send');
        out = framer.next();
      } else {
        if (inc.kind === 'message') t.feed(inc.data);
        await t.settle();
        if (t.error) throw new Error(`our TLS client: ${t.error.message}`);
        if (t.established && !injected) {
          t.write(inject);
          injected = true;
          await t.settle();
        }
        const bytes = t.takeOutput();
        if (bytes.byteLength) {
          framer.send(bytes);
          out = framer.next();
        } else out = framer.ack();
      }
      req = await c.eap(response(req.eap.identifier, EapType.TTLS, out));
      rounds++;
    }
    if (!injected) throw new Error(`the TLS tunnel did not come up (last answer: ${describeAnswer(req)})`);
    return { answer: req, rounds, protocol: t.protocol };
  } finally {
    t.close();
  }
}
