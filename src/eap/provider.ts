/**
 * The EapProvider IKE uses (src/ike/tasks/ike-auth.ts): method names from swanctl (`md5`, `ttls`, also `eap-md5`,
 * `eap-ttls`) mapped to the framework with its methods.
 *
 *   peer('md5')   → EAP peer doing EAP-MD5 with `md5Secret(our EAP identity)`
 *   peer('ttls')  → EAP peer doing EAP-TTLS; inside: EAP-MD5 and, with an endpoint factory, PT-EAP
 *   server('md5') → Identity, then EAP-MD5 with `md5Secret(peer's EAP identity)`
 *   server('ttls')→ Identity, then EAP-TTLS with phase 2 `ttls.inner`: 'md5' (default), 'none' (certificate-only
 *                   shell) or 'pt-eap' (PB-TNC through `ptEap.endpointFactory`)
 */
import { ConfigError } from '../common/errors.ts';
import type { Logger } from '../common/log.ts';
import { silentLogger } from '../common/log.ts';
import { systemRng } from '../common/rng.ts';
import type { Rng } from '../common/rng.ts';
import { Md5Peer, Md5Server } from './md5.ts';
import { EapType } from './method.ts';
import type { EapContext, EapPeer, EapProvider, EapServer, PeerMethodFactory } from './method.ts';
import { EapPeerSession } from './peer.ts';
import { PtEapPeer, PtEapServer } from './pt-eap/method.ts';
import type { PtEapEndpoint } from './pt-eap/method.ts';
import { EapServerSession } from './server.ts';
import { TtlsPeer } from './ttls/peer.ts';
import { TtlsServer } from './ttls/server.ts';
import type { TtlsPhase2 } from './ttls/server.ts';
import type { SecureContext, SecureVersion } from 'node:tls';
import { clientContext, serverContext } from './ttls/tunnel.ts';

type Pem = string | Uint8Array;

export interface EapProviderOptions {
  /** EAP-MD5 secrets by EAP identity (swanctl `secrets { eap-… }`). */
  md5Secret?(id: string): Uint8Array | undefined;
  /** Our TLS credentials (server certificate, or client certificate for mutual TTLS) and trust anchors. */
  tls?: { cert?: Pem; key?: Pem; ca?: Pem | Pem[]; serverIdentity?: string };
  ttls?: {
    /** Phase-2 method of our TTLS server (default 'md5'). */
    inner?: TtlsPhase2;
    /** Default TLS 1.2 to 1.3 (strongSwan 5.9.8: 1.2 only). */
    tlsVersions?: { min?: SecureVersion; max?: SecureVersion };
    fragmentSize?: number;
    /** 0 = no cap; default 32 as strongSwan. */
    maxMessageCount?: number;
    includeLength?: boolean;
    piggyback?: boolean;
    /** Server: ask for a client certificate (default true). */
    requestClientCert?: boolean;
    /** Server: a client certificate must carry the outer EAP identity (default true). */
    bindClientIdentity?: boolean;
    /** What our server does when the peer refuses PT-EAP with a Nak (default 'fail'). */
    onPtEapNak?: 'fail' | 'succeed';
  };
  ptEap?: { endpointFactory(role: 'peer' | 'server', ctx: EapContext): PtEapEndpoint };
  /** Called with every server/peer session made, e.g. to read attestation results afterwards. */
  onSession?(s: { role: 'peer'; session: EapPeerSession } | { role: 'server'; session: EapServerSession }): void;
  rng?: Rng;
  log?: Logger;
}

const normal = (m: string) => m.toLowerCase().replace(/^eap-/, '');

export function createEapProvider(opts: EapProviderOptions = {}): EapProvider {
  const log = opts.log ?? silentLogger;
  const rng = opts.rng ?? systemRng;
  const ttls = opts.ttls ?? {};
  const framing = {
    ...(ttls.fragmentSize !== undefined ? { fragmentSize: ttls.fragmentSize } : {}),
    ...(ttls.maxMessageCount !== undefined ? { maxMessageCount: ttls.maxMessageCount } : {}),
    ...(ttls.includeLength !== undefined ? { includeLength: ttls.includeLength } : {}),
  };
  const versions = {
    ...(ttls.tlsVersions?.min ? { minVersion: ttls.tlsVersions.min } : {}),
    ...(ttls.tlsVersions?.max ? { maxVersion: ttls.tlsVersions.max } : {}),
  };
  const tlsCreds = () => ({
    ...(opts.tls?.cert ? { cert: opts.tls.cert } : {}),
    ...(opts.tls?.key ? { key: opts.tls.key } : {}),
    ...(opts.tls?.ca ? { ca: opts.tls.ca } : {}),
    ...versions,
  });
  // One TLS context per role for every tunnel of this provider (the credentials do not change under it). Bad
  // credentials make none: the tunnel then fails where it always did, when it makes its own.
  const memo = (make: (c: ReturnType<typeof tlsCreds>) => SecureContext) => {
    let ctx: SecureContext | undefined;
    return () => {
      const c = tlsCreds();
      try {
        ctx ??= make(c);
      } catch {
        return c;
      }
      return { ...c, secureContext: ctx };
    };
  };
  const clientTls = memo(clientContext);
  const serverTls = memo(serverContext);
  const needTls = () => {
    if (!opts.tls?.ca) throw new ConfigError('EAP-TTLS needs trust anchors (tls.ca)');
  };

  function peerSession(methods: Map<number, PeerMethodFactory>, ctx: EapContext, inner: boolean): EapPeerSession {
    return new EapPeerSession({
      identity: ctx.identity ?? '',
      methods,
      log,
      label: `${ctx.label}${inner ? ' phase2' : ''}`,
    });
  }

  function md5Peer(ctx: EapContext): PeerMethodFactory {
    return () => new Md5Peer({ secret: () => opts.md5Secret?.(ctx.identity ?? ''), name: ctx.identity ?? '' });
  }

  return {
    peer(method: string, ctx: EapContext): EapPeer {
      const m = normal(method);
      let session: EapPeerSession;
      if (m === 'md5') {
        session = peerSession(new Map([[EapType.MD5, md5Peer(ctx)]]), ctx, false);
      } else if (m === 'ttls') {
        needTls();
        const innerMethods = new Map<number, PeerMethodFactory>([[EapType.MD5, md5Peer(ctx)]]);
        const factory = opts.ptEap?.endpointFactory;
        if (factory) innerMethods.set(EapType.PT_EAP, () => new PtEapPeer(factory('peer', ctx), log));
        const inner = peerSession(innerMethods, ctx, true);
        const serverIdentity = opts.tls?.serverIdentity ?? ctx.serverIdentity;
        const tls = { ...clientTls(), ...(serverIdentity ? { serverIdentity } : {}) };
        session = peerSession(new Map([[EapType.TTLS, () => new TtlsPeer({ tls, framing, inner, log })]]), ctx, false);
      } else {
        throw new ConfigError(`EAP method ${method} is not available (md5, ttls)`);
      }
      opts.onSession?.({ role: 'peer', session });
      return session;
    },

    server(method: string, ctx: EapContext): EapServer {
      const m = normal(method);
      const md5 = (id: string | undefined) =>
        new Md5Server({ secret: id === undefined ? undefined : opts.md5Secret?.(id), rng });
      let session: EapServerSession;
      if (m === 'md5') {
        session = new EapServerSession({ methods: [{ type: EapType.MD5, create: md5 }], rng, log, label: ctx.label });
      } else if (m === 'ttls') {
        needTls();
        const phase2 = ttls.inner ?? 'md5';
        const factory = opts.ptEap?.endpointFactory;
        if (phase2 === 'pt-eap' && !factory) throw new ConfigError('PT-EAP needs ptEap.endpointFactory');
        const method =
          phase2 === 'md5' ? md5 : phase2 === 'pt-eap' ? () => new PtEapServer(factory!('server', ctx)) : undefined;
        session = new EapServerSession({
          methods: [
            {
              type: EapType.TTLS,
              create: (peerIdentity) =>
                new TtlsServer({
                  ...(peerIdentity !== undefined ? { peerIdentity } : {}),
                  ...(ttls.bindClientIdentity !== undefined ? { bindClientIdentity: ttls.bindClientIdentity } : {}),
                  tls: { ...serverTls(), requestCert: ttls.requestClientCert ?? true },
                  framing,
                  phase2,
                  ...(method ? { method } : {}),
                  ...(ttls.piggyback !== undefined ? { piggyback: ttls.piggyback } : {}),
                  ...(ttls.onPtEapNak ? { onPtEapNak: ttls.onPtEapNak } : {}),
                  rng,
                  log,
                  label: ctx.label,
                }),
            },
          ],
          rng,
          log,
          label: ctx.label,
        });
      } else {
        throw new ConfigError(`EAP method ${method} is not available (md5, ttls)`);
      }
      opts.onSession?.({ role: 'server', session });
      return session;
    },
  };
}
