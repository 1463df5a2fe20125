/**
 * Maps the swanctl.conf model (src/daemon/config) onto IKE's runtime configuration and credential store, with
 * charon's defaults where the file is silent: a local identity from the certificate subject or the local address,
 * EAP-only authentication requested when the peer must authenticate with EAP, fragments of 1280 bytes.
 */
import { equal } from '../common/bytes.ts';
import { ConfigError } from '../common/errors.ts';
import { parseProposals } from '../crypto/index.ts';
import type { Transform } from '../crypto/types.ts';
import type {
  ChildConfig as IkeChildConfig,
  CredentialStore,
  Identity,
  IkeConnection,
  LocalAuth,
  RemoteAuth,
} from '../ike/config.ts';
import { idFromCert } from '../ike/auth/certs.ts';
import { idFromString } from '../ike/message/index.ts';
import type { Credentials } from './config/credentials.ts';
import type { AuthRound, ChildConfig, ConnectionConfig, SharedSecret, SwanctlConfig } from './config/types.ts';

const seconds = (s: number) => Math.round(s * 1000);

function proposals(list: string[], proto: 'ike' | 'esp', where: string): Transform[][] {
  try {
    return parseProposals(list.join(','), proto);
  } catch (e) {
    throw new ConfigError(`${where}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

function concreteAddr(list: string[]): string | undefined {
  return list.find((a) => a !== '%any' && !a.includes('/') && !a.includes('-') && /^[0-9a-f.:]+$/i.test(a));
}

function identity(text: string | undefined, fallback: () => Identity | undefined, where: string): Identity | undefined {
  if (text === undefined || text === '%any') return fallback();
  try {
    return idFromString(text);
  } catch (e) {
    throw new ConfigError(`${where}: invalid identity '${text}'`, { cause: e });
  }
}

function localRound(conn: ConnectionConfig, r: AuthRound, creds: Credentials): LocalAuth {
  const where = `connections.${conn.name}.${r.section}`;
  const addr = concreteAddr(conn.localAddrs);
  const addrId = () => (addr ? idFromString(addr) : undefined);
  switch (r.auth) {
    case 'psk': {
      const id = identity(r.id, addrId, where);
      if (!id) throw new ConfigError(`${where}: needs an id (or a concrete local_addrs)`);
      return { method: 'psk', id };
    }
    case 'eap': {
      const firstCert = r.certs[0] ? creds.cert(r.certs[0]) : undefined;
      const id = identity(r.id, () => (firstCert ? idFromCert(new Uint8Array(firstCert.rawData)) : addrId()), where);
      if (!id) throw new ConfigError(`${where}: needs an id`);
      return { method: 'eap', id, eapType: r.eapType ?? 'md5', ...(r.eapId ? { eapId: r.eapId } : {}) };
    }
    case 'pubkey':
    case 'any': {
      const ref = r.certs[0];
      if (!ref) throw new ConfigError(`${where}: auth = pubkey needs certs`);
      const cert = creds.cert(ref);
      const key = creds.findKeyFor(cert);
      if (!key) throw new ConfigError(`${where}: no private key for certificate ${ref}`);
      const der = new Uint8Array(cert.rawData);
      const id = identity(r.id, () => idFromCert(der), where)!;
      const certs = [der, ...r.certs.slice(1).map((c) => new Uint8Array(creds.cert(c).rawData))];
      return { method: 'pubkey', id, key: key.key, certs };
    }
  }
}

function remoteRound(conn: ConnectionConfig, r: AuthRound, creds: Credentials): RemoteAuth {
  const where = `connections.${conn.name}.${r.section}`;
  const out: RemoteAuth = { method: r.auth };
  const id = identity(r.id, () => undefined, where);
  if (id) out.id = id;
  if (r.eapType) out.eapType = r.eapType;
  if (r.cacerts.length) out.cacerts = r.cacerts.map((c) => new Uint8Array(creds.cacert(c).rawData));
  return out;
}

function child(conn: ConnectionConfig, c: ChildConfig): IkeChildConfig {
  const action = (a: string) =>
    (a.includes('start') ? 'start' : a.includes('trap') ? 'trap' : 'none') as 'none' | 'trap' | 'start';
  return {
    name: c.name,
    localTs: c.localTs,
    remoteTs: c.remoteTs,
    espProposals: proposals(c.espProposals, 'esp', `connections.${conn.name}.children.${c.name}.esp_proposals`),
    mode: c.mode,
    startAction: action(c.startAction),
    closeAction: action(c.closeAction),
    dpdAction: c.dpdAction.includes('restart') ? 'restart' : c.dpdAction.includes('trap') ? 'trap' : 'clear',
    rekeyTime: seconds(c.rekeyTime),
    lifeTime: seconds(c.lifeTime),
    rekeyBytes: c.rekeyBytes,
    lifeBytes: c.lifeBytes,
    rekeyPackets: c.rekeyPackets,
    lifePackets: c.lifePackets,
  };
}

export interface WiringOptions {
  /** charon.fragment_size (default 1280). */
  fragmentSize?: number;
}

export function ikeConnections(config: SwanctlConfig, creds: Credentials, opts: WiringOptions = {}): IkeConnection[] {
  return config.connections.map((conn) => ({
    name: conn.name,
    localAddrs: conn.localAddrs,
    remoteAddrs: conn.remoteAddrs,
    localPort: conn.localPort,
    remotePort: conn.remotePort,
    proposals: proposals(conn.proposals, 'ike', `connections.${conn.name}.proposals`),
    encap: conn.encap,
    fragmentation: conn.fragmentation,
    fragmentSize: opts.fragmentSize ?? 1280,
    local: conn.local.map((r) => localRound(conn, r, creds)),
    remote: conn.remote.map((r) => remoteRound(conn, r, creds)),
    children: conn.children.map((c) => child(conn, c)),
    dpdDelay: seconds(conn.dpdDelay),
    rekeyTime: seconds(conn.rekeyTime),
    overTime: seconds(conn.overTime),
    sendCertreq: conn.sendCertreq,
    sendCert: conn.sendCert,
    keyingTries: conn.keyingtries,
    // charon asks for EAP-only authentication when the responder must authenticate with EAP (RFC 5998).
    eapOnly: conn.remote[0]?.auth === 'eap',
  }));
}

/** PSKs and EAP secrets from `secrets`, trust anchors from `x509ca/`. */
export function credentialStore(
  config: SwanctlConfig,
  creds: Credentials,
): CredentialStore & { eapSecret(id: string): Uint8Array | undefined } {
  const shared = config.secrets.filter((s): s is SharedSecret => s.kind === 'shared');
  const ike = shared
    .filter((s) => s.type === 'ike')
    .map((s) => ({ ids: s.ids.map((i) => (i === '%any' ? undefined : idFromString(i))), data: s.data }));
  const matches = (ids: (Identity | undefined)[], id: Identity | undefined) =>
    ids.length === 0 ||
    ids.some((x) => x === undefined || (id !== undefined && x.idType === id.idType && equal(x.data, id.data)));
  const anchors = [...creds.cas.values()].map((c) => new Uint8Array(c.rawData));
  return {
    psk(local, remote) {
      // Prefer a secret naming both identities, as charon's shared-key lookup ranks matches.
      let best: { data: Uint8Array; score: number } | undefined;
      for (const s of ike) {
        const l = matches(s.ids, local);
        const r = remote === undefined || matches(s.ids, remote);
        if (!l || !r) continue;
        const score = s.ids.length === 0 ? 1 : 2 + s.ids.length;
        if (!best || score > best.score) best = { data: s.data, score };
      }
      return best?.data;
    },
    trustAnchors: () => anchors,
    eapSecret(id: string) {
      return shared.find((s) => s.type === 'eap' && (s.ids.length === 0 || s.ids.includes(id)))?.data;
    },
  };
}
