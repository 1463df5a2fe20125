/**
 * The state of one IKE SA (RFC 7296 §2): SPIs, role, negotiated suite, keys, nonces, the IKE_SA_INIT messages
 * needed for AUTH, peer capabilities, children. Exchange logic lives in tasks; message ids, retransmission and
 * fragments in the task manager.
 */
import { wipe } from '../../common/bytes.ts';
import type { Rng } from '../../common/rng.ts';
import { createPrf, createSkCrypto } from '../../crypto/index.ts';
import type { IkeKeys, Prf, SkCrypto, Suite } from '../../crypto/types.ts';
import type { IkeConnection, Identity } from '../config.ts';
import type { Endpoint } from '../dataplane.ts';
import type { ChildSa } from './child-sa.ts';

export const IkeState = {
  CREATED: 'CREATED',
  CONNECTING: 'CONNECTING',
  ESTABLISHED: 'ESTABLISHED',
  REKEYING: 'REKEYING',
  REKEYED: 'REKEYED',
  DELETING: 'DELETING',
  DESTROYED: 'DESTROYED',
} as const;
export type IkeStateName = (typeof IkeState)[keyof typeof IkeState];

let nextIkeId = 1;

/** What the peer told us it supports in IKE_SA_INIT. */
export interface PeerSupport {
  fragmentation: boolean;
  multipleAuth: boolean;
  /** RFC 7427 hash algorithm ids from N(SIGNATURE_HASH_ALGORITHMS); empty = not sent. */
  signatureHashes: number[];
}

/** The result of authenticating the peer, round by round. */
export interface PeerAuthResult {
  method: 'psk' | 'pubkey' | 'eap';
  id: Identity;
  /** Subject DN of the peer's end-entity certificate, when pubkey. */
  certSubject?: string;
  eapType?: string;
}

export class IkeSa {
  readonly id = nextIkeId++;
  /** True on the side that sent the IKE_SA_INIT request of this SA (changes meaning after an IKE rekey). */
  readonly initiator: boolean;
  conn: IkeConnection;
  state: IkeStateName = IkeState.CREATED;
  spiI: bigint;
  spiR = 0n;
  local: Endpoint;
  remote: Endpoint;
  /** NAT detected on our side / the peer's side (or faked by `encap = yes`). */
  natHere = false;
  natThere = false;

  suite: Suite | undefined;
  prf: Prf | undefined;
  skD: Uint8Array | undefined;
  skPi: Uint8Array | undefined;
  skPr: Uint8Array | undefined;
  /** SK payload crypto for messages we send and messages we receive. */
  skOut: SkCrypto | undefined;
  skIn: SkCrypto | undefined;
  #keys: IkeKeys | undefined;

  ni: Uint8Array = new Uint8Array(0);
  nr: Uint8Array = new Uint8Array(0);
  /** IKE_SA_INIT request and response as they were on the wire (RealMessage1/2 of RFC 7296 §2.15). */
  initRequest: Uint8Array = new Uint8Array(0);
  initResponse: Uint8Array = new Uint8Array(0);

  peer: PeerSupport = { fragmentation: false, multipleAuth: false, signatureHashes: [] };
  /** CERTREQ authority hashes the peer sent (20-byte SHA-1 each, concatenated per payload). */
  certreqs: Uint8Array[] = [];
  /** True once every authentication round of both sides completed. */
  authComplete = false;
  /** Verdict of the authorization hook (attestation), once run. */
  authorization: { decision: 'allow' | 'isolate' | 'deny'; reasons: string[]; isolateTs?: string[] } | undefined;
  /** The identity the peer claimed in IDi/IDr (before it is authenticated; see peerAuth for what was proved). */
  peerId: Identity | undefined;
  /** Identities used so far (per round), ours and the peer's. */
  localIds: Identity[] = [];
  peerAuth: PeerAuthResult[] = [];
  readonly children: ChildSa[] = [];

  createdAt: number;
  establishedAt = 0;
  /** Last time any authenticated message arrived from the peer (for liveness checks). */
  lastInbound = 0;
  /** Set on an SA that replaced another in an IKE rekey. */
  rekeyOf: number | undefined;
  /** Free-form status lines (attestation verdicts etc.) shown by list-sas. */
  readonly notes: string[] = [];

  constructor(opts: { initiator: boolean; conn: IkeConnection; spiI: bigint; local: Endpoint; remote: Endpoint; now: number }) {
    this.initiator = opts.initiator;
    this.conn = opts.conn;
    this.spiI = opts.spiI;
    this.local = opts.local;
    this.remote = opts.remote;
    this.createdAt = opts.now;
  }

  /** Our SPI and the peer's. */
  get spiLocal(): bigint {
    return this.initiator ? this.spiI : this.spiR;
  }
  get spiRemote(): bigint {
    return this.initiator ? this.spiR : this.spiI;
  }

  /** UDP encapsulation is needed when either side is behind a NAT (or it was forced). */
  get encap(): boolean {
    return this.natHere || this.natThere;
  }

  /** Installs freshly derived keys and builds the SK crypto for both directions. */
  setKeys(suite: Suite, keys: IkeKeys, rng: Rng): void {
    this.wipeKeys();
    this.suite = suite;
    this.prf = createPrf(suite.prf ?? 0);
    this.#keys = keys;
    this.skD = keys.skD;
    this.skPi = keys.skPi;
    this.skPr = keys.skPr;
    const i = createSkCrypto(suite, keys.skEi, keys.skAi, rng);
    const r = createSkCrypto(suite, keys.skEr, keys.skAr, rng);
    this.skOut = this.initiator ? i : r;
    this.skIn = this.initiator ? r : i;
  }

  /** Zeroes key material (RFC-recommended hygiene; STYLE practice 9). */
  wipeKeys(): void {
    if (this.#keys) {
      const k = this.#keys;
      wipe(k.skD, k.skAi, k.skAr, k.skEi, k.skEr, k.skPi, k.skPr);
    }
    this.#keys = undefined;
    this.skOut = this.skIn = undefined;
  }

  /** A short label for logs: `name[id]`. */
  get label(): string {
    return `${this.conn.name}[${this.id}]`;
  }
}

export function spiHex(spi: bigint): string {
  return spi.toString(16).padStart(16, '0');
}
