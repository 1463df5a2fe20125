/** fast-check arbitraries for PB-TNC messages and batches (shared by the tests and the fuzz seeds). */
import fc from 'fast-check';
import { Pen } from '../../../../src/tnc/pa/index.ts';
import type { RemediationParameters } from '../../../../src/tnc/pa/index.ts';
import { AssessmentResult, PbBatchType, Recommendation } from '../../../../src/tnc/pb/index.ts';
import type {
  AssessmentResultValue,
  PbBatch,
  PbBatchTypeValue,
  PbMessage,
  RecommendationValue,
} from '../../../../src/tnc/pb/index.ts';

const bytes = (max = 64) => fc.uint8Array({ maxLength: max });
const text = (max = 40) => fc.string({ maxLength: max, unit: 'grapheme' }).filter((s) => !s.includes('\0'));
const u24 = fc.integer({ min: 0, max: 0xfffffe });

export const remediation: fc.Arbitrary<RemediationParameters> = fc.oneof(
  fc.record({ form: fc.constant('uri' as const), uri: text() }),
  fc.record({
    form: fc.constant('string' as const),
    text: text(),
    lang: fc.string({ maxLength: 8 }).filter((s) => !s.includes('\0')),
  }),
  fc.record({
    form: fc.constant('raw' as const),
    vendor: fc.integer({ min: 1, max: 0xfffffe }),
    type: fc.nat(),
    data: bytes(),
  }),
);

export const pbMessage: fc.Arbitrary<PbMessage> = fc.oneof(
  fc.record({ kind: fc.constant('experimental' as const), noskip: fc.constant(false), value: bytes() }),
  fc.record({
    kind: fc.constant('pa' as const),
    exclusive: fc.boolean(),
    paVendor: u24,
    paSubtype: fc.integer({ min: 0, max: 0xfffffffe }),
    collectorId: fc.integer({ min: 0, max: 0xffff }),
    validatorId: fc.integer({ min: 0, max: 0xffff }),
    body: bytes(),
  }),
  fc.record({
    kind: fc.constant('assessment-result' as const),
    result: fc.constantFrom(...(Object.values(AssessmentResult) as AssessmentResultValue[])),
  }),
  fc.record({
    kind: fc.constant('access-recommendation' as const),
    recommendation: fc.constantFrom(...(Object.values(Recommendation) as RecommendationValue[])),
  }),
  fc.record({ kind: fc.constant('remediation-parameters' as const), parameters: remediation }),
  fc.record({
    kind: fc.constant('error' as const),
    fatal: fc.boolean(),
    errorVendor: fc.constant(Pen.IETF),
    code: fc.integer({ min: 0, max: 3 }),
    info: fc.record({ format: fc.constant('offset' as const), offset: fc.nat() }),
  }),
  fc.record({
    kind: fc.constant('error' as const),
    fatal: fc.boolean(),
    errorVendor: fc.constant(Pen.IETF),
    code: fc.constant(4),
    info: fc.record({
      format: fc.constant('version' as const),
      badVersion: fc.nat(255),
      maxVersion: fc.nat(255),
      minVersion: fc.nat(255),
    }),
  }),
  fc.record({
    kind: fc.constant('error' as const),
    fatal: fc.boolean(),
    errorVendor: fc.integer({ min: 1, max: 0xfffffe }),
    code: fc.nat(0xffff),
    info: fc.record({ format: fc.constant('raw' as const), data: bytes() }),
  }),
  fc.record({ kind: fc.constant('language-preference' as const), language: text() }),
  fc.record({
    kind: fc.constant('reason-string' as const),
    reason: text(),
    language: fc.string({ maxLength: 10 }).filter((s) => !s.includes('\0')),
  }),
  fc.record({ kind: fc.constant('mutual-capability' as const), protocols: fc.nat() }),
  fc.record({
    kind: fc.constant('unknown' as const),
    vendor: fc.integer({ min: 1, max: 0xfffffe }),
    type: fc.integer({ min: 2, max: 0xfffffffe }),
    noskip: fc.constant(false),
    value: bytes(),
  }),
);

export const pbBatch: fc.Arbitrary<PbBatch> = fc.record({
  type: fc.constantFrom(...(Object.values(PbBatchType) as PbBatchTypeValue[])),
  fromServer: fc.boolean(),
  messages: fc.array(pbMessage, { maxLength: 6 }),
});
