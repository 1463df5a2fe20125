/**
 * PB-TNC messages (RFC 5793 §4.2): the union of every message value, unknown messages (raw value + NOSKIP kept)
 * and the registry keyed by (vendor, type).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Flags     |               PB-TNC Vendor ID                |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       PB-TNC Message Type                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      PB-TNC Message Length                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               PB-TNC Message Value (Variable Length)          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PbMessageCodec } from './messages/codec.ts';
import { pbAccessRecommendation } from './messages/access-recommendation.ts';
import type { PbAccessRecommendation } from './messages/access-recommendation.ts';
import { pbAssessmentResult } from './messages/assessment-result.ts';
import type { PbAssessmentResult } from './messages/assessment-result.ts';
import { pbError } from './messages/error.ts';
import type { PbError } from './messages/error.ts';
import { pbExperimental } from './messages/experimental.ts';
import type { PbExperimental } from './messages/experimental.ts';
import { pbLanguagePreference } from './messages/language-preference.ts';
import type { PbLanguagePreference } from './messages/language-preference.ts';
import { pbMutualCapability } from './messages/mutual-capability.ts';
import type { PbMutualCapability } from './messages/mutual-capability.ts';
import { pbPa } from './messages/pa.ts';
import type { PbPaMessage } from './messages/pa.ts';
import { pbReasonString } from './messages/reason-string.ts';
import type { PbReasonString } from './messages/reason-string.ts';
import { pbRemediationParameters } from './messages/remediation-parameters.ts';
import type { PbRemediationParameters } from './messages/remediation-parameters.ts';

/** A message of a type we do not know; kept raw for logging and re-encoding. */
export interface UnknownPbMessage {
  readonly kind: 'unknown';
  vendor: number;
  type: number;
  noskip: boolean;
  value: Uint8Array;
}

export type PbMessage =
  | PbExperimental
  | PbPaMessage
  | PbAssessmentResult
  | PbAccessRecommendation
  | PbRemediationParameters
  | PbError
  | PbLanguagePreference
  | PbReasonString
  | PbMutualCapability
  | UnknownPbMessage;

export type KnownPbMessage = Exclude<PbMessage, UnknownPbMessage>;
type AnyCodec = PbMessageCodec<KnownPbMessage>;

/** Every message codec (IETF 0..7, ITA 1). TCG PDP-Referral and ITA Noskip-Test are treated as unknown. */
export const pbMessageCodecs: readonly AnyCodec[] = [
  pbExperimental as AnyCodec,
  pbPa as AnyCodec,
  pbAssessmentResult as AnyCodec,
  pbAccessRecommendation as AnyCodec,
  pbRemediationParameters as AnyCodec,
  pbError as AnyCodec,
  pbLanguagePreference as AnyCodec,
  pbReasonString as AnyCodec,
  pbMutualCapability as AnyCodec,
];

const key = (vendor: number, type: number) => `${vendor}:${type}`;
const byType = new Map<string, AnyCodec>(pbMessageCodecs.map((c) => [key(c.vendor, c.type), c]));
const byKind = new Map<string, AnyCodec>(pbMessageCodecs.map((c) => [c.kind, c]));

export function pbCodecByType(vendor: number, type: number): AnyCodec | undefined {
  return byType.get(key(vendor, type));
}
export function pbCodecOf(m: KnownPbMessage): AnyCodec {
  const c = byKind.get(m.kind);
  if (!c) throw new Error(`no PB-TNC codec for ${m.kind}`);
  return c;
}

/** The NOSKIP flag a message is sent with: strongSwan's per-type value, or the message's own for the others. */
export function noskipOf(m: PbMessage): boolean {
  if (m.kind === 'unknown') return m.noskip;
  if (m.kind === 'experimental') return m.noskip ?? false;
  const n = pbCodecOf(m).noskip;
  return n === true;
}
