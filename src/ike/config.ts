/**
 * IKE's own view of its configuration. The daemon maps swanctl.conf (src/daemon/config) onto these types; IKE does
 * not read files.
 */
import type { KeyObject } from 'node:crypto';
import type { Transform } from '../crypto/types.ts';

/** An identity as it travels in IDi/IDr (RFC 7296 §3.5). */
export interface Identity {
  idType: number;
  data: Uint8Array;
}

/** One local authentication round (RFC 4739 allows several). */
export type LocalAuth =
  | { method: 'psk'; id: Identity }
  | {
      method: 'pubkey';
      id: Identity;
      key: KeyObject;
      /** DER certificates: end entity first, then intermediates. */
      certs: Uint8Array[];
    }
  | {
      /** EAP as the peer (initiator). The method is provided by an EapPeerFactory. */
      method: 'eap';
      id: Identity;
      eapType: string;
      /** Identity sent in EAP-Identity; defaults to the IKE identity. */
      eapId?: string;
    };

/** One remote authentication round: what we require of the peer. */
export interface RemoteAuth {
  /** `any` accepts psk or pubkey (charon's default when `auth` is unset). */
  method: 'psk' | 'pubkey' | 'eap' | 'any';
  /** Required identity; undefined = %any. */
  id?: Identity;
  /** For EAP as the server (responder): the method to run. */
  eapType?: string;
  /** Trust anchors for pubkey (DER); empty = all anchors of the credential store. */
  cacerts?: Uint8Array[];
}

export interface ChildConfig {
  name: string;
  /** CIDR strings, ranges, or `dynamic` (= our IKE address). */
  localTs: string[];
  remoteTs: string[];
  espProposals: Transform[][];
  mode: 'tunnel' | 'transport';
  startAction: 'none' | 'trap' | 'start';
  /** Milliseconds; 0 = never. */
  rekeyTime: number;
  lifeTime: number;
  rekeyBytes: number;
  rekeyPackets: number;
  lifeBytes: number;
  lifePackets: number;
  dpdAction: 'clear' | 'trap' | 'restart';
  closeAction: 'none' | 'trap' | 'start';
}

export interface IkeConnection {
  name: string;
  /** Addresses or %any; the first usable is used to initiate. */
  localAddrs: string[];
  remoteAddrs: string[];
  localPort: number;
  remotePort: number;
  proposals: Transform[][];
  /** Force UDP encapsulation (fake NAT-D, as charon's `encap = yes`). */
  encap: boolean;
  fragmentation: 'yes' | 'accept' | 'force' | 'no';
  /** Largest IKE message we send unfragmented (bytes of UDP payload). */
  fragmentSize: number;
  local: LocalAuth[];
  remote: RemoteAuth[];
  children: ChildConfig[];
  /** Milliseconds; 0 = off. */
  dpdDelay: number;
  rekeyTime: number;
  overTime: number;
  sendCertreq: boolean;
  sendCert: 'always' | 'ifasked' | 'never';
  keyingTries: number;
  /** Require EAP-only authentication (RFC 5998) of ourselves as initiator. */
  eapOnly?: boolean;
}

/** Lookups of secrets and trust anchors, provided by the daemon. */
export interface CredentialStore {
  /** The PSK shared between the two identities (either may be undefined for wildcard entries). */
  psk(local: Identity, remote: Identity | undefined): Uint8Array | undefined;
  /** All trusted CA certificates (DER). */
  trustAnchors(): Uint8Array[];
  /** Intermediate CA certificates that may complete a chain (DER). */
  intermediates?(): Uint8Array[];
}

export const defaultChild = (name: string): ChildConfig => ({
  name,
  localTs: ['dynamic'],
  remoteTs: ['dynamic'],
  espProposals: [],
  mode: 'tunnel',
  startAction: 'none',
  rekeyTime: 3600_000,
  lifeTime: 3960_000,
  rekeyBytes: 0,
  rekeyPackets: 0,
  lifeBytes: 0,
  lifePackets: 0,
  dpdAction: 'clear',
  closeAction: 'none',
});
