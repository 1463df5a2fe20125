/**
 * PT-TLS over node:tls (RFC 6876 §3.3): a server (`startPtTlsServer`) and a client (`ptTlsConnect`), each adapting a
 * TLS socket to a PtTlsChannel and running the protocol logic of connection.ts on it.
 *
 * Limits: concurrent sessions (TCP connections beyond the cap are dropped at accept), TLS handshake timeout, idle
 * timeout (no byte from the peer for that long), whole-session timeout, message size (framer), and PB-TNC batches per
 * session. Every socket has an 'error' handler and every session promise is consumed: failures end in a log line,
 * the onSessionEnd callback and a destroyed socket, never in an unhandled event or rejection.
 */
import { connect as tlsConnect, createServer } from 'node:tls';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import { AttestdError, ConfigError, StateError, TimeoutError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import { silentLogger } from '../../common/log.ts';
import { MessageQueue } from './channel.ts';
import type { PtTlsChannel } from './channel.ts';
import { runPtTlsClient, runPtTlsServer } from './connection.ts';
import type {
  BatchEndpoint,
  PlainCredentials,
  PtTlsClientAuth,
  PtTlsSessionInfo,
  PtTlsSessionSummary,
} from './connection.ts';
import { PT_TLS_DEFAULT_MAX_MESSAGE_SIZE, PT_TLS_PORT } from './constants.ts';
import { PtTlsFramer } from './framer.ts';
import type { SaslResultForm } from './sasl-result.ts';

export type TlsVersionName = 'TLSv1.2' | 'TLSv1.3';
type Pem = string | Uint8Array;

export interface PtTlsLimits {
  /** Concurrent TCP connections (default 64); more are dropped at accept. */
  maxSessions?: number;
  /** TLS handshake deadline in ms (default 10 s). */
  handshakeTimeoutMs?: number;
  /** Longest silence from the peer in ms (default 60 s). */
  idleTimeoutMs?: number;
  /** Longest whole session in ms (default 10 min). */
  sessionTimeoutMs?: number;
  /** Largest PT-TLS message, header included (default 2 MiB). */
  maxMessageSize?: number;
  /** Most PB-TNC batches per session, both directions (default 4096). */
  maxBatches?: number;
  /** How long a clean close waits for the peer's close before destroying the socket (default 2 s). */
  lingerMs?: number;
}

const DEFAULTS = {
  maxSessions: 64,
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  sessionTimeoutMs: 600_000,
  maxMessageSize: PT_TLS_DEFAULT_MAX_MESSAGE_SIZE,
  maxBatches: 4096,
  lingerMs: 2_000,
} as const;

function limitsOf(l: PtTlsLimits = {}): Required<PtTlsLimits> {
  return { ...DEFAULTS, ...Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined)) };
}

/** How a server-side session ended. */
export type PtTlsSessionOutcome =
  { ok: true; remote: string; summary: PtTlsSessionSummary } | { ok: false; remote: string; error: AttestdError };

export interface PtTlsServerConfig {
  /** Listen address (default '::'). */
  host?: string;
  /** Listen port (default 271; 0 = ephemeral). */
  port?: number;
  key: Pem;
  cert: Pem;
  /** CAs that verify client certificates. */
  ca?: Pem | Pem[];
  /** Ask the client for a certificate (default true when ca is given). Unverified certificates fall back to SASL. */
  requestCert?: boolean;
  clientAuth?: PtTlsClientAuth;
  minVersion?: TlsVersionName;
  maxVersion?: TlsVersionName;
  authenticate?: (authzid: string, authcid: string, password: string) => boolean | Promise<boolean>;
  endpointFor: (session: PtTlsSessionInfo) => BatchEndpoint | Promise<BatchEndpoint>;
  limits?: PtTlsLimits;
  saslResultForm?: SaslResultForm;
  firstIdentifier?: number;
  log?: Logger;
  /** Called once per accepted TLS session when it ends. */
  onSessionEnd?: (outcome: PtTlsSessionOutcome) => void;
}

export interface PtTlsServer {
  readonly host: string;
  readonly port: number;
  /** TCP connections currently open. */
  readonly connections: number;
  /** Stops listening and destroys open connections. */
  close(): Promise<void>;
}

export interface PtTlsClientConfig {
  host: string;
  /** Default 271. */
  port?: number;
  /** CAs that verify the server certificate (verification is always on). */
  ca: Pem | Pem[];
  cert?: Pem;
  key?: Pem;
  /** Name the server certificate must carry (and SNI); default host. */
  servername?: string;
  /** SASL PLAIN credentials, used when the server offers PLAIN. */
  identity?: PlainCredentials;
  endpoint: BatchEndpoint;
  minVersion?: TlsVersionName;
  maxVersion?: TlsVersionName;
  limits?: PtTlsLimits;
  versions?: { min: number; max: number; preferred: number };
  firstIdentifier?: number;
  log?: Logger;
}

export interface PtTlsClientResult extends PtTlsSessionSummary {
  tlsVersion: string;
}

const asPem = (p: Pem): string | Buffer => (typeof p === 'string' ? p : Buffer.from(p));
const asPems = (p: Pem | Pem[] | undefined) =>
  p === undefined ? undefined : Array.isArray(p) ? p.map(asPem) : asPem(p);

function wrap(e: unknown, what: string): AttestdError {
  if (e instanceof AttestdError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new StateError(`PT-TLS ${what}: ${msg}`, { cause: e });
}

/**
 * Adapts a connected TLS socket to a PtTlsChannel: framing, backpressure (the socket pauses while 16 messages wait),
 * idle and session timeouts, clean close with a bounded linger.
 */
export function socketChannel(sock: TLSSocket, limits: Required<PtTlsLimits>): PtTlsChannel {
  const framer = new PtTlsFramer({ maxMessageSize: limits.maxMessageSize });
  const queue = new MessageQueue();
  let closing = false;
  const fail = (e: Error) => {
    queue.fail(e);
  };
  const sessionTimer = setTimeout(() => {
    fail(new TimeoutError(`PT-TLS session exceeded ${limits.sessionTimeoutMs} ms`));
    sock.destroy();
  }, limits.sessionTimeoutMs);
  sessionTimer.unref();
  sock.setTimeout(limits.idleTimeoutMs, () => {
    fail(new TimeoutError(`PT-TLS peer idle for ${limits.idleTimeoutMs} ms`));
    sock.destroy();
  });
  sock.on('data', (chunk: Buffer) => {
    if (closing || queue.finished) return;
    try {
      for (const m of framer.push(chunk)) queue.push(m);
    } catch (e) {
      fail(e as Error);
      sock.pause();
      return;
    }
    if (queue.length >= 16) sock.pause();
  });
  sock.on('end', () => {
    try {
      framer.end();
      queue.end();
    } catch (e) {
      fail(e as Error);
    }
  });
  sock.on('error', (e) => fail(wrap(e, 'connection error')));
  sock.on('close', () => {
    clearTimeout(sessionTimer);
    fail(new StateError('PT-TLS connection closed'));
  });
  return {
    async read() {
      const m = await queue.read();
      if (sock.isPaused() && queue.length < 4 && !queue.finished) sock.resume();
      return m;
    },
    write(message) {
      return new Promise<void>((resolve, reject) => {
        if (sock.destroyed || !sock.writable) {
          reject(new StateError('PT-TLS connection is closed'));
          return;
        }
        sock.write(message, (err) => (err ? reject(wrap(err, 'write failed')) : resolve()));
      });
    },
    close() {
      closing = true;
      clearTimeout(sessionTimer);
      if (sock.destroyed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const linger = setTimeout(() => sock.destroy(), limits.lingerMs);
        linger.unref();
        sock.once('close', () => {
          clearTimeout(linger);
          resolve();
        });
        // Drain what the peer still sends so the close does not turn into a reset.
        sock.resume();
        sock.end();
      });
    },
  };
}

function transportInfo(sock: TLSSocket): Record<string, string | number | boolean> {
  return {
    remote: `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? 0}`,
    tlsVersion: sock.getProtocol() ?? '',
    cipher: sock.getCipher()?.name ?? '',
    clientCertificateVerified: sock.authorized,
  };
}

/** Starts a PT-TLS server; resolves once it listens. */
export async function startPtTlsServer(config: PtTlsServerConfig): Promise<PtTlsServer> {
  const limits = limitsOf(config.limits);
  const log = config.log ?? silentLogger;
  const clientAuth = config.clientAuth ?? 'tls-or-sasl';
  if ((clientAuth === 'sasl' || clientAuth === 'tls-or-sasl') && !config.authenticate) {
    throw new ConfigError(`PT-TLS server: clientAuth ${clientAuth} needs an authenticate callback`);
  }
  const requestCert = config.requestCert ?? config.ca !== undefined;
  const server: TlsServer = createServer({
    key: asPem(config.key),
    cert: asPem(config.cert),
    ca: asPems(config.ca),
    requestCert,
    // Unverified client certificates are not fatal: the session falls back to SASL (or fails under 'tls').
    rejectUnauthorized: false,
    minVersion: config.minVersion ?? 'TLSv1.2',
    maxVersion: config.maxVersion ?? 'TLSv1.3',
    handshakeTimeout: limits.handshakeTimeoutMs,
  });
  server.maxConnections = limits.maxSessions;
  const sockets = new Set<Socket>();
  server.on('connection', (raw: Socket) => {
    // PT-TLS is a lock-step request/response protocol: Nagle would add a delayed-ACK wait to every turn.
    raw.setNoDelay(true);
    sockets.add(raw);
    raw.on('error', () => undefined);
    raw.once('close', () => sockets.delete(raw));
  });
  server.on('drop', (d) => {
    log.info('TNC', 'PT-TLS connection refused: session limit reached', {
      remote: `${d?.remoteAddress ?? '?'}:${d?.remotePort ?? 0}`,
      limit: limits.maxSessions,
    });
  });
  server.on('tlsClientError', (err, sock) => {
    // With a listener attached, node leaves the socket open: ending it is ours to do.
    log.info('TNC', 'PT-TLS handshake failed', { remote: `${sock.remoteAddress ?? '?'}`, reason: err.message });
    sock.destroy();
  });
  server.on('error', (err) => log.error('TNC', 'PT-TLS server error', { reason: err.message }));
  server.on('secureConnection', (sock: TLSSocket) => {
    sock.on('error', () => undefined);
    const transport = transportInfo(sock);
    const remote = String(transport.remote);
    const verified = requestCert && sock.authorized;
    const subject = verified ? (sock.getPeerX509Certificate()?.subject ?? '') : undefined;
    log.info('TNC', 'PT-TLS session started', transport);
    const finish = (outcome: PtTlsSessionOutcome) => {
      if (!sock.destroyed) sock.destroy();
      try {
        config.onSessionEnd?.(outcome);
      } catch (e) {
        log.error('TNC', 'PT-TLS onSessionEnd callback failed', { reason: e instanceof Error ? e.message : String(e) });
      }
    };
    runPtTlsServer(socketChannel(sock, limits), {
      tlsClient: { verified, subject },
      clientAuth,
      authenticate: config.authenticate,
      endpointFor: config.endpointFor,
      saslResultForm: config.saslResultForm,
      firstIdentifier: config.firstIdentifier,
      maxBatches: limits.maxBatches,
      transport,
      log,
    }).then(
      (summary) => {
        log.info('TNC', 'PT-TLS session complete', {
          remote,
          sent: summary.batchesSent,
          received: summary.batchesReceived,
        });
        finish({ ok: true, remote, summary });
      },
      (e: unknown) => finish({ ok: false, remote, error: wrap(e, 'session') }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port ?? PT_TLS_PORT, config.host ?? '::', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const host = typeof addr === 'object' && addr ? addr.address : (config.host ?? '::');
  const port = typeof addr === 'object' && addr ? addr.port : (config.port ?? PT_TLS_PORT);
  return {
    host,
    port,
    get connections() {
      return sockets.size;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}

/** Connects to a PT-TLS server and runs the client side; resolves with the session summary after a clean close. */
export async function ptTlsConnect(config: PtTlsClientConfig): Promise<PtTlsClientResult> {
  const limits = limitsOf(config.limits);
  const sock = tlsConnect({
    host: config.host,
    port: config.port ?? PT_TLS_PORT,
    ca: asPems(config.ca),
    cert: config.cert === undefined ? undefined : asPem(config.cert),
    key: config.key === undefined ? undefined : asPem(config.key),
    servername: config.servername ?? config.host,
    minVersion: config.minVersion ?? 'TLSv1.2',
    maxVersion: config.maxVersion ?? 'TLSv1.3',
    rejectUnauthorized: true,
  });
  sock.setNoDelay(true); // lock-step protocol: no Nagle delay per turn
  sock.on('error', () => undefined);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new TimeoutError(`PT-TLS handshake with ${config.host} took over ${limits.handshakeTimeoutMs} ms`));
      }, limits.handshakeTimeoutMs);
      timer.unref();
      const onError = (e: Error) => {
        clearTimeout(timer);
        reject(wrap(e, `connection to ${config.host}`));
      };
      const onClose = () => onError(new Error('closed during the TLS handshake'));
      sock.once('error', onError);
      sock.once('close', onClose);
      sock.once('secureConnect', () => {
        clearTimeout(timer);
        sock.off('error', onError);
        sock.off('close', onClose);
        resolve();
      });
    });
    const tlsVersion = sock.getProtocol() ?? '';
    const summary = await runPtTlsClient(socketChannel(sock, limits), {
      endpoint: config.endpoint,
      credentials: config.identity,
      versions: config.versions,
      firstIdentifier: config.firstIdentifier,
      maxBatches: limits.maxBatches,
      log: config.log,
    });
    return { ...summary, tlsVersion };
  } finally {
    if (!sock.destroyed) sock.destroy();
  }
}
