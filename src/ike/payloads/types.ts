/**
 * The IKEv2 message model (RFC 7296 §3). Codecs in this folder turn these values into bytes and back; tasks build
 * and read them. Constants carry the spec's names; `*Names` are the reverse tables for logs.
 */
import { reverse } from '../../common/names.ts';
import type { Transform } from '../../crypto/types.ts';

/** Payload types (RFC 7296 §3.2, RFC 7383 §2.5). */
export const PayloadType = {
  NONE: 0,
  SA: 33,
  KE: 34,
  IDi: 35,
  IDr: 36,
  CERT: 37,
  CERTREQ: 38,
  AUTH: 39,
  NONCE: 40,
  NOTIFY: 41,
  DELETE: 42,
  VENDOR: 43,
  TSi: 44,
  TSr: 45,
  SK: 46,
  CP: 47,
  EAP: 48,
  SKF: 53,
} as const;
export const PayloadTypeNames = reverse(PayloadType);

/** Exchange types (RFC 7296 §3.1, RFC 9242). */
export const ExchangeType = {
  IKE_SA_INIT: 34,
  IKE_AUTH: 35,
  CREATE_CHILD_SA: 36,
  INFORMATIONAL: 37,
  IKE_INTERMEDIATE: 43,
} as const;
export const ExchangeTypeNames = reverse(ExchangeType);

/** Header flags (RFC 7296 §3.1). */
export const HeaderFlag = { INITIATOR: 0x08, VERSION: 0x10, RESPONSE: 0x20 } as const;

/** Protocol ids of SA proposals, Notify and Delete (RFC 7296 §3.3.1). */
export const ProtocolId = { NONE: 0, IKE: 1, AH: 2, ESP: 3 } as const;

/** ID types (RFC 7296 §3.5). */
export const IdType = {
  ID_IPV4_ADDR: 1,
  ID_FQDN: 2,
  ID_RFC822_ADDR: 3,
  ID_IPV6_ADDR: 5,
  ID_DER_ASN1_DN: 9,
  ID_DER_ASN1_GN: 10,
  ID_KEY_ID: 11,
} as const;
export const IdTypeNames = reverse(IdType);

/** Certificate encodings (RFC 7296 §3.6). */
export const CertEncoding = { X509_SIGNATURE: 4, HASH_AND_URL_X509: 12 } as const;

/** AUTH methods (RFC 7296 §3.8, RFC 7427). */
export const AuthMethod = {
  RSA_DIGITAL_SIGNATURE: 1,
  SHARED_KEY_MIC: 2,
  DSS_DIGITAL_SIGNATURE: 3,
  ECDSA_SHA256_P256: 9,
  ECDSA_SHA384_P384: 10,
  ECDSA_SHA512_P521: 11,
  DIGITAL_SIGNATURE: 14,
} as const;
export const AuthMethodNames = reverse(AuthMethod);

/** Notify message types (RFC 7296 §3.10.1 and later RFCs); errors are below 16384. */
export const NotifyType = {
  UNSUPPORTED_CRITICAL_PAYLOAD: 1,
  INVALID_IKE_SPI: 4,
  INVALID_MAJOR_VERSION: 5,
  INVALID_SYNTAX: 7,
  INVALID_MESSAGE_ID: 9,
  INVALID_SPI: 11,
  NO_PROPOSAL_CHOSEN: 14,
  INVALID_KE_PAYLOAD: 17,
  AUTHENTICATION_FAILED: 24,
  SINGLE_PAIR_REQUIRED: 34,
  NO_ADDITIONAL_SAS: 35,
  INTERNAL_ADDRESS_FAILURE: 36,
  FAILED_CP_REQUIRED: 37,
  TS_UNACCEPTABLE: 38,
  INVALID_SELECTORS: 39,
  TEMPORARY_FAILURE: 43,
  CHILD_SA_NOT_FOUND: 44,
  INITIAL_CONTACT: 16384,
  SET_WINDOW_SIZE: 16385,
  ADDITIONAL_TS_POSSIBLE: 16386,
  IPCOMP_SUPPORTED: 16387,
  NAT_DETECTION_SOURCE_IP: 16388,
  NAT_DETECTION_DESTINATION_IP: 16389,
  COOKIE: 16390,
  USE_TRANSPORT_MODE: 16391,
  HTTP_CERT_LOOKUP_SUPPORTED: 16392,
  REKEY_SA: 16393,
  ESP_TFC_PADDING_NOT_SUPPORTED: 16394,
  NON_FIRST_FRAGMENTS_ALSO: 16395,
  MOBIKE_SUPPORTED: 16396,
  MULTIPLE_AUTH_SUPPORTED: 16404,
  ANOTHER_AUTH_FOLLOWS: 16405,
  REDIRECT_SUPPORTED: 16406,
  EAP_ONLY_AUTHENTICATION: 16417,
  IKEV2_FRAGMENTATION_SUPPORTED: 16430,
  SIGNATURE_HASH_ALGORITHMS: 16431,
  INTERMEDIATE_EXCHANGE_SUPPORTED: 16438,
  ADDITIONAL_KEY_EXCHANGE: 16441,
} as const;
export const NotifyTypeNames = reverse(NotifyType);

/** Traffic selector types (RFC 7296 §3.13.1). */
export const TsType = { TS_IPV4_ADDR_RANGE: 7, TS_IPV6_ADDR_RANGE: 8 } as const;

/** Configuration payload (RFC 7296 §3.15). */
export const CfgType = { CFG_REQUEST: 1, CFG_REPLY: 2, CFG_SET: 3, CFG_ACK: 4 } as const;
export const CfgAttribute = {
  INTERNAL_IP4_ADDRESS: 1,
  INTERNAL_IP4_NETMASK: 2,
  INTERNAL_IP4_DNS: 3,
  INTERNAL_IP6_ADDRESS: 8,
  INTERNAL_IP6_DNS: 10,
  INTERNAL_IP4_SUBNET: 13,
  INTERNAL_IP6_SUBNET: 15,
} as const;

/** The fixed IKE header (RFC 7296 §3.1). SPIs are 64-bit values. */
export interface IkeHeader {
  spiI: bigint;
  spiR: bigint;
  /** Type of the first payload. Filled in by the encoder. */
  nextPayload: number;
  /** 0x20 for IKEv2: major 2, minor 0. */
  version: number;
  exchange: number;
  /** Bit field of HeaderFlag. */
  flags: number;
  messageId: number;
  /** Total message length. Filled in by the encoder. */
  length: number;
}

/** SA proposal (RFC 7296 §3.3.1). */
export interface Proposal {
  num: number;
  protocol: number;
  /** Empty for the IKE_SA_INIT IKE proposal; 4 bytes for ESP/AH; 8 bytes for an IKE rekey. */
  spi: Uint8Array;
  transforms: Transform[];
}

export interface TrafficSelector {
  tsType: number;
  /** 0 = any. */
  ipProtocol: number;
  startPort: number;
  endPort: number;
  /** 4 or 16 bytes. */
  startAddr: Uint8Array;
  endAddr: Uint8Array;
}

export interface CfgAttr {
  type: number;
  value: Uint8Array;
}

interface Base {
  /** The critical bit of the generic payload header (RFC 7296 §3.2). */
  critical?: boolean;
}

export interface SaPayload extends Base {
  type: typeof PayloadType.SA;
  proposals: Proposal[];
}
export interface KePayload extends Base {
  type: typeof PayloadType.KE;
  /** Diffie-Hellman group / key exchange method. */
  group: number;
  data: Uint8Array;
}
export interface IdPayload extends Base {
  type: typeof PayloadType.IDi | typeof PayloadType.IDr;
  idType: number;
  data: Uint8Array;
}
export interface CertPayload extends Base {
  type: typeof PayloadType.CERT;
  encoding: number;
  data: Uint8Array;
}
export interface CertReqPayload extends Base {
  type: typeof PayloadType.CERTREQ;
  encoding: number;
  /** Concatenated 20-byte SHA-1 hashes of CA SubjectPublicKeyInfos. */
  data: Uint8Array;
}
export interface AuthPayload extends Base {
  type: typeof PayloadType.AUTH;
  method: number;
  data: Uint8Array;
}
export interface NoncePayload extends Base {
  type: typeof PayloadType.NONCE;
  data: Uint8Array;
}
export interface NotifyPayload extends Base {
  type: typeof PayloadType.NOTIFY;
  protocol: number;
  spi: Uint8Array;
  notifyType: number;
  data: Uint8Array;
}
export interface DeletePayload extends Base {
  type: typeof PayloadType.DELETE;
  protocol: number;
  /** For IKE: empty list (the SA of the message). For ESP/AH: 4-byte SPIs. */
  spis: Uint8Array[];
}
export interface VendorPayload extends Base {
  type: typeof PayloadType.VENDOR;
  data: Uint8Array;
}
export interface TsPayload extends Base {
  type: typeof PayloadType.TSi | typeof PayloadType.TSr;
  selectors: TrafficSelector[];
}
export interface CpPayload extends Base {
  type: typeof PayloadType.CP;
  cfgType: number;
  attributes: CfgAttr[];
}
export interface EapPayload extends Base {
  type: typeof PayloadType.EAP;
  /** The whole EAP packet (RFC 3748 §4); parsed by the EAP layer. */
  data: Uint8Array;
}
/** A payload type this codec does not know; kept raw with its critical bit. */
export interface UnknownPayload extends Base {
  type: number;
  unknown: true;
  data: Uint8Array;
}

export type Payload =
  | SaPayload
  | KePayload
  | IdPayload
  | CertPayload
  | CertReqPayload
  | AuthPayload
  | NoncePayload
  | NotifyPayload
  | DeletePayload
  | VendorPayload
  | TsPayload
  | CpPayload
  | EapPayload
  | UnknownPayload;

/**
 * A decoded or to-be-encoded message. `payloads` are the plaintext payloads in order; when `encrypted` is true they
 * travel inside an SK payload (or SKF fragments), after any `outer` payloads (none in practice).
 */
export interface IkeMessage {
  header: IkeHeader;
  encrypted: boolean;
  payloads: Payload[];
}
