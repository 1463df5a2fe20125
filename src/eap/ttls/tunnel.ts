/**
 * A TLS endpoint on node:tls without sockets: a TLSSocket wraps one end of an in-memory duplex pair, we push the
 * peer's TLS bytes into the other end and collect what TLS writes back. EAP-TTLS is lock-step (one EAP packet per
 * turn), so after feeding input we wait until TLS has gone quiet (`settle`) and take its output as this turn's.
 *
 * Keying material (RFC 5281 §8 and RFC 9427 §2.1): TLS ≤ 1.2 exports 64 bytes with label "ttls keying material" and
 * no context (= TLS-PRF(master, label, client_random ‖ server_random)); TLS 1.3 exports 128 bytes with label
 * "EXPORTER_EAP_TLS_Key_Material" and context = the Type-Code 0x15, MSK = the first 64.
 */
import { duplexPair } from 'node:stream';
import type { Duplex } from 'node:stream';
import { TLSSocket, checkServerIdentity, connect, createSecureContext } from 'node:tls';
import type { PeerCertificate, SecureContext, SecureVersion } from 'node:tls';
import { isIP } from 'node:net';
import { constants } from 'node:crypto';
import { concat } from '../../common/bytes.ts';
import { LimitError, VerifyError } from '../../common/errors.ts';

type Pem = string | Uint8Array;
const buf = (p: Pem) => (typeof p === 'string' ? p : Buffer.from(p));
const bufs = (p: Pem | Pem[] | undefined) => (p === undefined ? undefined : Array.isArray(p) ? p.map(buf) : buf(p));

export interface TlsCredentials {
  cert?: Pem;
  key?: Pem;
  /** Trust anchors for the other side's certificate. */
  ca?: Pem | Pem[];
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  /**
   * The context `clientContext`/`serverContext` made from these very credentials, kept by the caller for every
   * tunnel (parsing the key and certificates otherwise costs each tunnel a few milliseconds). When given, the
   * credential fields above are not looked at.
   */
  secureContext?: SecureContext;
}

export interface TlsClientOptions extends TlsCredentials {
  /** Identity the server certificate must carry (DNS name or IP address); unset = any name from a trusted CA. */
  serverIdentity?: string;
}

export interface TlsServerOptions extends TlsCredentials {
  /** Ask for a client certificate (verified against `ca`; an unverified one counts as none). */
  requestCert?: boolean;
}

/** strongSwan's EAP default is TLS 1.2 only; ours allows 1.3 as well. */
const DEFAULT_MIN: SecureVersion = 'TLSv1.2';
const DEFAULT_MAX: SecureVersion = 'TLSv1.3';
/** Most plaintext buffered in one turn (bounded by the reassembled message size anyway); reset by takePlain. */
const MAX_PLAIN = 1 << 20;

/** Our TLS client's context: credentials, versions, and charon-compatible options (see `TlsTunnel.client`). */
export function clientContext(opts: TlsCredentials): SecureContext {
  return createSecureContext({
    ca: bufs(opts.ca),
    ...(opts.cert ? { cert: buf(opts.cert) } : {}),
    ...(opts.key ? { key: buf(opts.key) } : {}),
    minVersion: opts.minVersion ?? DEFAULT_MIN,
    maxVersion: opts.maxVersion ?? DEFAULT_MAX,
    // strongSwan's TLS server (5.9.8) sends no renegotiation_info (RFC 5746); OpenSSL 3 refuses such servers
    // unless told otherwise. Renegotiation itself is switched off, so the attack RFC 5746 prevents cannot happen.
    secureOptions: constants.SSL_OP_LEGACY_SERVER_CONNECT | constants.SSL_OP_NO_RENEGOTIATION,
  });
}

/** Our TLS server's context. */
export function serverContext(opts: TlsCredentials): SecureContext {
  return createSecureContext({
    ...(opts.cert ? { cert: buf(opts.cert) } : {}),
    ...(opts.key ? { key: buf(opts.key) } : {}),
    ca: bufs(opts.ca),
    minVersion: opts.minVersion ?? DEFAULT_MIN,
    maxVersion: opts.maxVersion ?? DEFAULT_MAX,
  });
}

export class TlsTunnel {
  readonly socket: TLSSocket;
  readonly #wire: Duplex;
  readonly #inner: Duplex;
  #out: Uint8Array[] = [];
  #plain: Uint8Array[] = [];
  #plainBytes = 0;
  #activity = 0;
  #established = false;
  #error: Error | undefined;
  #closed = false;

  private constructor(socket: TLSSocket, wire: Duplex, inner: Duplex) {
    this.socket = socket;
    this.#wire = wire;
    this.#inner = inner;
    wire.on('data', (d: Buffer) => {
      this.#out.push(new Uint8Array(d));
      this.#activity++;
    });
    wire.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      this.#plainBytes += d.byteLength;
      if (this.#plainBytes > MAX_PLAIN) this.#fail(new LimitError('ttls.plaintext', 'too much tunnelled data'));
      else this.#plain.push(new Uint8Array(d));
      this.#activity++;
    });
    socket.on('error', (e: Error) => this.#fail(e));
    socket.on('close', () => {
      this.#activity++;
    });
  }

  #fail(e: Error): void {
    this.#error ??= e;
    this.#activity++;
  }

  static client(opts: TlsClientOptions): TlsTunnel {
    const [inner, wire] = duplexPair();
    const id = opts.serverIdentity;
    const socket = connect({
      socket: inner,
      ...(id && isIP(id) === 0 ? { servername: id } : {}),
      secureContext: opts.secureContext ?? clientContext(opts),
      rejectUnauthorized: true,
      checkServerIdentity: (_host: string, cert: PeerCertificate) => (id ? checkServerIdentity(id, cert) : undefined),
    });
    const t = new TlsTunnel(socket, wire, inner);
    socket.once('secureConnect', () => {
      t.#established = true;
      t.#activity++;
    });
    return t;
  }

  static server(opts: TlsServerOptions): TlsTunnel {
    const [inner, wire] = duplexPair();
    const socket = new TLSSocket(inner, {
      isServer: true,
      secureContext: opts.secureContext ?? serverContext(opts),
      requestCert: opts.requestCert ?? false,
      rejectUnauthorized: false,
    });
    const t = new TlsTunnel(socket, wire, inner);
    socket.once('secure', () => {
      t.#established = true;
      t.#activity++;
    });
    return t;
  }

  get established(): boolean {
    return this.#established;
  }
  get error(): Error | undefined {
    return this.#error;
  }
  get protocol(): string | null {
    return this.socket.getProtocol();
  }

  /** Pushes bytes received from the peer into TLS. */
  feed(data: Uint8Array): void {
    if (data.byteLength) this.#wire.write(data);
  }

  /** Sends application data through the tunnel. */
  write(plain: Uint8Array): void {
    this.socket.write(plain);
  }

  /**
   * Waits until TLS has processed everything and written its answer: turns of the event loop until one passes
   * without activity (TLS output, plaintext, handshake events) while no stream between us and TLS holds data.
   * node's TLS over a JS stream completes each write in a later turn (setImmediate), and every completion that lets
   * TLS go on shows as activity in that turn; so a turn without activity and with empty buffers means TLS is done.
   * (Measured on the mutual bench: all TLS 1.2/1.3 handshake and record work shows up by the first turn. Waiting
   * for three idle turns in every case cost four turns per call, ~90 calls per attested setup.) Data that stays in a
   * buffer (a stream TLS stopped reading after an error) ends the wait after three idle turns, as before.
   */
  async settle(): Promise<void> {
    let idle = 0;
    let seen = -1;
    for (let i = 0; i < 2000 && idle < 3 && !(idle >= 1 && this.#drained()); i++) {
      await new Promise<void>((r) => setImmediate(r));
      if (this.#activity === seen) idle++;
      else {
        idle = 0;
        seen = this.#activity;
      }
    }
  }

  /** No data queued in either direction between us and TLS. */
  #drained(): boolean {
    return (
      this.socket.writableLength === 0 &&
      this.#wire.writableLength === 0 &&
      this.#wire.readableLength === 0 &&
      this.#inner.writableLength === 0 &&
      this.#inner.readableLength === 0
    );
  }

  /** The TLS bytes written since the last call. */
  takeOutput(): Uint8Array {
    const o = concat(...this.#out);
    this.#out = [];
    return o;
  }

  /** The application plaintext received since the last call. */
  takePlain(): Uint8Array {
    const p = concat(...this.#plain);
    this.#plain = [];
    this.#plainBytes = 0;
    return p;
  }

  /** The verified peer certificate (client side: always verified once established; server: if one was sent). */
  peerCertificate(): { verified: boolean; subject: string; der: Uint8Array; error?: string } | undefined {
    const c = this.socket.getPeerX509Certificate();
    if (!c) return undefined;
    const subject = c.subject.replace(/\n/g, ', ');
    const err = this.#verifyError();
    const out = { verified: err === undefined, subject, der: new Uint8Array(c.raw) };
    return err ? { ...out, error: err } : out;
  }

  /**
   * OpenSSL's verdict on the peer's chain. node computes `authorized` only for sockets a tls.Server accepted (client
   * sockets reject unverified servers outright), so a server socket standing alone asks the handle, as node does.
   */
  #verifyError(): string | undefined {
    if (this.socket.authorized) return undefined;
    const handle = (this.socket as unknown as { _handle?: { verifyError?: () => Error | null } })._handle;
    if (typeof handle?.verifyError !== 'function') return String(this.socket.authorizationError ?? 'not verified');
    const e = handle.verifyError();
    return e ? ((e as Error & { code?: string }).code ?? e.message) : undefined;
  }

  /** The EAP-TTLS MSK (64 bytes) for the negotiated TLS version. */
  msk(): Uint8Array {
    if (!this.#established) throw new VerifyError('ttls', 'no MSK before the TLS handshake completed');
    if (this.protocol === 'TLSv1.3') {
      return new Uint8Array(
        this.socket.exportKeyingMaterial(128, 'EXPORTER_EAP_TLS_Key_Material', Buffer.of(0x15)),
      ).subarray(0, 64);
    }
    // No context at all (not an empty one): node passes use_context = 0 when context is undefined.
    return new Uint8Array(this.socket.exportKeyingMaterial(64, 'ttls keying material', undefined as unknown as Buffer));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.socket.destroy();
    this.#wire.destroy();
  }
}
