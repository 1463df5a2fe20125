/** The IKEv2 message layer: codec, fragmentation, rules, typed access. */
export {
  decodeHeader,
  decodeMessage,
  encodeFragments,
  encodeMessage,
  FragmentReassembler,
  IKE_HEADER_LENGTH,
  IKE_VERSION,
  intermediatePlain,
} from './codec.ts';
export type { DecodedFragment, DecodedMessage, DecodeResult, ReassemblerOptions } from './codec.ts';
export { checkRules, messageRules, payloadOrder, rulesFor, sortPayloads, OrderNotify } from './rules.ts';
export type { MessageRules, MessageShape, OrderEntry, PayloadRule } from './rules.ts';
export {
  all,
  encodeIdBody,
  errorNotify,
  first,
  hasNotify,
  idFromString,
  idToString,
  IpProtocol,
  notify,
  tsContains,
  tsFromCidr,
  tsIntersect,
  tsToString,
} from './access.ts';
export type { Identity, KnownPayloadType, PayloadMap, TsOptions } from './access.ts';
export { dnFromString, dnToString } from './dn.ts';
export { encodePayloadBody, encodePayloads, isUnknown } from '../payloads/chain.ts';
