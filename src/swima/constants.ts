/**
 * SWIMA constants (RFC 8412 "Software Inventory Message and Attributes (SWIMA) for PA-TNC"; values as strongSwan's
 * src/libimcv/swima and ietf/swima use them).
 */
import { reverse } from '../common/index.ts';

/** SW Request flags (§5.7): C clear subscriptions, S subscribe, R result type (identifiers only). */
export const SwimaRequestFlag = { C: 0x80, S: 0x40, R: 0x20 } as const;
/** Inventory / event attribute flags (§5.8–5.11): S-F, sent to fulfil a subscription. */
export const SWIMA_FLAG_SUBSCRIPTION_FULFILLMENT = 0x80;

/** Software record data models (§5.6; IANA "Software Data Model Types", PEN IETF). */
export const SwimaDataModel = {
  ISO_2015_SWID_XML: { pen: 0, type: 0 },
  ISO_2009_SWID_XML: { pen: 0, type: 1 },
} as const;

/** Event actions (§5.9). */
export const SwimaAction = { CREATION: 1, DELETION: 2, ALTERATION: 3 } as const;
export const SwimaActionName = reverse(SwimaAction);

/** Length of an event timestamp, RFC 3339 `YYYY-MM-DDThh:mm:ssZ` (§5.9). */
export const SWIMA_TIMESTAMP_SIZE = 20;
