/** Public API of the crypto layer (package export `attestd/crypto`). */
export * from './types.ts';
export * from './ids.ts';
export { createPrf, prfPlus, PRF_PLUS_MAX_BLOCKS } from './prf.ts';
export {
  deriveIkeKeys,
  deriveRekeyedIkeKeys,
  deriveIkeKeysAfterAddKe,
  deriveChildKeys,
  encrKeyLength,
  integKeyLength,
  wipeIkeKeys,
} from './keys.ts';
export type { IkeKeyResult, ChildKeys } from './keys.ts';
export { ctEqual } from './cipher.ts';
export { createSkCrypto } from './sk.ts';
export type { SkCryptoHandle } from './sk.ts';
export { createKeyExchange, keMethods } from './ke.ts';
export { createEspCipher, espHeader } from './esp.ts';
export type { EspCipher, EspSealInput, EspOpened } from './esp.ts';
export {
  parseProposals,
  defaultProposals,
  selectProposal,
  suiteFromTransforms,
  formatSuite,
  formatTransforms,
} from './proposals.ts';
export type { ProposalProtocol, OfferedProposal, SelectedProposal, SelectOptions } from './proposals.ts';
export {
  pskAuth,
  signDigital,
  verifyDigital,
  digitalSignatureName,
  signLegacy,
  verifyLegacy,
  SignatureHash,
  SignatureHashNames,
  signatureHashAlgorithms,
  hashFromId,
  LegacySignatureMethod,
  LegacySignatureMethodNames,
} from './auth.ts';
export type { SignOptions, SignatureHashName } from './auth.ts';
