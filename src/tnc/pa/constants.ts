/**
 * PA-TNC constants (RFC 5792 §4; IANA "PA-TNC Attribute Types"; TCG IF-M Segmentation 1.0; strongSwan's ITA-HSR
 * namespace). Spec-named `as const` tables with reverse name tables for logs.
 */
import { reverse } from '../../common/index.ts';

/** PA-TNC protocol version (RFC 5792 §4.1). */
export const PA_TNC_VERSION = 1;
/** Message header: version(8) reserved(24) message identifier(32). */
export const PA_TNC_HEADER_SIZE = 8;
/** Attribute header: flags(8) vendor(24) type(32) length(32). */
export const PA_TNC_ATTR_HEADER_SIZE = 12;
/** The NOSKIP flag of the attribute header (RFC 5792 §4.2). */
export const PA_ATTR_FLAG_NOSKIP = 0x80;
/** Reserved vendor id and attribute type (RFC 5792 §4.2). */
export const PEN_RESERVED = 0xffffff;
export const PA_ATTR_TYPE_RESERVED = 0xffffffff;

/** SMI Private Enterprise Numbers used by TNC. */
export const Pen = {
  IETF: 0x000000,
  TCG: 0x005597,
  ITA: 0x00902a,
} as const;
export const PenName = reverse(Pen);

/** PA subtypes per vendor (RFC 5792 §3.5, TCG, ITA). */
export const IetfPaSubtype = {
  TESTING: 0,
  OPERATING_SYSTEM: 1,
  ANTI_VIRUS: 2,
  ANTI_SPYWARE: 3,
  ANTI_MALWARE: 4,
  FIREWALL: 5,
  IDPS: 6,
  VPN: 7,
  NEA_CLIENT: 8,
  SWIMA: 9,
} as const;
export const TcgPaSubtype = { PTS: 1, SCAP: 2, SWID: 3 } as const;
export const ItaPaSubtype = { TEST: 1, ECHO: 2 } as const;
/** The subtypes this project uses, by vendor. */
export const PaSubtype = {
  IETF_OPERATING_SYSTEM: { vendor: Pen.IETF, subtype: IetfPaSubtype.OPERATING_SYSTEM },
  IETF_SWIMA: { vendor: Pen.IETF, subtype: IetfPaSubtype.SWIMA },
  TCG_PTS: { vendor: Pen.TCG, subtype: TcgPaSubtype.PTS },
  ITA_TEST: { vendor: Pen.ITA, subtype: ItaPaSubtype.TEST },
} as const;

/** IETF attribute types (RFC 5792 §4.2, RFC 8412 for SWIMA 13..21). */
export const IetfAttr = {
  TESTING: 0,
  ATTRIBUTE_REQUEST: 1,
  PRODUCT_INFORMATION: 2,
  NUMERIC_VERSION: 3,
  STRING_VERSION: 4,
  OPERATIONAL_STATUS: 5,
  PORT_FILTER: 6,
  INSTALLED_PACKAGES: 7,
  PA_TNC_ERROR: 8,
  ASSESSMENT_RESULT: 9,
  REMEDIATION_INSTRUCTIONS: 10,
  FORWARDING_ENABLED: 11,
  FACTORY_DEFAULT_PASSWORD_ENABLED: 12,
  SWIMA_REQUEST: 13,
  SOFTWARE_IDENTIFIER_INVENTORY: 14,
  SOFTWARE_IDENTIFIER_EVENTS: 15,
  SOFTWARE_INVENTORY: 16,
  SOFTWARE_EVENTS: 17,
  SUBSCRIPTION_STATUS_REQUEST: 18,
  SUBSCRIPTION_STATUS_RESPONSE: 19,
  SOURCE_METADATA_REQUEST: 20,
  SOURCE_METADATA_RESPONSE: 21,
} as const;
export const IetfAttrName = reverse(IetfAttr);

/** ITA-HSR attribute types (strongSwan src/libimcv/ita/ita_attr.h). */
export const ItaAttr = {
  COMMAND: 1,
  DUMMY: 2,
  GET_SETTINGS: 3,
  SETTINGS: 4,
  START_ANGEL: 5,
  STOP_ANGEL: 6,
  ECHO: 7,
  DEVICE_ID: 8,
  GET_SYMLINKS: 9,
  SYMLINKS: 10,
} as const;
export const ItaAttrName = reverse(ItaAttr);

/** TCG IF-M Segmentation attribute types (TCG IF-M Segmentation 1.0 rev 5). */
export const TcgSegAttr = {
  MAX_ATTRIBUTE_SIZE_REQUEST: 0x21,
  MAX_ATTRIBUTE_SIZE_RESPONSE: 0x22,
  SEGMENTATION_ENVELOPE: 0x23,
  NEXT_SEGMENT: 0x24,
  CANCEL: 0x25,
} as const;
export const TcgSegAttrName = reverse(TcgSegAttr);

/** PA-TNC error codes in the IETF namespace (RFC 5792 §4.2.8, RFC 8412 for SWIMA). */
export const PaErrorCode = {
  RESERVED: 0,
  INVALID_PARAMETER: 1,
  VERSION_NOT_SUPPORTED: 2,
  ATTRIBUTE_TYPE_NOT_SUPPORTED: 3,
  SWIMA_ERROR: 4,
  SWIMA_SUBSCRIPTION_DENIED: 5,
  SWIMA_RESPONSE_TOO_LARGE: 6,
  SWIMA_SUBSCRIPTION_FULFILLMENT_ERROR: 7,
  SWIMA_SUBSCRIPTION_ID_REUSE: 8,
} as const;
export const PaErrorCodeName = reverse(PaErrorCode);

/** IF-IMV evaluation results, carried by the Assessment Result attribute (RFC 5792 §4.2.9). */
export const EvaluationResult = {
  COMPLIANT: 0,
  NONCOMPLIANT_MINOR: 1,
  NONCOMPLIANT_MAJOR: 2,
  ERROR: 3,
  DONT_KNOW: 4,
} as const;
export const EvaluationResultName = reverse(EvaluationResult);
