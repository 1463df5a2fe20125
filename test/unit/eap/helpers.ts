/**
 * Shared test helpers for EAP: a fresh ECDSA test PKI (CA, TTLS server certificate with a DNS name, client
 * certificate, and one from an unrelated CA) and a loop that runs an EapPeer against an EapServer in process,
 * the way IKE_AUTH carries them (one request, one response per exchange).
 */
import { createCa, issueCert } from '../../../src/daemon/pki/index.ts';
import type { EapOutcome, EapPeer, EapServer } from '../../../src/eap/method.ts';
import { EapCode } from '../../../src/eap/method.ts';

export interface EapTestPki {
  ca: string;
  server: { cert: string; key: string };
  client: { cert: string; key: string };
  stranger: { cert: string; key: string; ca: string };
  serverName: string;
}

let cached: Promise<EapTestPki> | undefined;

export function eapPki(): Promise<EapTestPki> {
  cached ??= (async () => {
    const ca = await createCa({ subject: 'C=CH, O=attestd, CN=EAP Test CA' });
    const serverName = 'aaa.attestd.test';
    const server = await issueCert({ ca, subject: `CN=${serverName}`, san: [serverName] });
    const client = await issueCert({ ca, subject: 'CN=carol.attestd.test', san: ['carol.attestd.test'] });
    const other = await createCa({ subject: 'CN=Other CA' });
    const stranger = await issueCert({ ca: other, subject: 'CN=mallory', san: ['mallory.attestd.test'] });
    return {
      ca: ca.certPem,
      server: { cert: server.certPem, key: server.keyPem },
      client: { cert: client.certPem, key: client.keyPem },
      stranger: { cert: stranger.certPem, key: stranger.keyPem, ca: other.certPem },
      serverName,
    };
  })();
  return cached;
}

export interface Conversation {
  outcome: EapOutcome;
  /** Every packet in order, tagged with its direction. */
  packets: { dir: 'req' | 'res'; bytes: Uint8Array }[];
  peerMsk: Uint8Array | undefined;
  serverMsk: Uint8Array | undefined;
  rounds: number;
}

/** Runs the conversation to its end (or throws what the peer threw). */
export async function converse(peer: EapPeer, server: EapServer, maxRounds = 200): Promise<Conversation> {
  const packets: Conversation['packets'] = [];
  let req = await server.start();
  for (let rounds = 1; rounds <= maxRounds; rounds++) {
    packets.push({ dir: 'req', bytes: req });
    const res = await peer.process(req);
    packets.push({ dir: 'res', bytes: res });
    const step = await server.process(res);
    if (step.outcome) {
      packets.push({ dir: 'req', bytes: step.packet });
      const code = step.packet[0];
      const outcome: EapOutcome = code === EapCode.SUCCESS ? 'success' : 'failure';
      peer.finish(outcome);
      return { outcome, packets, peerMsk: peer.msk(), serverMsk: server.msk(), rounds };
    }
    req = step.packet;
  }
  throw new Error(`no outcome after ${maxRounds} rounds`);
}
