/**
 * Our side of an EAP interop scenario, run inside a test-bed namespace as its own process:
 * `node test/interop/lib/eap-runner.ts <config.json>`. An IkeEngine on real UDP sockets (ports 500/4500) with our
 * EapProvider, initiating or answering one connection; it prints one line `RESULT <json>` (with our EAP server's
 * outcome and inner identity) and exits.
 */
import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { Logger } from '../../../src/common/log.ts';
import { systemClock } from '../../../src/common/clock.ts';
import { systemRng } from '../../../src/common/rng.ts';
import { parseProposals } from '../../../src/crypto/index.ts';
import { defaultChild } from '../../../src/ike/config.ts';
import type { IkeConnection, LocalAuth, RemoteAuth } from '../../../src/ike/config.ts';
import { NoneDataPlane } from '../../../src/ike/dataplane.ts';
import { IkeEngine } from '../../../src/ike/engine.ts';
import { idFromString } from '../../../src/ike/message/index.ts';
import { IkeSockets } from '../../../src/ike/net/udp.ts';
import { createEapProvider } from '../../../src/eap/index.ts';
import type { EapServerSession, TtlsPhase2 } from '../../../src/eap/index.ts';
import type { EapRunnerConfig, EapRunnerResult } from './eap-scenarios.ts';

const cfg = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as EapRunnerConfig;
const lines: string[] = [];
const log = new Logger({
  level: 'debug',
  sink: (_r, t) => {
    lines.push(t);
    process.stderr.write(t + '\n');
  },
});

const ourId = idFromString(cfg.ourId);
const peerId = idFromString(cfg.peerId);
let local: LocalAuth;
if (cfg.ourAuth === 'pubkey') {
  local = {
    method: 'pubkey',
    id: ourId,
    key: createPrivateKey(cfg.key),
    certs: [new Uint8Array(new X509Certificate(cfg.cert).raw)],
  };
} else {
  local = { method: 'eap', id: ourId, eapType: cfg.method, ...(cfg.eapId ? { eapId: cfg.eapId } : {}) };
}
const remote: RemoteAuth =
  cfg.peerAuth === 'pubkey' ? { method: 'pubkey', id: peerId } : { method: 'eap', id: peerId, eapType: cfg.method };
const conn: IkeConnection = {
  name: 'eap',
  localAddrs: [cfg.addr],
  remoteAddrs: [cfg.peerAddr],
  localPort: 500,
  remotePort: 500,
  proposals: parseProposals('aes256gcm16-prfsha256-x25519', 'ike'),
  encap: true,
  fragmentation: 'yes',
  fragmentSize: 1280,
  local: [local],
  remote: [remote],
  children: [
    {
      ...defaultChild('net'),
      localTs: [cfg.innerTs],
      remoteTs: [cfg.peerInnerTs],
      espProposals: parseProposals('aes256gcm16', 'esp'),
      rekeyTime: 0,
      lifeTime: 0,
    },
  ],
  dpdDelay: 0,
  rekeyTime: 0,
  overTime: 0,
  sendCertreq: true,
  sendCert: 'always',
  keyingTries: 1,
  eapOnly: cfg.eapOnly,
};

const servers: EapServerSession[] = [];
const eap = createEapProvider({
  md5Secret: (id) => (id === cfg.md5Id ? new TextEncoder().encode(cfg.md5Secret) : undefined),
  tls: {
    ca: cfg.ca,
    ...(cfg.tlsCert ? { cert: cfg.cert, key: cfg.key } : {}),
    ...(cfg.serverIdentity ? { serverIdentity: cfg.serverIdentity } : {}),
  },
  ttls: {
    inner: cfg.phase2 as TtlsPhase2,
    tlsVersions: { max: 'TLSv1.2' },
    ...(cfg.fragmentSize ? { fragmentSize: cfg.fragmentSize } : {}),
  },
  // PT-EAP needs a PB-TNC endpoint; charon 5.9.8 has none, so it never gets past its Nak. A stand-in that would
  // only start the exchange is enough here.
  ptEap: {
    endpointFactory: () => ({ start: () => null, receive: () => [], done: () => true, outcome: () => 'failure' }),
  },
  onSession: (s) => {
    if (s.role === 'server') servers.push(s.session);
  },
  log,
});

const engineRef: { e?: IkeEngine } = {};
const sockets = new IkeSockets({
  addresses: [cfg.addr],
  log,
  onIke: (data, l, r) => void engineRef.e?.receive(data, l, r),
});
await sockets.open();
const engine = new IkeEngine({
  services: {
    rng: systemRng,
    clock: systemClock,
    log,
    dataplane: new NoneDataPlane(),
    creds: { psk: () => undefined, trustAnchors: () => [new Uint8Array(new X509Certificate(cfg.ca).raw)] },
    connections: () => [conn],
    eap,
  },
  transport: sockets,
});
engineRef.e = engine;

const result: EapRunnerResult = { established: false, log: [] };
const deadline = Date.now() + cfg.timeoutMs;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
process.stdout.write('READY\n');
try {
  if (cfg.role === 'initiator') {
    await Promise.race([
      engine.initiate('eap', { children: ['net'] }),
      sleep(cfg.timeoutMs).then(() => {
        throw new Error('timeout');
      }),
    ]);
  }
  while (Date.now() < deadline) {
    if (engine.list().some((s) => s.state === 'ESTABLISHED')) break;
    if (servers.some((s) => s.outcome === 'failure')) {
      await sleep(300);
      break;
    }
    await sleep(100);
  }
} catch (e) {
  result.error = e instanceof Error ? e.message : String(e);
}
const sa = engine.list().find((s) => s.state === 'ESTABLISHED');
result.established = sa !== undefined;
if (sa) result.sa = { children: sa.children.length, peerIds: sa.peerIds };
const server = servers[0];
if (server) {
  result.server = { outcome: server.outcome ?? 'none', reason: server.reason ?? '', identity: server.identity ?? '' };
}
result.log = lines.filter((l) => /\[(EAP|IKE)\]/.test(l)).slice(-60);
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
await engine.close(false).catch(() => undefined);
process.exit(0);
