/**
 * The TPM 2.0 commands this client sends, as values (TPM 2.0 Part 3 "Commands", Rev 1.59; section per command).
 * Each is executed by `execute` in command.ts; nothing here does I/O.
 */
import { TPMI_YES_NO, struct, u16, u32, u8 } from './marshal.ts';
import { command } from './command.ts';
import {
  TPM2B_DATA,
  TPM2B_DIGEST,
  TPM2B_EVENT,
  TPM2B_MAX_NV_BUFFER,
  TPM2B_NAME,
  TPM2B_NONCE,
  TPM2B_TIMEOUT,
  TPM_ALG_ID,
  TPM_HANDLE,
  TPML_DIGEST,
  TPML_DIGEST_VALUES,
  TPML_PCR_SELECTION,
} from './types/basic.ts';
import { TPM_CC } from './types/constants.ts';
import {
  TPM2B_CREATION_DATA,
  TPM2B_ENCRYPTED_SECRET,
  TPM2B_ID_OBJECT,
  TPM2B_PRIVATE,
  TPM2B_PUBLIC,
  TPM2B_SENSITIVE_CREATE,
  TPMT_SIG_SCHEME,
  TPMT_SYM_DEF,
  TPMT_TK_CREATION,
} from './types/public.ts';
import { TPM2B_ATTEST } from './types/attest.ts';
import { TPMT_SIGNATURE } from './types/signature.ts';
import { TPMS_CAPABILITY_DATA } from './types/capability.ts';
import { TPM2B_NV_PUBLIC } from './types/nv.ts';
import { TPMS_CONTEXT } from './types/context.ts';

const none = struct('none', {});

/** TPM2_Startup (§9.3). */
export const Startup = command({
  name: 'Startup',
  code: TPM_CC.Startup,
  handles: [],
  auths: 0,
  request: struct('TPM2_Startup', { startupType: u16 }),
  responseHandle: false,
  response: none,
});

/** TPM2_Shutdown (§9.4). */
export const Shutdown = command({
  name: 'Shutdown',
  code: TPM_CC.Shutdown,
  handles: [],
  auths: 0,
  request: struct('TPM2_Shutdown', { shutdownType: u16 }),
  responseHandle: false,
  response: none,
});

/** TPM2_GetRandom (§16.1). */
export const GetRandom = command({
  name: 'GetRandom',
  code: TPM_CC.GetRandom,
  handles: [],
  auths: 0,
  request: struct('TPM2_GetRandom', { bytesRequested: u16 }),
  responseHandle: false,
  response: struct('TPM2_GetRandom_Response', { randomBytes: TPM2B_DIGEST }),
});

/** TPM2_GetCapability (§30.2). */
export const GetCapability = command({
  name: 'GetCapability',
  code: TPM_CC.GetCapability,
  handles: [],
  auths: 0,
  request: struct('TPM2_GetCapability', { capability: u32, property: u32, propertyCount: u32 }),
  responseHandle: false,
  response: struct('TPM2_GetCapability_Response', { moreData: TPMI_YES_NO, capabilityData: TPMS_CAPABILITY_DATA }),
});

/** TPM2_PCR_Read (§22.4). */
export const PCR_Read = command({
  name: 'PCR_Read',
  code: TPM_CC.PCR_Read,
  handles: [],
  auths: 0,
  request: struct('TPM2_PCR_Read', { pcrSelectionIn: TPML_PCR_SELECTION }),
  responseHandle: false,
  response: struct('TPM2_PCR_Read_Response', {
    pcrUpdateCounter: u32,
    pcrSelectionOut: TPML_PCR_SELECTION,
    pcrValues: TPML_DIGEST,
  }),
});

/** TPM2_PCR_Extend (§22.2): @pcrHandle (USER). */
export const PCR_Extend = command({
  name: 'PCR_Extend',
  code: TPM_CC.PCR_Extend,
  handles: ['pcrHandle'],
  auths: 1,
  request: struct('TPM2_PCR_Extend', { digests: TPML_DIGEST_VALUES }),
  responseHandle: false,
  response: none,
});

/** TPM2_PCR_Event (§22.3): @pcrHandle (USER). */
export const PCR_Event = command({
  name: 'PCR_Event',
  code: TPM_CC.PCR_Event,
  handles: ['pcrHandle'],
  auths: 1,
  request: struct('TPM2_PCR_Event', { eventData: TPM2B_EVENT }),
  responseHandle: false,
  response: struct('TPM2_PCR_Event_Response', { digests: TPML_DIGEST_VALUES }),
});

const createRequest = {
  inSensitive: TPM2B_SENSITIVE_CREATE,
  inPublic: TPM2B_PUBLIC,
  outsideInfo: TPM2B_DATA,
  creationPCR: TPML_PCR_SELECTION,
};

/** TPM2_CreatePrimary (§24.1): @primaryHandle (USER), returns objectHandle. */
export const CreatePrimary = command({
  name: 'CreatePrimary',
  code: TPM_CC.CreatePrimary,
  handles: ['primaryHandle'],
  auths: 1,
  request: struct('TPM2_CreatePrimary', createRequest),
  responseHandle: true,
  response: struct('TPM2_CreatePrimary_Response', {
    outPublic: TPM2B_PUBLIC,
    creationData: TPM2B_CREATION_DATA,
    creationHash: TPM2B_DIGEST,
    creationTicket: TPMT_TK_CREATION,
    name: TPM2B_NAME,
  }),
});

/** TPM2_Create (§12.1): @parentHandle (USER). */
export const Create = command({
  name: 'Create',
  code: TPM_CC.Create,
  handles: ['parentHandle'],
  auths: 1,
  request: struct('TPM2_Create', createRequest),
  responseHandle: false,
  response: struct('TPM2_Create_Response', {
    outPrivate: TPM2B_PRIVATE,
    outPublic: TPM2B_PUBLIC,
    creationData: TPM2B_CREATION_DATA,
    creationHash: TPM2B_DIGEST,
    creationTicket: TPMT_TK_CREATION,
  }),
});

/** TPM2_Load (§12.2): @parentHandle (USER), returns objectHandle. */
export const Load = command({
  name: 'Load',
  code: TPM_CC.Load,
  handles: ['parentHandle'],
  auths: 1,
  request: struct('TPM2_Load', { inPrivate: TPM2B_PRIVATE, inPublic: TPM2B_PUBLIC }),
  responseHandle: true,
  response: struct('TPM2_Load_Response', { name: TPM2B_NAME }),
});

/** TPM2_ReadPublic (§12.4). */
export const ReadPublic = command({
  name: 'ReadPublic',
  code: TPM_CC.ReadPublic,
  handles: ['objectHandle'],
  auths: 0,
  request: none,
  responseHandle: false,
  response: struct('TPM2_ReadPublic_Response', {
    outPublic: TPM2B_PUBLIC,
    name: TPM2B_NAME,
    qualifiedName: TPM2B_NAME,
  }),
});

/** TPM2_Quote (§18.4): @signHandle (USER). */
export const Quote = command({
  name: 'Quote',
  code: TPM_CC.Quote,
  handles: ['signHandle'],
  auths: 1,
  request: struct('TPM2_Quote', {
    qualifyingData: TPM2B_DATA,
    inScheme: TPMT_SIG_SCHEME,
    PCRselect: TPML_PCR_SELECTION,
  }),
  responseHandle: false,
  response: struct('TPM2_Quote_Response', { quoted: TPM2B_ATTEST, signature: TPMT_SIGNATURE }),
});

/** TPM2_Certify (§18.2): @objectHandle (ADMIN), @signHandle (USER). */
export const Certify = command({
  name: 'Certify',
  code: TPM_CC.Certify,
  handles: ['objectHandle', 'signHandle'],
  auths: 2,
  request: struct('TPM2_Certify', { qualifyingData: TPM2B_DATA, inScheme: TPMT_SIG_SCHEME }),
  responseHandle: false,
  response: struct('TPM2_Certify_Response', { certifyInfo: TPM2B_ATTEST, signature: TPMT_SIGNATURE }),
});

/** TPM2_FlushContext (§28.4): the handle is a parameter, not in the handle area. */
export const FlushContext = command({
  name: 'FlushContext',
  code: TPM_CC.FlushContext,
  handles: [],
  auths: 0,
  request: struct('TPM2_FlushContext', { flushHandle: TPM_HANDLE }),
  responseHandle: false,
  response: none,
});

/** TPM2_EvictControl (§28.5): @auth (owner or platform), objectHandle. */
export const EvictControl = command({
  name: 'EvictControl',
  code: TPM_CC.EvictControl,
  handles: ['auth', 'objectHandle'],
  auths: 1,
  request: struct('TPM2_EvictControl', { persistentHandle: TPM_HANDLE }),
  responseHandle: false,
  response: none,
});

/** TPM2_NV_ReadPublic (§31.6). */
export const NV_ReadPublic = command({
  name: 'NV_ReadPublic',
  code: TPM_CC.NV_ReadPublic,
  handles: ['nvIndex'],
  auths: 0,
  request: none,
  responseHandle: false,
  response: struct('TPM2_NV_ReadPublic_Response', { nvPublic: TPM2B_NV_PUBLIC, nvName: TPM2B_NAME }),
});

/** TPM2_NV_Read (§31.13): @authHandle, nvIndex. */
export const NV_Read = command({
  name: 'NV_Read',
  code: TPM_CC.NV_Read,
  handles: ['authHandle', 'nvIndex'],
  auths: 1,
  request: struct('TPM2_NV_Read', { size: u16, offset: u16 }),
  responseHandle: false,
  response: struct('TPM2_NV_Read_Response', { data: TPM2B_MAX_NV_BUFFER }),
});

/** TPM2_StartAuthSession (§11.1): tpmKey, bind (TPM_RH_NULL for unsalted, unbound); returns sessionHandle. */
export const StartAuthSession = command({
  name: 'StartAuthSession',
  code: TPM_CC.StartAuthSession,
  handles: ['tpmKey', 'bind'],
  auths: 0,
  request: struct('TPM2_StartAuthSession', {
    nonceCaller: TPM2B_NONCE,
    encryptedSalt: TPM2B_ENCRYPTED_SECRET,
    /** TPM_SE. */
    sessionType: u8,
    symmetric: TPMT_SYM_DEF,
    authHash: TPM_ALG_ID,
  }),
  responseHandle: true,
  response: struct('TPM2_StartAuthSession_Response', { nonceTPM: TPM2B_NONCE }),
});

/** TPM2_PolicySecret (§23.4): @authHandle, policySession. */
export const PolicySecret = command({
  name: 'PolicySecret',
  code: TPM_CC.PolicySecret,
  handles: ['authHandle', 'policySession'],
  auths: 1,
  request: struct('TPM2_PolicySecret', {
    nonceTPM: TPM2B_NONCE,
    cpHashA: TPM2B_DIGEST,
    policyRef: TPM2B_NONCE,
    /** INT32; 0 = no expiration. Carried as its two's-complement u32. */
    expiration: u32,
  }),
  responseHandle: false,
  response: struct('TPM2_PolicySecret_Response', {
    timeout: TPM2B_TIMEOUT,
    /** TPMT_TK_AUTH (§10.7.5). */
    policyTicket: struct('TPMT_TK_AUTH', { tag: u16, hierarchy: TPM_HANDLE, digest: TPM2B_DIGEST }),
  }),
});

/** TPM2_PolicyGetDigest (§23.19). */
export const PolicyGetDigest = command({
  name: 'PolicyGetDigest',
  code: TPM_CC.PolicyGetDigest,
  handles: ['policySession'],
  auths: 0,
  request: none,
  responseHandle: false,
  response: struct('TPM2_PolicyGetDigest_Response', { policyDigest: TPM2B_DIGEST }),
});

/** TPM2_ActivateCredential (§12.5): @activateHandle (ADMIN), @keyHandle (USER). */
export const ActivateCredential = command({
  name: 'ActivateCredential',
  code: TPM_CC.ActivateCredential,
  handles: ['activateHandle', 'keyHandle'],
  auths: 2,
  request: struct('TPM2_ActivateCredential', { credentialBlob: TPM2B_ID_OBJECT, secret: TPM2B_ENCRYPTED_SECRET }),
  responseHandle: false,
  response: struct('TPM2_ActivateCredential_Response', { certInfo: TPM2B_DIGEST }),
});

/** TPM2_MakeCredential (§12.6): handle of the public key the credential is wrapped for. */
export const MakeCredential = command({
  name: 'MakeCredential',
  code: TPM_CC.MakeCredential,
  handles: ['handle'],
  auths: 0,
  request: struct('TPM2_MakeCredential', { credential: TPM2B_DIGEST, objectName: TPM2B_NAME }),
  responseHandle: false,
  response: struct('TPM2_MakeCredential_Response', {
    credentialBlob: TPM2B_ID_OBJECT,
    secret: TPM2B_ENCRYPTED_SECRET,
  }),
});

/** TPM2_ContextSave (§28.2). */
export const ContextSave = command({
  name: 'ContextSave',
  code: TPM_CC.ContextSave,
  handles: ['saveHandle'],
  auths: 0,
  request: none,
  responseHandle: false,
  response: struct('TPM2_ContextSave_Response', { context: TPMS_CONTEXT }),
});

/** TPM2_ContextLoad (§28.3): returns loadedHandle. */
export const ContextLoad = command({
  name: 'ContextLoad',
  code: TPM_CC.ContextLoad,
  handles: [],
  auths: 0,
  request: struct('TPM2_ContextLoad', { context: TPMS_CONTEXT }),
  responseHandle: true,
  response: none,
});
