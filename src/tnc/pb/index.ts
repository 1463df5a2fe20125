/** PB-TNC (RFC 5793): batch and message codecs, the state machine, sessions and strongSwan's mutual mode. */
export * from './constants.ts';
export * from './message.ts';
export * from './batch.ts';
export * from './state.ts';
export * from './session.ts';
export * from './mutual.ts';
export type { PbMessageCodec } from './messages/codec.ts';
export * from './messages/experimental.ts';
export * from './messages/pa.ts';
export * from './messages/assessment-result.ts';
export * from './messages/access-recommendation.ts';
export * from './messages/remediation-parameters.ts';
export * from './messages/error.ts';
export * from './messages/language-preference.ts';
export * from './messages/reason-string.ts';
export * from './messages/mutual-capability.ts';
