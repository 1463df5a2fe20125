// The capture checks of test/support/capture.ts: IKE datagram parsing (RFC 7296 §3.1/§3.2/§3.10, RFC 7383 §2.5,
// RFC 3948 §2.2) and tshark dissection of a crafted pcap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Writer } from '../../../src/common/bytes.ts';
import { ParseError } from '../../../src/common/errors.ts';
import {
  IkeExchange,
  IkeNotify,
  IkePayload,
  decodeIke,
  dissect,
  formatProblems,
  parseIkeDatagram,
} from '../../support/capture.ts';
import { requires } from '../../support/env.ts';

interface Pl {
  type: number;
  body: Uint8Array;
}

/** IKE header (RFC 7296 §3.1) and a generic payload chain (§3.2); `next` of the last payload = `lastNext`. */
function ikeMessage(exchange: number, flags: number, mid: number, payloads: Pl[], lastNext = 0): Uint8Array {
  const w = new Writer();
  w.bytes(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])).zeros(8);
  w.u8(payloads[0]?.type ?? 0)
    .u8(0x20)
    .u8(exchange)
    .u8(flags)
    .u32(mid);
  w.lengthPrefixed(
    4,
    () => {
      payloads.forEach((p, i) => {
        w.u8(payloads[i + 1]?.type ?? lastNext).u8(0);
        w.lengthPrefixed(2, () => w.bytes(p.body), 4);
      });
    },
    28,
  );
  return w.finish();
}

const notify = (type: number, data: number[] = []): Pl => ({
  type: IkePayload.N,
  body: new Writer().u8(0).u8(0).u16(type).bytes(new Uint8Array(data)).finish(),
});
const opaque = (type: number, n: number): Pl => ({ type, body: new Uint8Array(n).fill(0xab) });
const withMarker = (m: Uint8Array) => new Uint8Array([0, 0, 0, 0, ...m]);

/** SA payload body with one IKE proposal (RFC 7296 §3.3): ENCR_AES_GCM_16, PRF_HMAC_SHA2_256, group 31. */
function saBody(): Uint8Array {
  const transforms: [number, number][] = [
    [1, 20],
    [2, 5],
    [4, 31],
  ];
  const w = new Writer();
  w.u8(0).u8(0);
  w.lengthPrefixed(
    2,
    () => {
      w.u8(1).u8(1).u8(0).u8(transforms.length);
      transforms.forEach(([type, id], i) =>
        w
          .u8(i === transforms.length - 1 ? 0 : 3)
          .u8(0)
          .u16(8)
          .u8(type)
          .u8(0)
          .u16(id),
      );
    },
    4,
  );
  return w.finish();
}

const INIT = ikeMessage(IkeExchange.IKE_SA_INIT, 0x08, 0, [
  { type: IkePayload.SA, body: saBody() },
  { type: IkePayload.KE, body: new Writer().u16(31).u16(0).zeros(32).finish() },
  opaque(IkePayload.NONCE, 32),
  notify(IkeNotify.NAT_DETECTION_SOURCE_IP, Array(20).fill(1)),
  notify(IkeNotify.COOKIE, [9, 9, 9, 9, 9, 9, 9, 9]),
]);
const SKF = ikeMessage(
  IkeExchange.IKE_AUTH,
  0x20,
  1,
  [{ type: IkePayload.SKF, body: new Writer().u16(2).u16(3).zeros(40).finish() }],
  0,
);

test('IKE_SA_INIT: header fields, payload chain, notifies in the clear', () => {
  const d = parseIkeDatagram(INIT);
  assert.equal(d.exchangeName, 'IKE_SA_INIT');
  assert.equal(d.initiator, true);
  assert.equal(d.response, false);
  assert.equal(d.messageId, 0);
  assert.equal(d.length, INIT.byteLength);
  assert.deepEqual(d.payloadNames, ['SA', 'KE', 'NONCE', 'N', 'N']);
  assert.deepEqual(
    d.notifies.map((n) => [n.name, n.data.length / 2]),
    [
      ['NAT_DETECTION_SOURCE_IP', 20],
      ['COOKIE', 8],
    ],
  );
  assert.equal(d.nonEspMarker, false);
});

test('UDP/4500: non-ESP marker is required and skipped; SKF gives fragment number and total', () => {
  const d = parseIkeDatagram(withMarker(SKF), true);
  assert.equal(d.nonEspMarker, true);
  assert.equal(d.response, true);
  assert.deepEqual(d.payloadNames, ['SKF']);
  assert.deepEqual(d.fragment, { number: 2, total: 3 });
  assert.equal(d.encryptedFirst, 0);
  assert.throws(() => parseIkeDatagram(SKF, true), ParseError, 'no marker');
});

test('truncated or inconsistent datagrams raise ParseError', () => {
  assert.throws(() => parseIkeDatagram(INIT.subarray(0, 20)), ParseError);
  assert.throws(() => parseIkeDatagram(INIT.subarray(0, INIT.byteLength - 1)), ParseError, 'length beyond datagram');
  const bad = INIT.slice();
  bad[28 + 3] = 0xff; // first payload length far beyond the message
  assert.throws(() => parseIkeDatagram(bad), ParseError);
  const trailing = ikeMessage(
    IkeExchange.INFORMATIONAL,
    0,
    2,
    [{ type: IkePayload.SK, body: new Uint8Array(20) }],
    IkePayload.D,
  );
  const grown = new Writer().bytes(trailing).zeros(8).finish();
  // Patch the header length to cover 8 bytes after SK: SK must be last.
  new DataView(grown.buffer).setUint32(24, grown.byteLength);
  assert.throws(() => parseIkeDatagram(grown), ParseError);
});

test('property: any payload chain parses back to its types', () => {
  const plain = fc.constantFrom(33, 34, 35, 36, 37, 38, 39, 40, 42, 43, 44, 45, 47, 48, 99);
  fc.assert(
    fc.property(
      fc.array(fc.record({ type: plain, body: fc.uint8Array({ maxLength: 24 }) }), { maxLength: 8 }),
      fc.boolean(),
      (pls, marker) => {
        const m = ikeMessage(IkeExchange.CREATE_CHILD_SA, 0x08, 5, pls);
        const d = parseIkeDatagram(marker ? withMarker(m) : m, marker);
        assert.deepEqual(
          d.payloads,
          pls.map((p) => p.type),
        );
        assert.equal(d.messageId, 5);
      },
    ),
    { numRuns: 300 },
  );
});

/** A classic pcap (LINKTYPE_RAW, IPv4) of UDP datagrams. */
function pcap(packets: { sport: number; dport: number; payload: Uint8Array }[]): Uint8Array {
  const w = new Writer();
  w.u32le(0xa1b2c3d4).u16le(2).u16le(4).u32le(0).u32le(0).u32le(65535).u32le(101);
  packets.forEach((p, i) => {
    const ip = new Writer();
    ip.u8(0x45)
      .u8(0)
      .u16(28 + p.payload.byteLength)
      .u16(i + 1)
      .u16(0)
      .u8(64)
      .u8(17)
      .u16(0);
    ip.bytes(new Uint8Array([10, 99, 0, 1, 10, 99, 0, 2]));
    ip.u16(p.sport)
      .u16(p.dport)
      .u16(8 + p.payload.byteLength)
      .u16(0)
      .bytes(p.payload);
    const frame = ip.finish();
    w.u32le(1000 + i)
      .u32le(0)
      .u32le(frame.byteLength)
      .u32le(frame.byteLength)
      .bytes(frame);
  });
  return w.finish();
}

test('tshark: dissect flags the malformed IKE packet only; decodeIke sees 500 and 4500 (non-ESP marker)', async (t) => {
  if (!requires(t, { commands: ['tshark'] })) return;
  const dir = mkdtempSync(join(tmpdir(), 'at-ike-dgram-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const malformed = INIT.slice();
  malformed[28 + 3] = 0xf0;
  const file = join(dir, 'crafted.pcap');
  writeFileSync(
    file,
    pcap([
      { sport: 500, dport: 500, payload: INIT },
      { sport: 4500, dport: 4500, payload: withMarker(SKF) },
      { sport: 4500, dport: 4500, payload: new Uint8Array([0xff]) }, // NAT-keepalive (RFC 3948 §2.3)
      { sport: 4500, dport: 4500, payload: new Writer().u32(0x11223344).u32(1).zeros(24).finish() }, // ESP
      { sport: 500, dport: 500, payload: malformed },
    ]),
  );
  const d = await dissect(file);
  assert.equal(d.packets.length, 5);
  assert.match(d.packets[1]?.protocols ?? '', /udpencap:isakmp$/);
  assert.match(d.packets[3]?.protocols ?? '', /udpencap:esp$/);
  assert.deepEqual([...new Set(d.problems.map((p) => p.frame))], [5], formatProblems(d.problems));
  assert.ok(d.problems.some((p) => p.severity === 'error' && p.group === 'Malformed'));

  const k = await decodeIke(file);
  assert.deepEqual(
    k.ike.map((p) => [p.frame, p.dstPort, p.exchangeName, p.nonEspMarker]),
    [
      [1, 500, 'IKE_SA_INIT', false],
      [2, 4500, 'IKE_AUTH', true],
    ],
  );
  assert.deepEqual(k.ike[1]?.fragment, { number: 2, total: 3 });
  assert.deepEqual(
    k.esp.map((e) => [e.frame, e.spi]),
    [[4, 0x11223344]],
  );
  assert.equal(k.errors.length, 1);
  assert.match(k.errors[0] ?? '', /^frame 5: /);
});
