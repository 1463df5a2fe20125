// The VICI wire format of the test support's charon client (strongSwan src/libcharon/plugins/vici/README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Writer, fromHex, toHex } from '../../../src/common/bytes.ts';
import { isDeclaredError, ParseError } from '../../../src/common/errors.ts';
import {
  ViciPacketType,
  decodeViciMessage,
  decodeViciPacket,
  encodeViciMessage,
  encodeViciPacket,
  parseListSa,
  renderStrongswanConf,
  splitViciStream,
} from '../../support/charon.ts';
import type { ViciSection } from '../../support/charon.ts';

// The "Encoding example" of the README: key1 = value1, section1 { sub-section { key2 = value2 } list1 = [item1, item2] }.
const README_EXAMPLE = fromHex(
  '03046b657931000676616c756531' + // key1 = value1
    '010873656374696f6e31' + // section1 {
    '010b7375622d73656374696f6e' + // sub-section {
    '03046b657932000676616c756532' + // key2 = value2
    '02' + // }
    '04056c69737431' + // list1 = [
    '0500056974656d31' + // item1
    '0500056974656d32' + // item2
    '06' + // ]
    '02', // }
);
const README_TREE: ViciSection = {
  key1: 'value1',
  section1: { 'sub-section': { key2: 'value2' }, list1: ['item1', 'item2'] },
};

test('README encoding example decodes and re-encodes byte-equal', () => {
  assert.deepEqual(decodeViciMessage(README_EXAMPLE), README_TREE);
  assert.equal(toHex(encodeViciMessage(README_TREE)), toHex(README_EXAMPLE));
});

test('numbers and booleans encode as text, undefined keys are left out', () => {
  const m = decodeViciMessage(encodeViciMessage({ timeout: 1500, noblock: true, force: false, child: undefined }));
  assert.deepEqual(m, { timeout: '1500', noblock: 'yes', force: 'no' });
});

test('values that are not UTF-8 stay bytes', () => {
  const raw = new Uint8Array([0x30, 0x82, 0xff, 0xfe]);
  const m = decodeViciMessage(encodeViciMessage({ data: raw, list: [raw, 'x'] }));
  assert.deepEqual(m.data, raw);
  assert.deepEqual(m.list, [raw, 'x']);
});

test('packets: named types carry a name, responses do not; stream split keeps partial tails', () => {
  const req = encodeViciPacket({
    type: ViciPacketType.CMD_REQUEST,
    name: 'list-sas',
    message: encodeViciMessage({ noblock: 'yes' }),
  });
  const resp = encodeViciPacket({ type: ViciPacketType.CMD_RESPONSE, message: encodeViciMessage({ success: 'yes' }) });
  // u32 length ‖ type 0 ‖ u8 8 ‖ "list-sas" ‖ message
  assert.equal(toHex(req.subarray(0, 6)), `${(req.byteLength - 4).toString(16).padStart(8, '0')}0008`);
  const joined = new Uint8Array([...req, ...resp, ...resp.subarray(0, 5)]);
  const { bodies, rest } = splitViciStream(joined);
  assert.equal(bodies.length, 2);
  assert.equal(rest.byteLength, 5);
  const p0 = decodeViciPacket(bodies[0] as Uint8Array);
  assert.equal(p0.name, 'list-sas');
  assert.deepEqual(decodeViciMessage(p0.message), { noblock: 'yes' });
  const p1 = decodeViciPacket(bodies[1] as Uint8Array);
  assert.equal(p1.type, ViciPacketType.CMD_RESPONSE);
  assert.equal(p1.name, undefined);
  assert.deepEqual(decodeViciMessage(p1.message), { success: 'yes' });
});

test('malformed messages raise ParseError with a field', () => {
  const cases: [string, Uint8Array][] = [
    ['unbalanced section', new Writer().u8(1).u8(1).utf8('s').finish()],
    ['section end at root', new Uint8Array([2])],
    ['list item outside list', new Writer().u8(5).u16(0).finish()],
    ['key/value inside list', new Writer().u8(4).u8(1).utf8('l').u8(3).u8(1).utf8('k').u16(0).finish()],
    ['unterminated list', new Writer().u8(4).u8(1).utf8('l').finish()],
    ['duplicate key', new Writer().u8(3).u8(1).utf8('k').u16(0).u8(3).u8(1).utf8('k').u16(0).finish()],
    ['truncated value', new Writer().u8(3).u8(1).utf8('k').u16(9).utf8('ab').finish()],
    ['unknown element', new Uint8Array([9])],
  ];
  for (const [what, bytes] of cases) assert.throws(() => decodeViciMessage(bytes), ParseError, what);
  assert.throws(() => decodeViciPacket(new Uint8Array([8])), ParseError);
  assert.throws(() => splitViciStream(new Uint8Array([0x00, 0x10, 0x00, 0x00])), ParseError);
});

const key = fc.string({ minLength: 1, maxLength: 12 });
const scalar = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }).map((b) => new Uint8Array([0xff, ...b])),
);
const tree: fc.Arbitrary<ViciSection> = fc.letrec<{ section: ViciSection }>((tie) => ({
  section: fc.dictionary(
    key,
    fc.oneof({ depthSize: 'small' }, scalar, fc.array(scalar, { maxLength: 4 }), tie('section')),
    {
      maxKeys: 5,
      noNullPrototype: true,
    },
  ),
})).section;

test('property: decode(encode(tree)) = tree and encode(decode(bytes)) = bytes', () => {
  fc.assert(
    fc.property(tree, (t) => {
      const bytes = encodeViciMessage(t);
      const back = decodeViciMessage(bytes);
      assert.deepEqual(back, t);
      assert.equal(toHex(encodeViciMessage(back)), toHex(bytes));
    }),
    { numRuns: 300 },
  );
});

test('property: arbitrary bytes either decode or throw a declared error', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      try {
        decodeViciMessage(b);
        decodeViciPacket(b);
        splitViciStream(b);
      } catch (e) {
        assert.ok(isDeclaredError(e), String(e));
      }
    }),
    { numRuns: 2000 },
  );
});

test('parseListSa maps list-sa events to typed SAs', () => {
  const events: ViciSection[] = [
    {
      c: {
        uniqueid: '3',
        state: 'ESTABLISHED',
        'local-host': '10.99.0.1',
        'local-port': '4500',
        'remote-host': '10.99.0.2',
        'remote-port': '4500',
        initiator: 'yes',
        'nat-any': 'yes',
        'encr-alg': 'AES_GCM_16',
        'child-sas': {
          'ch-2': {
            name: 'ch',
            uniqueid: '2',
            state: 'INSTALLED',
            encap: 'yes',
            'spi-in': 'c1',
            'packets-in': '7',
            'local-ts': ['10.1.0.1/32'],
          },
        },
      },
    },
  ];
  const [sa] = parseListSa(events);
  assert.ok(sa);
  assert.equal(sa.name, 'c');
  assert.equal(sa.localPort, 4500);
  assert.equal(sa.initiator, true);
  assert.equal(sa.natAny, true);
  assert.equal(sa.children[0]?.key, 'ch-2');
  assert.equal(sa.children[0]?.encap, true);
  assert.equal(sa.children[0]?.packetsIn, 7);
  assert.deepEqual(sa.children[0]?.localTs, ['10.1.0.1/32']);
});

test('strongswan.conf: settings land under charon, one key per line, VICI socket in the instance dir', () => {
  const text = renderStrongswanConf(
    '/tmp/x',
    { cookieThreshold: 1, fragmentSize: 400, charon: { plugins: { 'eap-ttls': { max_message_count: 0 } } } },
    { tls: 3 },
  );
  assert.match(text, /^charon \{\n/);
  assert.match(text, /^ {2}cookie_threshold = 1$/m);
  assert.match(text, /^ {2}fragment_size = 400$/m);
  assert.match(text, /^ {6}tls = 3$/m);
  assert.match(text, /^ {4}kernel-libipsec \{\n {6}allow_peer_ts = yes\n/m);
  assert.match(text, /^ {6}max_message_count = 0$/m);
  assert.match(text, /^swanctl \{\n {2}socket = unix:\/\/\/tmp\/x\/charon\.vici\n\}$/m);
  assert.doesNotMatch(text, /=.*=/);
});
