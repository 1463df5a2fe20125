/** fast-check arbitraries for every PA-TNC attribute of src/tnc/pa (shared by tests and fuzz seeds). */
import fc from 'fast-check';
import type { PaAttribute } from '../../../../src/tnc/pa/index.ts';

const bytes = (max = 48) => fc.uint8Array({ maxLength: max });
const noNul = (max: number) => fc.string({ maxLength: max, unit: 'grapheme' }).filter((s) => !s.includes('\0'));
const str8 = noNul(30).filter((s) => new TextEncoder().encode(s).byteLength < 256);
const str16 = noNul(40);
const noskip = fc.boolean();
const u24 = fc.integer({ min: 0, max: 0xfffffe });
const u32 = fc.nat({ max: 0xffffffff });
const lastUse = fc
  .date({ min: new Date('1970-01-01'), max: new Date('9999-12-31'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 19) + 'Z');

export const paAttributeByKind: Record<string, fc.Arbitrary<PaAttribute>> = {
  'ietf/attribute-request': fc.record({
    kind: fc.constant('ietf/attribute-request'),
    noskip,
    requests: fc.array(fc.record({ vendor: u24, type: u32 }), { maxLength: 5 }),
  }),
  'ietf/product-information': fc
    .record({
      kind: fc.constant('ietf/product-information'),
      noskip,
      productVendor: u24,
      productId: fc.nat(0xffff),
      productName: noNul(30),
    })
    .map((a) => (a.productVendor === 0 ? { ...a, productId: 0 } : a)),
  'ietf/numeric-version': fc.record({
    kind: fc.constant('ietf/numeric-version'),
    noskip,
    major: u32,
    minor: u32,
    build: u32,
    servicePackMajor: fc.nat(0xffff),
    servicePackMinor: fc.nat(0xffff),
  }),
  'ietf/string-version': fc.record({
    kind: fc.constant('ietf/string-version'),
    noskip,
    version: str8,
    build: str8,
    config: str8,
  }),
  'ietf/operational-status': fc.record({
    kind: fc.constant('ietf/operational-status'),
    noskip,
    status: fc.nat(3),
    result: fc.nat(3),
    lastUse,
  }),
  'ietf/port-filter': fc.record({
    kind: fc.constant('ietf/port-filter'),
    noskip,
    entries: fc.array(fc.record({ blocked: fc.boolean(), protocol: fc.nat(255), port: fc.nat(0xffff) }), {
      maxLength: 6,
    }),
  }),
  'ietf/installed-packages': fc.record({
    kind: fc.constant('ietf/installed-packages'),
    noskip,
    packages: fc.array(fc.record({ name: str8, version: str8 }), { maxLength: 5 }),
  }),
  'ietf/pa-tnc-error': fc
    .record({
      kind: fc.constant('ietf/pa-tnc-error'),
      noskip,
      errorVendor: fc.constant(0),
      errorCode: fc.constantFrom(1, 2, 3),
      messageHeader: fc.uint8Array({ minLength: 8, maxLength: 8 }),
      offset: u32,
      v: fc.tuple(fc.nat(255), fc.nat(255)),
      attr: fc.tuple(fc.nat(255), u24, u32),
    })
    .map((r) => ({
      kind: r.kind,
      noskip: r.noskip,
      errorVendor: r.errorVendor,
      errorCode: r.errorCode,
      info:
        r.errorCode === 1
          ? { format: 'invalid-parameter' as const, messageHeader: r.messageHeader, offset: r.offset }
          : r.errorCode === 2
            ? {
                format: 'version-not-supported' as const,
                messageHeader: r.messageHeader,
                maxVersion: r.v[0],
                minVersion: r.v[1],
              }
            : {
                format: 'attribute-type-not-supported' as const,
                messageHeader: r.messageHeader,
                flags: r.attr[0],
                vendor: r.attr[1],
                type: r.attr[2],
              },
    })),
  'ietf/assessment-result': fc.record({ kind: fc.constant('ietf/assessment-result'), noskip, result: u32 }),
  'ietf/remediation-instructions': fc.record({
    kind: fc.constant('ietf/remediation-instructions'),
    noskip,
    parameters: fc.oneof(
      fc.record({ form: fc.constant('uri' as const), uri: noNul(40) }),
      fc.record({ form: fc.constant('string' as const), text: noNul(40), lang: fc.string({ maxLength: 8 }) }),
      fc.record({
        form: fc.constant('raw' as const),
        vendor: fc.integer({ min: 1, max: 0xfffffe }),
        type: u32,
        data: bytes(),
      }),
    ),
  }),
  'ietf/forwarding-enabled': fc.record({ kind: fc.constant('ietf/forwarding-enabled'), noskip, status: fc.nat(2) }),
  'ietf/factory-default-password-enabled': fc.record({
    kind: fc.constant('ietf/factory-default-password-enabled'),
    noskip,
    enabled: fc.boolean(),
  }),
  'tcg/max-attribute-size-request': fc.record({
    kind: fc.constant('tcg/max-attribute-size-request'),
    noskip,
    maxMessageSize: u32,
    maxSegmentSize: u32,
  }),
  'tcg/max-attribute-size-response': fc.record({
    kind: fc.constant('tcg/max-attribute-size-response'),
    noskip,
    maxMessageSize: u32,
    maxSegmentSize: u32,
  }),
  'tcg/segmentation-envelope': fc.record({
    kind: fc.constant('tcg/segmentation-envelope'),
    noskip,
    more: fc.boolean(),
    start: fc.boolean(),
    baseMessageId: fc.nat(0xffffff),
    segment: bytes(),
  }),
  'tcg/next-segment': fc.record({
    kind: fc.constant('tcg/next-segment'),
    noskip,
    cancel: fc.boolean(),
    baseMessageId: fc.nat(0xffffff),
  }),
  'tcg/cancel': fc.record({ kind: fc.constant('tcg/cancel'), noskip, baseMessageId: fc.nat(0xffffff) }),
  'ita/command': fc.record({
    kind: fc.constant('ita/command'),
    noskip,
    command: fc.constantFrom('allow', 'isolate', 'block', 'none', 'retry', 'repeat', ''),
  }),
  'ita/dummy': fc.record({ kind: fc.constant('ita/dummy'), noskip, data: bytes(200) }),
  'ita/get-settings': fc.record({
    kind: fc.constant('ita/get-settings'),
    noskip,
    names: fc.array(str16, { maxLength: 4 }),
  }),
  'ita/settings': fc.record({
    kind: fc.constant('ita/settings'),
    noskip,
    settings: fc.array(fc.record({ name: str16, value: bytes() }), { maxLength: 4 }),
  }),
  'ita/device-id': fc.record({ kind: fc.constant('ita/device-id'), noskip, deviceId: str16 }),
  'ita/get-symlinks': fc.record({ kind: fc.constant('ita/get-symlinks'), noskip, directories: str16 }),
  'ita/symlinks': fc.record({
    kind: fc.constant('ita/symlinks'),
    noskip,
    links: fc.array(fc.record({ symlink: str16, directory: str16 }), { maxLength: 4 }),
  }),
  unknown: fc.record({
    kind: fc.constant('unknown'),
    noskip,
    vendor: fc.integer({ min: 0x100000, max: 0xfffffe }),
    type: fc.nat({ max: 0xfffffffe }),
    value: bytes(),
  }),
};

export const paAttribute: fc.Arbitrary<PaAttribute> = fc.oneof(...Object.values(paAttributeByKind));
