/** Every PA-TNC attribute codec (RFC 5792 §4.2, ITA-HSR, TCG IF-M segmentation): round trips, vectors, bounds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ParseError, fromHex, toHex } from '../../../../src/common/index.ts';
import {
  decodePaMessage,
  defaultPaRegistry,
  encodePaMessage,
  paAttributeCodecs,
} from '../../../../src/tnc/pa/index.ts';
import type { PaAttribute } from '../../../../src/tnc/pa/index.ts';
import { paAttributeByKind } from './arbitraries.ts';

test('every registered codec has an arbitrary (and vice versa)', () => {
  const kinds = paAttributeCodecs.map((c) => c.kind).sort();
  assert.deepEqual(
    kinds,
    Object.keys(paAttributeByKind)
      .filter((k) => k !== 'unknown')
      .sort(),
  );
  assert.equal(new Set(paAttributeCodecs.map((c) => `${c.vendor}:${c.type}`)).size, paAttributeCodecs.length);
});

for (const [kind, arb] of Object.entries(paAttributeByKind)) {
  test(`${kind}: encode → decode → encode is byte-equal — property`, () => {
    fc.assert(
      fc.property(arb, fc.nat({ max: 0xffffffff }), (attr: PaAttribute, messageId) => {
        const bytes = encodePaMessage({ messageId, attributes: [attr] });
        const d = decodePaMessage(bytes);
        assert.equal(d.messageId, messageId);
        assert.equal(d.attributes.length, 1);
        assert.deepEqual(d.attributes[0], { ...structuredClone(attr), noskip: attr.noskip ?? false });
        assert.equal(toHex(encodePaMessage(d)), toHex(bytes));
      }),
      { numRuns: 150 },
    );
  });
}

test('strongSwan vectors (golden traces): ITA Command "allow" with NOSKIP, IETF Assessment Result', () => {
  const allow = fromHex('01000000899e6e1a8000902a0000000100000011616c6c6f77');
  const d = decodePaMessage(allow);
  assert.equal(d.messageId, 0x899e6e1a);
  assert.deepEqual(d.attributes, [{ kind: 'ita/command', noskip: true, command: 'allow' }]);
  assert.equal(toHex(encodePaMessage(d)), toHex(allow));
  const result = fromHex('01000000449bd773000000000000000900000010' + '00000000');
  assert.deepEqual(decodePaMessage(result).attributes, [{ kind: 'ietf/assessment-result', noskip: false, result: 0 }]);
});

test('fixed layouts: Numeric Version is 16 bytes, Operational Status 24, Port Filter entries 4', () => {
  const len = (a: PaAttribute) => defaultPaRegistry.encodeOne(a).byteLength - 12;
  assert.equal(
    len({
      kind: 'ietf/numeric-version',
      major: 1,
      minor: 2,
      build: 3,
      servicePackMajor: 4,
      servicePackMinor: 5,
    } as PaAttribute),
    16,
  );
  assert.equal(
    len({ kind: 'ietf/operational-status', status: 3, result: 1, lastUse: '2026-11-23T12:00:00Z' } as PaAttribute),
    24,
  );
  assert.equal(
    len({ kind: 'ietf/port-filter', entries: [{ blocked: true, protocol: 6, port: 22 }] } as PaAttribute),
    4,
  );
  assert.equal(
    toHex(
      defaultPaRegistry.encodeOne({
        kind: 'ietf/port-filter',
        entries: [{ blocked: true, protocol: 6, port: 22 }],
      } as PaAttribute),
    ),
    '000000000000000600000010' + '01060016',
  );
});

test('invalid values are ParseErrors at the offending byte (offsets from the message start)', () => {
  const at = (hex: string) => {
    try {
      decodePaMessage(fromHex(hex));
    } catch (e) {
      assert.ok(e instanceof ParseError);
      return e.offset;
    }
    assert.fail('accepted');
  };
  const hdr = '0100000000000001';
  // Product Information: vendor 0 but product id 5 → offset of the product id (8 + 12 + 3)
  assert.equal(at(hdr + '00000000' + '00000002' + '00000011' + '000000' + '0005' + '00'), 23);
  // Forwarding Enabled 7 → start of the value
  assert.equal(at(hdr + '00000000' + '0000000b' + '00000010' + '00000007'), 20);
  // Operational status with status 9
  assert.equal(at(hdr + '00000000' + '00000005' + '00000024' + '09000000' + '00'.repeat(20)), 20);
  // String Version with a NUL inside the version string
  assert.equal(at(hdr + '00000000' + '00000004' + '00000011' + '02' + '6100' + '00' + '00'), 22);
  // Attribute Request not a multiple of 8
  assert.equal(at(hdr + '00000000' + '00000001' + '00000011' + '0000000001'), 20);
  // Numeric Version too short
  assert.ok(at(hdr + '00000000' + '00000003' + '00000010' + '00000001') >= 20);
});
