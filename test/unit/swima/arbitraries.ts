/** fast-check arbitraries for every SWIMA attribute (RFC 8412), shared by tests and fuzz seeds. */
import fc from 'fast-check';
import type { PaAttribute } from '../../../src/tnc/pa/index.ts';

const noskip = fc.boolean();
const u8 = fc.nat(255);
const u24 = fc.nat(0xffffff);
const u32 = fc.nat({ max: 0xffffffff });
const text = (max: number) => fc.string({ maxLength: max, unit: 'grapheme' });
const time = fc
  .date({ min: new Date('1970-01-01'), max: new Date('9999-12-31'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 19) + 'Z');
const record = (withRecord: boolean) =>
  fc
    .record({
      recordId: u32,
      dataModel: fc.record({ pen: u24, type: u8 }),
      sourceId: u8,
      swId: text(40),
      locator: text(20),
      record: fc.uint8Array({ maxLength: 60 }),
    })
    .map(({ record: rec, ...r }) => (withRecord ? { ...r, record: rec } : r));
const request = fc.record({
  flags: u8,
  requestId: u32,
  earliestEid: u32,
  targets: fc.array(text(30), { maxLength: 4 }),
});
const inventory = (kind: string, withRecord: boolean) =>
  fc.record({
    kind: fc.constant(kind),
    noskip,
    flags: u8,
    requestId: u32,
    eidEpoch: u32,
    lastEid: u32,
    records: fc.array(record(withRecord), { maxLength: 4 }),
  }) as unknown as fc.Arbitrary<PaAttribute>;
const events = (kind: string, withRecord: boolean) =>
  fc.record({
    kind: fc.constant(kind),
    noskip,
    flags: u8,
    requestId: u32,
    eidEpoch: u32,
    lastEid: u32,
    lastConsultedEid: u32,
    events: fc.array(fc.record({ eid: u32, timestamp: time, action: u8, record: record(withRecord) }), {
      maxLength: 4,
    }),
  }) as unknown as fc.Arbitrary<PaAttribute>;

export const swimaAttributeByKind: Record<string, fc.Arbitrary<PaAttribute>> = {
  'ietf/swima-request': fc
    .record({ kind: fc.constant('ietf/swima-request'), noskip })
    .chain((h) => request.map((r) => ({ ...h, ...r }))) as unknown as fc.Arbitrary<PaAttribute>,
  'ietf/swima-sw-id-inventory': inventory('ietf/swima-sw-id-inventory', false),
  'ietf/swima-sw-id-events': events('ietf/swima-sw-id-events', false),
  'ietf/swima-sw-inventory': inventory('ietf/swima-sw-inventory', true),
  'ietf/swima-sw-events': events('ietf/swima-sw-events', true),
  'ietf/swima-subscription-status-request': fc.record({
    kind: fc.constant('ietf/swima-subscription-status-request'),
    noskip,
  }) as unknown as fc.Arbitrary<PaAttribute>,
  'ietf/swima-subscription-status-response': fc.record({
    kind: fc.constant('ietf/swima-subscription-status-response'),
    noskip,
    subscriptions: fc.array(request, { maxLength: 3 }),
  }) as unknown as fc.Arbitrary<PaAttribute>,
};
