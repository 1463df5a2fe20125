/**
 * The TPM 2.0 client: typed wrappers over `execute` (command.ts) for the commands of commands.ts; password
 * (TPM_RS_PW), policy and HMAC session authorizations (session.ts); and helpers that never leak transient handles
 * (`withTransient`, `withEkPolicy`, `flushQuietly`). Each command publishes `tpm:command` and, at log level raw,
 * dumps its bytes.
 */
import { concat } from '../common/bytes.ts';
import { StateError } from '../common/errors.ts';
import { publish } from '../common/diag.ts';
import { silentLogger } from '../common/log.ts';
import type { Logger } from '../common/log.ts';
import { systemRng } from '../common/rng.ts';
import type { Rng } from '../common/rng.ts';
import { nameOf } from '../common/names.ts';
import { execute } from './command.ts';
import type { Command, CommandArgs, CommandResult } from './command.ts';
import * as CC from './commands.ts';
import { marshal, unmarshal } from './marshal.ts';
import { TPMA_SESSION, pcrIndices, pcrSelectBytes } from './types/basic.ts';
import type { TPMS_AUTH_COMMAND, TPML_PCR_SELECTION, TPMT_HA } from './types/basic.ts';
import type { TPMS_CAPABILITY_DATA, TPMS_TAGGED_PROPERTY } from './types/capability.ts';
import {
  DIGEST_SIZE,
  HANDLE_RANGE,
  TPM_ALG,
  TPM_CAP,
  TPM_CC_NAMES,
  TPM_HT,
  TPM_PT,
  TPM_RH,
  TPM_RS_PW,
  TPM_SE,
  TPM_SU,
} from './types/constants.ts';
import type { TPMS_CONTEXT } from './types/context.ts';
import type { TPMS_NV_PUBLIC } from './types/nv.ts';
import { TPMT_PUBLIC } from './types/public.ts';
import type { TPMT_SIG_SCHEME } from './types/public.ts';
import type { TPMT_SIGNATURE } from './types/signature.ts';
import { RC, TpmError } from './rc.ts';
import { HmacSession, checkResponseHmac, cpHash, rpHash, sessionHmac, trimAuth } from './session.ts';
import { handleName } from './keys.ts';
import type { Transport } from './transport/transport.ts';

/** An authorization for one handle: a password (TPM_RS_PW) or a session the caller started. */
export type Auth =
  | { kind: 'password'; value?: Uint8Array }
  | { kind: 'session'; handle: number }
  | { kind: 'hmac'; session: HmacSession; authValue?: Uint8Array };

export const passwordAuth = (value: Uint8Array = new Uint8Array(0)): Auth => ({ kind: 'password', value });
export const sessionAuth = (handle: number): Auth => ({ kind: 'session', handle });
/** Authorization by an HMAC session over `authValue` (the entity's auth value, empty by default). */
export const hmacAuth = (session: HmacSession, authValue: Uint8Array = new Uint8Array(0)): Auth => ({
  kind: 'hmac',
  session,
  authValue,
});

export interface TpmOptions {
  log?: Logger;
  rng?: Rng;
}

/** A loaded object: handle, its public area, and its Name. */
export interface LoadedObject {
  handle: number;
  public: TPMT_PUBLIC;
  /** The marshaled TPMT_PUBLIC (what the Name hashes). */
  publicBytes: Uint8Array;
  name: Uint8Array;
}

/** An object created under a parent (not yet loaded). */
export interface CreatedObject {
  private: Uint8Array;
  public: TPMT_PUBLIC;
}

export interface PcrValues {
  /** Bank (TPM_ALG_ID) → PCR index → value. */
  banks: Map<number, Map<number, Uint8Array>>;
  updateCounter: number;
}

export interface QuoteResult {
  /** The TPMS_ATTEST bytes that were signed. */
  quoted: Uint8Array;
  signature: TPMT_SIGNATURE;
}

const EMPTY = new Uint8Array(0);
const RETRYABLE = new Set([RC.RETRY, RC.YIELDED, RC.TESTING]);

export class Tpm {
  readonly transport: Transport;
  readonly #log: Logger;
  readonly #rng: Rng;

  constructor(transport: Transport, opts: TpmOptions = {}) {
    this.transport = transport;
    this.#log = opts.log ?? silentLogger;
    this.#rng = opts.rng ?? systemRng;
  }

  /** The Name of each handle, for cpHash (Part 1 §16): the handle itself, or an object's/NV index's Name. */
  async #names(handles: readonly number[]): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for (const h of handles) {
      const ht = h >>> 24;
      if (ht === TPM_HT.TRANSIENT || ht === TPM_HT.PERSISTENT) out.push((await this.readPublic(h)).name);
      else if (ht === TPM_HT.NV_INDEX) out.push((await this.nvReadPublic(h)).name);
      else out.push(handleName(h));
    }
    return out;
  }

  async #authArea(
    cmd: Command<unknown, unknown>,
    auths: readonly Auth[],
    handles: readonly number[],
    params: Uint8Array,
  ): Promise<{ area: TPMS_AUTH_COMMAND[]; nonces: Uint8Array[] }> {
    const needNames = auths.some((a) => a.kind === 'hmac');
    const names = needNames ? await this.#names(handles) : [];
    const nonces: Uint8Array[] = [];
    const attrs = TPMA_SESSION.of('continueSession');
    const area = auths.map((a): TPMS_AUTH_COMMAND => {
      if (a.kind === 'password') {
        nonces.push(EMPTY);
        return { sessionHandle: TPM_RS_PW, nonce: EMPTY, sessionAttributes: attrs, hmac: a.value ?? EMPTY };
      }
      if (a.kind === 'session') {
        const nonce = this.#rng(16);
        nonces.push(nonce);
        return { sessionHandle: a.handle, nonce, sessionAttributes: attrs, hmac: EMPTY };
      }
      const s = a.session;
      const nonce = this.#rng(DIGEST_SIZE.get(s.authHash) ?? 32);
      nonces.push(nonce);
      const key = concat(s.sessionKey, trimAuth(a.authValue ?? EMPTY));
      const hmac = sessionHmac(
        s.authHash,
        key,
        cpHash(s.authHash, cmd.code, names, params),
        nonce,
        s.nonceTPM,
        TPMA_SESSION.toNumber(attrs),
      );
      return { sessionHandle: s.handle, nonce, sessionAttributes: attrs, hmac };
    });
    return { area, nonces };
  }

  /** Checks the response HMAC of each HMAC session and rolls its nonceTPM. */
  #checkResponse(
    cmd: Command<unknown, unknown>,
    auths: readonly Auth[],
    nonces: Uint8Array[],
    result: CommandResult<unknown>,
  ): void {
    auths.forEach((a, i) => {
      if (a.kind !== 'hmac') return;
      const r = result.auths[i]!;
      const s = a.session;
      const key = concat(s.sessionKey, trimAuth(a.authValue ?? EMPTY));
      const expect = sessionHmac(
        s.authHash,
        key,
        rpHash(s.authHash, cmd.code, result.rawParams),
        r.nonce,
        nonces[i]!,
        TPMA_SESSION.toNumber(r.sessionAttributes),
      );
      checkResponseHmac(`TPM2_${cmd.name}`, expect, r.hmac);
      s.nonceTPM = r.nonce;
    });
  }

  /** Runs one command (the single path: encode → transport → decode), logging and publishing `tpm:command`. */
  async run<Req, Rsp>(
    cmd: Command<Req, Rsp>,
    args: Omit<CommandArgs<Req>, 'auths'> & { auths?: readonly Auth[] },
  ): Promise<CommandResult<Rsp>> {
    const t0 = performance.now();
    const send = (b: Uint8Array) => {
      this.#log.dump('TPM', `TPM2_${cmd.name} command`, b);
      return this.transport.send(b).then((r) => {
        this.#log.dump('TPM', `TPM2_${cmd.name} response`, r);
        return r;
      });
    };
    let rc = 0;
    try {
      const full: CommandArgs<Req> = { params: args.params };
      if (args.handles) full.handles = args.handles;
      const paramBytes = args.auths?.some((a) => a.kind === 'hmac') ? marshal(cmd.request, args.params) : EMPTY;
      for (let attempt = 0; ; attempt++) {
        let nonces: Uint8Array[] = [];
        if (args.auths) {
          const built = await this.#authArea(
            cmd as Command<unknown, unknown>,
            args.auths,
            args.handles ?? [],
            paramBytes,
          );
          full.auths = built.area;
          nonces = built.nonces;
        }
        try {
          const result = await execute(send, cmd, full);
          if (args.auths)
            this.#checkResponse(cmd as Command<unknown, unknown>, args.auths, nonces, result as CommandResult<unknown>);
          return result;
        } catch (e) {
          // TPM_RC_RETRY, TPM_RC_YIELDED, TPM_RC_TESTING: the TPM asks for the same command again (Part 2 §6.6.3).
          if (!(e instanceof TpmError && RETRYABLE.has(e.base)) || attempt >= 20) throw e;
          await new Promise((r) => setTimeout(r, Math.min(5 * 2 ** attempt, 200)));
        }
      }
    } catch (e) {
      if (e instanceof TpmError) rc = e.rc;
      this.#log.debug('TPM', `TPM2_${cmd.name} failed`, { error: e instanceof Error ? e.message : String(e) });
      throw e;
    } finally {
      const ms = performance.now() - t0;
      publish('tpm:command', { cc: nameOf(TPM_CC_NAMES, cmd.code), ms, rc });
      this.#log.trace('TPM', `TPM2_${cmd.name}`, { ms: Math.round(ms), rc });
    }
  }

  // ----- Startup, random, capabilities ------------------------------------------------------------------------

  async startup(type: 'clear' | 'state' = 'clear'): Promise<void> {
    await this.run(CC.Startup, { params: { startupType: type === 'clear' ? TPM_SU.CLEAR : TPM_SU.STATE } });
  }

  /** Startup(CLEAR) that tolerates an already started TPM (TPM_RC_INITIALIZE). */
  async ensureStarted(): Promise<void> {
    try {
      await this.startup('clear');
    } catch (e) {
      if (!(e instanceof TpmError && e.is(RC.INITIALIZE))) throw e;
    }
  }

  async shutdown(type: 'clear' | 'state' = 'clear'): Promise<void> {
    await this.run(CC.Shutdown, { params: { shutdownType: type === 'clear' ? TPM_SU.CLEAR : TPM_SU.STATE } });
  }

  /** Random bytes from the TPM (several calls when n exceeds what one answer carries). */
  async getRandom(n: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let have = 0;
    while (have < n) {
      const want = Math.min(32, n - have);
      const r = await this.run(CC.GetRandom, { params: { bytesRequested: want } });
      const b = r.params.randomBytes;
      if (b.byteLength === 0) throw new StateError('TPM2_GetRandom returned no bytes');
      parts.push(b.subarray(0, Math.min(b.byteLength, want)));
      have += Math.min(b.byteLength, want);
    }
    return concat(...parts);
  }

  async getCapability(
    capability: number,
    property: number,
    count: number,
  ): Promise<{ moreData: boolean; data: TPMS_CAPABILITY_DATA }> {
    const r = await this.run(CC.GetCapability, { params: { capability, property, propertyCount: count } });
    if (r.params.capabilityData.capability !== capability) {
      throw new StateError(
        `TPM2_GetCapability answered capability ${r.params.capabilityData.capability} for ${capability}`,
      );
    }
    return { moreData: r.params.moreData, data: r.params.capabilityData };
  }

  /** All TPM properties from `first` on (fixed 0x100…, variable 0x200…), following moreData. */
  async properties(first: number = TPM_PT.FAMILY_INDICATOR, last = 0x2ff): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    let next = first;
    for (let i = 0; i < 32; i++) {
      const { moreData, data } = await this.getCapability(TPM_CAP.TPM_PROPERTIES, next, 64);
      const list = data.data as TPMS_TAGGED_PROPERTY[];
      for (const p of list) if (p.property <= last) out.set(p.property, p.value);
      const lastSeen = list.at(-1)?.property;
      if (!moreData || lastSeen === undefined || lastSeen >= last) break;
      next = lastSeen + 1;
    }
    return out;
  }

  /** Active PCR banks and their selected PCRs (TPM_CAP_PCRS). */
  async pcrBanks(): Promise<{ hash: number; pcrs: number[] }[]> {
    const { data } = await this.getCapability(TPM_CAP.PCRS, 0, 1);
    return (data.data as TPML_PCR_SELECTION).map((s) => ({ hash: s.hash, pcrs: pcrIndices(s.pcrSelect) }));
  }

  /** Implemented algorithms (TPM_CAP_ALGS). */
  async algorithms(): Promise<{ alg: number; algProperties: number }[]> {
    const { data } = await this.getCapability(TPM_CAP.ALGS, 0, 128);
    return data.data as { alg: number; algProperties: number }[];
  }

  /** Handles in the range that starts at `first` (e.g. HANDLE_RANGE.TRANSIENT), following moreData. */
  async handles(first: number): Promise<number[]> {
    const out: number[] = [];
    const top = first >>> 24;
    let next = first;
    for (let i = 0; i < 64; i++) {
      const { moreData, data } = await this.getCapability(TPM_CAP.HANDLES, next, 64);
      const list = (data.data as number[]).filter((h) => h >>> 24 === top);
      out.push(...list);
      const last = list.at(-1);
      if (!moreData || last === undefined) break;
      next = last + 1;
    }
    return out;
  }

  // ----- PCRs ---------------------------------------------------------------------------------------------------

  /** Reads PCRs of several banks, looping because one TPM2_PCR_Read answers at most 8 values. */
  async pcrRead(selection: { hash: number; pcrs: readonly number[] }[]): Promise<PcrValues> {
    const banks = new Map<number, Map<number, Uint8Array>>();
    let updateCounter = 0;
    for (const sel of selection) {
      const values = new Map<number, Uint8Array>();
      banks.set(sel.hash, values);
      let pending = [...new Set(sel.pcrs)].sort((a, b) => a - b);
      for (let guard = 0; pending.length && guard < 64; guard++) {
        const r = await this.run(CC.PCR_Read, {
          params: { pcrSelectionIn: [{ hash: sel.hash, pcrSelect: pcrSelectBytes(pending) }] },
        });
        updateCounter = r.params.pcrUpdateCounter;
        const got = r.params.pcrSelectionOut.flatMap((s) => (s.hash === sel.hash ? pcrIndices(s.pcrSelect) : []));
        if (!got.length)
          throw new StateError(`TPM2_PCR_Read returned nothing for bank 0x${sel.hash.toString(16)} (inactive?)`);
        if (got.length !== r.params.pcrValues.length)
          throw new StateError('TPM2_PCR_Read: selection and value counts differ');
        got.forEach((pcr, i) => values.set(pcr, r.params.pcrValues[i]!));
        pending = pending.filter((p) => !values.has(p));
      }
    }
    return { banks, updateCounter };
  }

  /** Extends one PCR in each bank given (digest sizes must match the banks). */
  async pcrExtend(pcr: number, digests: TPMT_HA[], auth: Auth = passwordAuth()): Promise<void> {
    await this.run(CC.PCR_Extend, { handles: [pcr], auths: [auth], params: { digests } });
  }

  /** Hashes `data` in every active bank and extends the PCR; returns the per-bank digests. */
  async pcrEvent(pcr: number, data: Uint8Array, auth: Auth = passwordAuth()): Promise<TPMT_HA[]> {
    const r = await this.run(CC.PCR_Event, { handles: [pcr], auths: [auth], params: { eventData: data } });
    return r.params.digests;
  }

  // ----- Objects ------------------------------------------------------------------------------------------------

  async createPrimary(
    hierarchy: number,
    template: TPMT_PUBLIC,
    opts: { hierarchyAuth?: Auth; userAuth?: Uint8Array } = {},
  ): Promise<LoadedObject> {
    const r = await this.run(CC.CreatePrimary, {
      handles: [hierarchy],
      auths: [opts.hierarchyAuth ?? passwordAuth()],
      params: {
        inSensitive: { userAuth: opts.userAuth ?? EMPTY, data: EMPTY },
        inPublic: template,
        outsideInfo: EMPTY,
        creationPCR: [],
      },
    });
    return {
      handle: r.handle,
      public: r.params.outPublic,
      publicBytes: marshal(TPMT_PUBLIC, r.params.outPublic),
      name: r.params.name,
    };
  }

  async create(
    parent: number,
    template: TPMT_PUBLIC,
    parentAuth: Auth,
    userAuth: Uint8Array = EMPTY,
  ): Promise<CreatedObject> {
    const r = await this.run(CC.Create, {
      handles: [parent],
      auths: [parentAuth],
      params: { inSensitive: { userAuth, data: EMPTY }, inPublic: template, outsideInfo: EMPTY, creationPCR: [] },
    });
    return { private: r.params.outPrivate, public: r.params.outPublic };
  }

  async load(parent: number, obj: CreatedObject, parentAuth: Auth): Promise<LoadedObject> {
    const r = await this.run(CC.Load, {
      handles: [parent],
      auths: [parentAuth],
      params: { inPrivate: obj.private, inPublic: obj.public },
    });
    return { handle: r.handle, public: obj.public, publicBytes: marshal(TPMT_PUBLIC, obj.public), name: r.params.name };
  }

  async readPublic(handle: number): Promise<LoadedObject & { qualifiedName: Uint8Array }> {
    const r = await this.run(CC.ReadPublic, { handles: [handle], params: {} });
    return {
      handle,
      public: r.params.outPublic,
      publicBytes: marshal(TPMT_PUBLIC, r.params.outPublic),
      name: r.params.name,
      qualifiedName: r.params.qualifiedName,
    };
  }

  async flush(handle: number): Promise<void> {
    await this.run(CC.FlushContext, { params: { flushHandle: handle } });
  }

  /** Persists a transient object at `persistent` (or, given a persistent handle as `object`, evicts it). */
  async evictControl(
    object: number,
    persistent: number,
    auth: Auth = passwordAuth(),
    hierarchy: number = TPM_RH.OWNER,
  ): Promise<void> {
    await this.run(CC.EvictControl, {
      handles: [hierarchy, object],
      auths: [auth],
      params: { persistentHandle: persistent },
    });
  }

  async quote(
    key: number,
    nonce: Uint8Array,
    selection: TPML_PCR_SELECTION,
    scheme: TPMT_SIG_SCHEME,
    auth: Auth = passwordAuth(),
  ): Promise<QuoteResult> {
    const r = await this.run(CC.Quote, {
      handles: [key],
      auths: [auth],
      params: { qualifyingData: nonce, inScheme: scheme, PCRselect: selection },
    });
    return { quoted: r.params.quoted, signature: r.params.signature };
  }

  async certify(
    object: number,
    signer: number,
    nonce: Uint8Array,
    scheme: TPMT_SIG_SCHEME,
    auths: [Auth, Auth] = [passwordAuth(), passwordAuth()],
  ): Promise<{ certifyInfo: Uint8Array; signature: TPMT_SIGNATURE }> {
    const r = await this.run(CC.Certify, {
      handles: [object, signer],
      auths,
      params: { qualifyingData: nonce, inScheme: scheme },
    });
    return r.params;
  }

  // ----- NV -----------------------------------------------------------------------------------------------------

  async nvReadPublic(index: number): Promise<{ nvPublic: TPMS_NV_PUBLIC; name: Uint8Array }> {
    const r = await this.run(CC.NV_ReadPublic, { handles: [index], params: {} });
    return { nvPublic: r.params.nvPublic, name: r.params.nvName };
  }

  /** Reads a whole NV index in chunks (authorized by the index itself when AUTHREAD, else by the owner). */
  async nvRead(index: number, auth: Auth = passwordAuth()): Promise<Uint8Array> {
    const { nvPublic } = await this.nvReadPublic(index);
    const authHandle = nvPublic.attributes.AUTHREAD ? index : nvPublic.attributes.OWNERREAD ? TPM_RH.OWNER : index;
    const props = await this.properties(TPM_PT.NV_BUFFER_MAX, TPM_PT.NV_BUFFER_MAX);
    const chunk = Math.min(props.get(TPM_PT.NV_BUFFER_MAX) ?? 512, 1024);
    const parts: Uint8Array[] = [];
    for (let off = 0; off < nvPublic.dataSize; off += chunk) {
      const size = Math.min(chunk, nvPublic.dataSize - off);
      const r = await this.run(CC.NV_Read, {
        handles: [authHandle, index],
        auths: [auth],
        params: { size, offset: off },
      });
      parts.push(r.params.data);
    }
    return concat(...parts);
  }

  // ----- Sessions -----------------------------------------------------------------------------------------------

  /** An unsalted, unbound session (TPM_RH_NULL for tpmKey and bind), no parameter encryption. */
  async startAuthSession(
    type: 'hmac' | 'policy' | 'trial',
    authHash: number = TPM_ALG.SHA256,
  ): Promise<{ handle: number; nonceTPM: Uint8Array }> {
    const r = await this.run(CC.StartAuthSession, {
      handles: [TPM_RH.NULL, TPM_RH.NULL],
      params: {
        nonceCaller: this.#rng(DIGEST_SIZE.get(authHash) ?? 32),
        encryptedSalt: EMPTY,
        sessionType: type === 'hmac' ? TPM_SE.HMAC : type === 'policy' ? TPM_SE.POLICY : TPM_SE.TRIAL,
        symmetric: { algorithm: TPM_ALG.NULL, keyBits: null, mode: null },
        authHash,
      },
    });
    return { handle: r.handle, nonceTPM: r.params.nonceTPM };
  }

  /** TPM2_PolicySecret: asserts knowledge of `authHandle`'s auth value (e.g. TPM_RH_ENDORSEMENT) in a session. */
  async policySecret(
    authHandle: number,
    session: number,
    auth: Auth = passwordAuth(),
    nonceTPM: Uint8Array = EMPTY,
  ): Promise<void> {
    await this.run(CC.PolicySecret, {
      handles: [authHandle, session],
      auths: [auth],
      params: { nonceTPM, cpHashA: EMPTY, policyRef: EMPTY, expiration: 0 },
    });
  }

  async policyGetDigest(session: number): Promise<Uint8Array> {
    const r = await this.run(CC.PolicyGetDigest, { handles: [session], params: {} });
    return r.params.policyDigest;
  }

  /** Starts an unsalted, unbound HMAC session (flush it with `flushQuietly` when done). */
  async startHmacSession(authHash: number = TPM_ALG.SHA256): Promise<HmacSession> {
    const s = await this.startAuthSession('hmac', authHash);
    return new HmacSession(s.handle, authHash, s.nonceTPM);
  }

  /** Runs `fn` with a policy session satisfying the EK policy (PolicySecret(TPM_RH_ENDORSEMENT)); always flushed. */
  async withEkPolicy<T>(fn: (auth: Auth) => Promise<T>, endorsementAuth: Auth = passwordAuth()): Promise<T> {
    const s = await this.startAuthSession('policy');
    try {
      await this.policySecret(TPM_RH.ENDORSEMENT, s.handle, endorsementAuth);
      return await fn(sessionAuth(s.handle));
    } finally {
      await this.flushQuietly(s.handle);
    }
  }

  async activateCredential(
    activate: number,
    key: number,
    credentialBlob: Uint8Array,
    secret: Uint8Array,
    auths: [Auth, Auth],
  ): Promise<Uint8Array> {
    const r = await this.run(CC.ActivateCredential, {
      handles: [activate, key],
      auths,
      params: { credentialBlob, secret },
    });
    return r.params.certInfo;
  }

  /** TPM2_MakeCredential on the TPM itself (the verifier does it in software: credential.ts). */
  async makeCredential(
    handle: number,
    credential: Uint8Array,
    objectName: Uint8Array,
  ): Promise<{ credentialBlob: Uint8Array; secret: Uint8Array }> {
    const r = await this.run(CC.MakeCredential, { handles: [handle], params: { credential, objectName } });
    return r.params;
  }

  // ----- Contexts -----------------------------------------------------------------------------------------------

  async contextSave(handle: number): Promise<TPMS_CONTEXT> {
    const r = await this.run(CC.ContextSave, { handles: [handle], params: {} });
    return r.params.context;
  }

  async contextLoad(context: TPMS_CONTEXT): Promise<number> {
    const r = await this.run(CC.ContextLoad, { params: { context } });
    return r.handle;
  }

  // ----- Handle hygiene -----------------------------------------------------------------------------------------

  /** Flushes a transient object or session, ignoring "no such handle" (it may already be gone). */
  async flushQuietly(handle: number): Promise<void> {
    const ht = handle >>> 24;
    if (ht !== TPM_HT.TRANSIENT && ht !== TPM_HT.HMAC_SESSION && ht !== TPM_HT.POLICY_SESSION) return;
    try {
      await this.flush(handle);
    } catch (e) {
      if (e instanceof TpmError) {
        this.#log.debug('TPM', `flush 0x${handle.toString(16)}: ${e.rcName}`);
        return;
      }
      throw e;
    }
  }

  /** The transient object handles the TPM holds now. */
  transientHandles(): Promise<number[]> {
    return this.handles(HANDLE_RANGE.TRANSIENT);
  }
}

/** Runs `fn` with a transient object created by `create`, and flushes it whatever happens. */
export async function withTransient<T>(
  tpm: Tpm,
  create: Promise<LoadedObject> | LoadedObject,
  fn: (obj: LoadedObject) => Promise<T>,
): Promise<T> {
  const obj = await create;
  try {
    return await fn(obj);
  } finally {
    await tpm.flushQuietly(obj.handle);
  }
}

/** Parses a marshaled TPMT_PUBLIC (e.g. from tpm2-tools' TPM2B_PUBLIC files without the size). */
export function parsePublic(bytes: Uint8Array): TPMT_PUBLIC {
  return unmarshal(TPMT_PUBLIC, bytes);
}
