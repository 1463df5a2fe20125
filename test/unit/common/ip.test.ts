/**
 * Textual IPv4/IPv6 addresses ↔ bytes (RFC 4291 §2.2 text forms in, RFC 5952 §4 text out).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError } from '../../../src/common/errors.ts';
import { ipFamily, ipToBytes, ipToText } from '../../../src/common/ip.ts';

test('ipToBytes: IPv4, IPv6 with ::, embedded IPv4; junk and zone indexes refused', () => {
  assert.deepEqual([...ipToBytes('192.0.2.7')], [192, 0, 2, 7]);
  assert.deepEqual([...ipToBytes('::1')], [...new Array<number>(15).fill(0), 1]);
  assert.deepEqual([...ipToBytes('::')], new Array<number>(16).fill(0));
  assert.deepEqual([...ipToBytes('fd00::2:1').subarray(12)], [0, 2, 0, 1]);
  assert.deepEqual([...ipToBytes('FD00:1::').subarray(0, 4)], [0xfd, 0, 0, 1]);
  assert.deepEqual([...ipToBytes('::ffff:10.0.0.1').subarray(10)], [0xff, 0xff, 10, 0, 0, 1]);
  assert.deepEqual([...ipToBytes('1:2:3:4:5:6:7:8')], [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
  for (const bad of ['', '1.2.3', '256.0.0.1', 'fd00::1::2', 'hello', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0'])
    assert.throws(() => ipToBytes(bad), ConfigError, bad);
});

test('ipToBytes with a family refuses the other one', () => {
  assert.equal(ipToBytes('10.0.0.1', 4).byteLength, 4);
  assert.equal(ipToBytes('fd00::1', 6).byteLength, 16);
  assert.throws(() => ipToBytes('fd00::1', 4), /not an IPv4 address/);
  assert.throws(() => ipToBytes('10.0.0.1', 6), /not an IPv6 address/);
});

test('ipFamily', () => {
  assert.equal(ipFamily('10.0.0.1'), 4);
  assert.equal(ipFamily('::ffff:10.0.0.1'), 6);
  assert.equal(ipFamily('example.org'), undefined);
});

test('ipToText: RFC 5952 compression (longest run, first of equals, never a single group)', () => {
  assert.equal(ipToText(ipToBytes('2001:db8:0:0:1:0:0:1')), '2001:db8::1:0:0:1');
  assert.equal(ipToText(ipToBytes('2001:db8:0:1:1:1:1:1')), '2001:db8:0:1:1:1:1:1');
  assert.equal(ipToText(ipToBytes('2001:0:0:1:0:0:0:1')), '2001:0:0:1::1');
  assert.equal(ipToText(ipToBytes('::')), '::');
  assert.equal(ipToText(ipToBytes('fd00:1::')), 'fd00:1::');
  assert.equal(ipToText(Uint8Array.of(192, 0, 2, 1)), '192.0.2.1');
  assert.equal(ipToText(new Uint8Array(5)), '<5-byte address>');
});

test('property: bytes → text → bytes is the identity for both families', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 })),
      (b) => {
        const text = ipToText(b);
        assert.equal(ipFamily(text), b.byteLength === 4 ? 4 : 6);
        assert.deepEqual(ipToBytes(text), b);
      },
    ),
  );
});
