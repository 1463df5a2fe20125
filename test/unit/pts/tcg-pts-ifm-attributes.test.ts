/**
 * TCG PTS over IF-M attributes (PTS Protocol: Binding to TNC IF-M v1.0, layouts as strongSwan's
 * src/libimcv/tcg/pts/tcg_pts_attr_*.c): round trips of every codec, fixed layouts, bounds, and sizes beyond one
 * IF-M segment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ParseError, Reader, fromHex, toHex } from '../../../src/common/index.ts';
import { Pen, decodePaMessage, encodePaMessage, readAttributeHeader } from '../../../src/tnc/pa/index.ts';
import type { PaAttribute } from '../../../src/tnc/pa/index.ts';
import { SegmentationContract } from '../../../src/tnc/pa/seg/contract.ts';
import {
  decodeTpm2VersionInfo,
  encodeTpm2VersionInfo,
  ptsAttributeCodecs,
  ptsPaRegistry,
} from '../../../src/pts/attrs/index.ts';
import { TcgPtsAttr } from '../../../src/pts/constants.ts';
import { ptsAttributeByKind } from './arbitraries.ts';

/** An attribute on the wire: flags 0, vendor TCG, type, length, value. */
const wire = (type: number, value: string) =>
  fromHex(
    '00005597' + type.toString(16).padStart(8, '0') + (12 + value.length / 2).toString(16).padStart(8, '0') + value,
  );
const one = (a: PaAttribute) => ptsPaRegistry.encodeOne(a);
const decodeOne = (b: Uint8Array) => {
  const r = new Reader(b, 'attr');
  const h = readAttributeHeader(r);
  return ptsPaRegistry.decodeValue(h, r.sub(h.length - 12, 'value'));
};

test('every PTS codec is vendor TCG, has a unique type, and has an arbitrary', () => {
  assert.deepEqual(ptsAttributeCodecs.map((c) => c.kind).sort(), Object.keys(ptsAttributeByKind).sort());
  assert.ok(ptsAttributeCodecs.every((c) => c.vendor === Pen.TCG));
  assert.equal(new Set(ptsAttributeCodecs.map((c) => c.type)).size, ptsAttributeCodecs.length);
  assert.deepEqual(
    new Set(ptsAttributeCodecs.map((c) => c.type)),
    new Set(Object.values(TcgPtsAttr)),
    'one codec per PTS attribute type',
  );
});

for (const [kind, arb] of Object.entries(ptsAttributeByKind)) {
  test(`${kind}: encode → decode → encode is byte-equal — property`, () => {
    fc.assert(
      fc.property(arb, (attr) => {
        const bytes = encodePaMessage({ messageId: 7, attributes: [attr] }, ptsPaRegistry);
        const d = decodePaMessage(bytes, ptsPaRegistry);
        assert.deepEqual(d.attributes[0], { ...structuredClone(attr), noskip: attr.noskip ?? false });
        assert.equal(toHex(encodePaMessage(d, ptsPaRegistry)), toHex(bytes));
      }),
      { numRuns: 120 },
    );
  });
  test(`${kind}: every truncation is a ParseError — property`, () => {
    fc.assert(
      fc.property(arb, fc.nat(), (attr, cut) => {
        const b = one(attr);
        const n = 12 + (cut % Math.max(1, b.byteLength - 12));
        const t = b.slice(0, n);
        new DataView(t.buffer).setUint32(8, n);
        try {
          decodeOne(t);
        } catch (e) {
          assert.ok(e instanceof ParseError, String(e));
        }
      }),
      { numRuns: 60 },
    );
  });
}

// Layouts as strongSwan builds them (field widths from tcg_pts_attr_*.c build()).
test('fixed layouts: capabilities, algorithms, D-H parameters request, reserved requests', () => {
  const v = (a: object) => toHex(one(a as PaAttribute).subarray(12));
  assert.equal(
    toHex(one({ kind: 'tcg/pts-req-proto-caps', flags: 0x1c } as PaAttribute).subarray(0, 12)),
    '00005597010000000000' + '0010',
  );
  assert.equal(v({ kind: 'tcg/pts-proto-caps', flags: 0x06 }), '00000006');
  assert.equal(v({ kind: 'tcg/pts-meas-algo', algorithms: 0xe000 }), '0000e000');
  assert.equal(v({ kind: 'tcg/pts-dh-nonce-params-req', minNonceLength: 17, dhGroups: 0x3800 }), '00113800');
  assert.equal(v({ kind: 'tcg/pts-get-aik' }), '00000000');
  assert.equal(v({ kind: 'tcg/pts-gen-attest-evid' }), '00000000');
  assert.equal(v({ kind: 'tcg/pts-aik', naked: true, aik: fromHex('3059') }), '803059');
  assert.equal(
    v({ kind: 'tcg/pts-req-file-meas', directory: true, requestId: 2, delimiter: 0x2f, path: '/bin' }),
    '80000002' + '0000002f' + toHex(new TextEncoder().encode('/bin')),
  );
  assert.equal(v({ kind: 'tcg/pts-req-file-meta', directory: false, delimiter: 0x2f, path: '/' }), '002f0000' + '2f');
});

test('D-H nonce: the responder public value is what follows the nonce; the finish nonce is at the end', () => {
  const resp = decodeOne(
    wire(TcgPtsAttr.DH_NONCE_PARAMS_RESP, '000000' + '03' + '1000' + 'c000' + 'aabbcc' + '0102030405'),
  ) as PaAttribute & Record<string, Uint8Array>;
  assert.equal(toHex(resp.responderNonce!), 'aabbcc');
  assert.equal(toHex(resp.responderValue!), '0102030405');
  const fin = decodeOne(wire(TcgPtsAttr.DH_NONCE_FINISH, '00' + '02' + '4000' + '0a0b0c0d' + 'eeff')) as PaAttribute &
    Record<string, Uint8Array>;
  assert.equal(toHex(fin.initiatorValue!), '0a0b0c0d');
  assert.equal(toHex(fin.initiatorNonce!), 'eeff');
  assert.throws(() => decodeOne(wire(TcgPtsAttr.DH_NONCE_FINISH, '00' + '09' + '4000' + '01')), ParseError);
});

test("strongSwan's 16-byte TPM 2.0 version info round-trips; other forms are not TPM 2.0", () => {
  const info = encodeTpm2VersionInfo({ locality: 3, revision: 138, year: 2016, vendor: 0x49424d00 });
  assert.equal(toHex(info), '0200' + '00' + '03' + '0000008a' + '000007e0' + '49424d00');
  assert.deepEqual(decodeTpm2VersionInfo(info), { locality: 3, revision: 138, year: 2016, vendor: 0x49424d00 });
  assert.equal(decodeTpm2VersionInfo(fromHex('0102000000000000')), undefined);
  assert.equal(decodeTpm2VersionInfo(fromHex('01000000' + '00'.repeat(12))), undefined);
  assert.throws(() => decodeOne(wire(TcgPtsAttr.TPM_VERSION_INFO, '020000')), ParseError);
});

test('Simple Component Evidence: 40-byte fixed part, URI only with a validation result, PCR values paired', () => {
  const base = {
    kind: 'tcg/pts-simple-comp-evid',
    depth: 0,
    name: { vendor: Pen.ITA, qualifier: 0x22, name: 3 },
    pcr: 10,
    hashAlgorithm: 0x4000,
    transform: 0,
    time: '0000-00-00T00:00:00Z',
    validation: 0x60,
    policyUri: 'sha256:/usr/bin/ls',
    measurement: new Uint8Array(32).fill(7),
  };
  const b = one(base as PaAttribute).subarray(12);
  assert.equal(toHex(b.subarray(0, 20)), '60000000' + '00902a22' + '00000003' + '8000000a' + '40000000');
  assert.equal(new TextDecoder().decode(b.subarray(20, 40)), '0000-00-00T00:00:00Z');
  assert.equal(b.byteLength, 40 + 2 + 18 + 32);
  const none = one({ ...base, validation: 0, policyUri: undefined } as unknown as PaAttribute);
  assert.equal(none.byteLength, 12 + 40 + 32);
  assert.throws(
    () => decodeOne(wire(TcgPtsAttr.SIMPLE_COMP_EVID, '00'.repeat(12) + '01' + '00'.repeat(27))),
    /measurement type/,
  );
});

test('Simple Evidence Final (TPM 2.0): flags 0x10, composite algorithm, 32/16-bit length fields in order', () => {
  const a = {
    kind: 'tcg/pts-simple-evid-final',
    quoteMode: 0x10,
    compositeHashAlgorithm: 0x4000,
    pcrComposite: fromHex('aa'),
    tpm2: {
      qualifiedSigner: fromHex('bb'),
      clockInfo: fromHex('cc'),
      firmwareVersion: fromHex('dd'),
      pcrSelect: fromHex('ee'),
    },
    quoteSignature: fromHex('ff'),
  };
  assert.equal(
    toHex(one(a as PaAttribute).subarray(12)),
    '10004000' + '00000001aa' + '0001bb' + '0001cc' + '0001dd' + '0001ee' + '00000001ff',
  );
});

test('File Measurement: a count larger than the bytes can hold is refused before allocating', () => {
  const v = '0000000100000000' + '0001' + '0020';
  assert.throws(() => decodeOne(wire(TcgPtsAttr.FILE_MEAS, v)), /cannot fit/);
  const meta = '00000000ffffffff';
  assert.throws(() => decodeOne(wire(TcgPtsAttr.UNIX_FILE_META, meta)), /cannot fit/);
});

test('a File Measurement larger than one segment is segmented (IF-M segmentation) and reassembled whole', () => {
  const files = Array.from({ length: 3000 }, (_, i) => ({
    filename: `file-${i}.so`,
    measurement: new Uint8Array(32).fill(i & 0xff),
  }));
  const attr = { kind: 'tcg/pts-file-meas', noskip: false, requestId: 1, measurementLength: 32, files } as PaAttribute;
  const bytes = one(attr);
  assert.ok(bytes.byteLength > 100_000);
  const sender = new SegmentationContract({ maxSegmentSize: 65_000, registry: ptsPaRegistry });
  const receiver = new SegmentationContract({ registry: ptsPaRegistry });
  assert.ok(sender.needsSegmentation(attr));
  const envs = sender.segmentAll(attr);
  assert.ok(envs.length >= 2);
  let whole: PaAttribute | undefined;
  for (const e of envs) whole = receiver.receive(e).attribute ?? whole;
  assert.deepEqual(whole, { ...attr });
});
