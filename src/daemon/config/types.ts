/**
 * The typed subset of swanctl.conf(5) that attestd understands. Times are in seconds, volumes in bytes, as swanctl
 * writes them; defaults are those of swanctl.conf(5) and charon's vici_config.c.
 */
import type { SettingsSection, SourcePos } from './settings.ts';

/** `connections.<conn>.{local,remote}<suffix>.auth`, reduced to its class (vici_config.c parse_auth). */
export type AuthClass = 'pubkey' | 'psk' | 'eap' | 'any';

/** One authentication round (`local`, `local-1`, `remote-2`, …); several rounds are RFC 4739. */
export interface AuthRound {
  /** Section name as written, e.g. `local-1`. */
  section: string;
  /** `round`; rounds are ordered by it, then by position in the file (as charon does). Default 0. */
  round: number;
  /** `auth`. Local default `pubkey`; remote default `any` (psk or pubkey, charon's behaviour when unset). */
  auth: AuthClass;
  /** The `auth` value as written, if given (e.g. `eap-ttls`, `ecdsa-384-sha384`, `ike:pubkey-sha256`). */
  authRaw: string | undefined;
  /** `eap-<method>`: the method name in lower case (`ttls`, `md5`, `tls`, `pt`, …) or a number; undefined = any. */
  eapType: string | undefined;
  /** `eap-<type>-<vendor>`: the vendor's PEN; 0 for IETF methods. */
  eapVendor: number;
  /** Public key constraints after `pubkey`/`rsa`/`ecdsa`/`ike:`, or after `eap-<m>:`; undefined = none. */
  constraints: string | undefined;
  /** `id`: IKE identity (local: ours; remote: required, wildcards allowed). Undefined = cert subject / %any. */
  id: string | undefined;
  /** `eap_id`: EAP identity (client: sent; server: requested). */
  eapId: string | undefined;
  /** `aaa_id`: server identity an EAP-(T)TLS client expects in the server certificate. */
  aaaId: string | undefined;
  /** `ca_id`: identity a CA of the remote trust chain must have. */
  caId: string | undefined;
  /** `certs`: file names relative to `x509/` (or absolute), or inline `0x…`/`0s…` blobs. */
  certs: string[];
  /** `cacerts`: file names relative to `x509ca/` (or absolute), or inline blobs. */
  cacerts: string[];
  /** `revocation`: strict, ifuri or relaxed (default). */
  revocation: 'strict' | 'ifuri' | 'relaxed';
  at: SourcePos | undefined;
}

/** `start_action` / `close_action`: none, trap, start or both (charon treats the three keys as action flags). */
export type ChildAction = 'none' | 'trap' | 'start' | 'trap|start';
/** `dpd_action`: clear (= none), trap, restart (= start) or both. */
export type DpdAction = 'clear' | 'trap' | 'restart' | 'trap|restart';

export interface ChildConfig {
  name: string;
  /** `local_ts`: traffic selectors as written (validated, see parseTrafficSelector); default `dynamic`. */
  localTs: string[];
  /** `remote_ts`: default `dynamic`. */
  remoteTs: string[];
  /** `esp_proposals`: raw proposal strings for the crypto layer; default `default`. */
  espProposals: string[];
  /** `mode`: tunnel (default) or transport. */
  mode: 'tunnel' | 'transport';
  startAction: ChildAction;
  dpdAction: DpdAction;
  closeAction: ChildAction;
  /** Seconds. Default 1h, or life_time / 1.1 if life_time is set. */
  rekeyTime: number;
  /** Seconds. Default rekey_time * 1.1. */
  lifeTime: number;
  /** Seconds. Default life_time - rekey_time. */
  randTime: number;
  /** Bytes; 0 = off (default, or life_bytes / 1.1). */
  rekeyBytes: number;
  lifeBytes: number;
  randBytes: number;
  /** Packets; 0 = off. */
  rekeyPackets: number;
  lifePackets: number;
  randPackets: number;
  /** `replay_window` (default 32). */
  replayWindow: number;
  at: SourcePos | undefined;
}

export interface ConnectionConfig {
  name: string;
  /** Always 2: attestd speaks IKEv2 only. */
  version: 2;
  /** `local_addrs`: addresses, DNS names, CIDR subnets, ranges or %any (default). */
  localAddrs: string[];
  remoteAddrs: string[];
  /** Default 500 (floats to 4500 on NAT or `encap`). */
  localPort: number;
  remotePort: number;
  /** `proposals`: raw IKE proposal strings for the crypto layer; default `default`. */
  proposals: string[];
  /** `encap`: force UDP encapsulation by faking NAT-D. Default no. */
  encap: boolean;
  /** `fragmentation`: yes (default), accept, force or no. */
  fragmentation: 'yes' | 'accept' | 'force' | 'no';
  /** Seconds; 0 = no DPD (default). */
  dpdDelay: number;
  /** Seconds. Default 4h when neither rekey_time nor reauth_time is set, else 0. */
  rekeyTime: number;
  /** Seconds; 0 = no reauthentication (default). */
  reauthTime: number;
  /** Seconds. Default 10% of the longer of rekey_time and reauth_time. */
  overTime: number;
  /** Seconds. Default min(over_time, rekey/reauth time / 2). */
  randTime: number;
  /** `send_certreq`: default yes. */
  sendCertreq: boolean;
  /** `send_cert`: ifasked (default), always, never. */
  sendCert: 'always' | 'ifasked' | 'never';
  /** `keyingtries`: default 1; 0 = forever. */
  keyingtries: number;
  /** `unique`: no (default), never, keep, replace. */
  unique: 'never' | 'no' | 'keep' | 'replace';
  /** `mobike`: default yes (parsed; attestd does not implement MOBIKE). */
  mobike: boolean;
  /** Local rounds in order (at least one). */
  local: AuthRound[];
  /** Remote rounds in order (at least one). */
  remote: AuthRound[];
  children: ChildConfig[];
  at: SourcePos | undefined;
}

/** Shared secrets (`ike…`, `eap…`, `xauth…`, `ntlm…`, `ppk…` sections). */
export interface SharedSecret {
  kind: 'shared';
  /** Section prefix. */
  type: 'ike' | 'eap' | 'xauth' | 'ntlm' | 'ppk';
  /** Section name, e.g. `ike-moon`. */
  name: string;
  /** Values of the `id…` keys; empty = any identity. */
  ids: string[];
  /** The secret: `0x` hex, `0s` base64, else the UTF-8 text. */
  data: Uint8Array;
}

/** Decryption passphrases for private keys (`private…`, `rsa…`, `ecdsa…`, `pkcs8…`, `pkcs12…` sections). */
export interface KeyPassphrase {
  kind: 'passphrase';
  type: 'private' | 'rsa' | 'ecdsa' | 'pkcs8' | 'pkcs12';
  name: string;
  /** File name relative to the folder of `type` (e.g. `private/`). */
  file: string;
  /** All `secret…` values, tried in order. */
  secrets: string[];
}

export type Secret = SharedSecret | KeyPassphrase;

export interface SwanctlConfig {
  /** `connections.<conn>` in file order. */
  connections: ConnectionConfig[];
  secrets: Secret[];
  /**
   * The top-level `attestd { }` section, untyped (the daemon types it). swanctl reads only `connections`,
   * `secrets`, `pools` and `authorities`, so this section is invisible to strongSwan.
   */
  attestd: SettingsSection | undefined;
  /** The whole parsed tree, for anything not typed here. */
  tree: SettingsSection;
}

export interface SwanctlParseResult {
  config: SwanctlConfig;
  /** Ignored or unknown keys and sections, each `file:line:column: message`. */
  warnings: string[];
}
