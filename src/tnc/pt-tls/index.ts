/**
 * PT-TLS (RFC 6876): message codecs, stream framer, protocol logic over an abstract channel, and node:tls adapters.
 * PB-TNC batches are opaque here; the PB-TNC layer plugs in as a BatchEndpoint.
 */
export * from './constants.ts';
export { PtTlsError } from './errors.ts';
export type { PtTlsHeader } from './header.ts';
export { decodePtTlsHeader, encodePtTlsHeader } from './header.ts';
export type { PtTlsValueCodec } from './codec.ts';
export type { VersionRequest } from './version-request.ts';
export { versionRequestCodec } from './version-request.ts';
export type { VersionResponse } from './version-response.ts';
export { versionResponseCodec } from './version-response.ts';
export type { SaslMechanisms } from './sasl-mechanisms.ts';
export { saslMechanismsCodec } from './sasl-mechanisms.ts';
export type { SaslMechanismSelection } from './sasl-mechanism-selection.ts';
export { saslMechanismSelectionCodec } from './sasl-mechanism-selection.ts';
export type { SaslAuthenticationData } from './sasl-authentication-data.ts';
export { saslAuthenticationDataCodec } from './sasl-authentication-data.ts';
export type { SaslResultForm, SaslResultMessage } from './sasl-result.ts';
export { saslResultCodec } from './sasl-result.ts';
export type { PbTncBatchMessage } from './pb-tnc-batch.ts';
export { pbTncBatchCodec } from './pb-tnc-batch.ts';
export type { PtTlsErrorMessage } from './pt-tls-error.ts';
export { ptTlsErrorCodec } from './pt-tls-error.ts';
export { isSaslMechanismName } from './sasl-name.ts';
export type { KnownPtTlsValue, PtTlsMessage, PtTlsValue, UnknownPtTlsMessage } from './messages.ts';
export { decodePtTlsMessage, encodePtTlsMessage, ptTlsTypeOf } from './messages.ts';
export type { PtTlsFramerOptions } from './framer.ts';
export { PtTlsFramer } from './framer.ts';
export type { MemoryChannelOptions, PtTlsChannel } from './channel.ts';
export { MessageQueue, memoryChannelPair } from './channel.ts';
export type {
  BatchEndpoint,
  PlainCredentials,
  PtTlsClientAuth,
  PtTlsClientOptions,
  PtTlsPeerIdentity,
  PtTlsServerOptions,
  PtTlsSessionInfo,
  PtTlsSessionSummary,
} from './connection.ts';
export { decodePlain, encodePlain, runPtTlsClient, runPtTlsServer } from './connection.ts';
export type {
  PtTlsClientConfig,
  PtTlsClientResult,
  PtTlsLimits,
  PtTlsServer,
  PtTlsServerConfig,
  PtTlsSessionOutcome,
  TlsVersionName,
} from './tls.ts';
export { ptTlsConnect, socketChannel, startPtTlsServer } from './tls.ts';
