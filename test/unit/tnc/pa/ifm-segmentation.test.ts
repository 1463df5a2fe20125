/**
 * TCG IF-M segmentation (behaviour of strongSwan's seg_contract.c / seg_env.c): splitting an attribute into
 * Segmentation Envelopes, the Next Segment / cancel flow, and reassembly with limits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LimitError, Reader, toHex } from '../../../../src/common/index.ts';
import {
  PaErrorCode,
  SegmentationContract,
  acceptMaxAttributeSize,
  decodePaMessage,
  defaultPaRegistry,
  encodePaMessage,
  isAttr,
  itaDummyOfSize,
  readAttributeHeader,
  tcgNextSegment,
  tcgSegmentationEnvelope,
} from '../../../../src/tnc/pa/index.ts';
import type { PaAttribute, TcgSegmentationEnvelope } from '../../../../src/tnc/pa/index.ts';
import { paAttribute } from './arbitraries.ts';

test('split and reassemble: any attribute, any segment size — property', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        paAttribute,
        fc.nat(3000).map((n) => itaDummyOfSize(n, true)),
      ),
      fc.integer({ min: 13, max: 700 }),
      (attr, seg) => {
        const sender = new SegmentationContract({ maxSegmentSize: seg });
        const receiver = new SegmentationContract({ maxSegmentSize: seg });
        const original = defaultPaRegistry.encodeOne(attr);
        if (!sender.needsSegmentation(attr)) {
          assert.ok(original.byteLength <= seg);
          return;
        }
        const envs = sender.segmentAll(attr);
        assert.ok(envs.length >= 2);
        // First envelope: S|M and the complete 12-byte header of the original attribute (full length).
        assert.ok(envs[0]!.start && envs[0]!.more);
        const h = readAttributeHeader(new Reader(envs[0]!.segment));
        assert.equal(h.length, original.byteLength);
        assert.equal(toHex(envs[0]!.segment.subarray(0, 12)), toHex(original.subarray(0, 12)));
        envs.forEach((e, i) => {
          assert.ok(e.segment.byteLength <= seg && e.segment.byteLength > 0);
          assert.equal(e.more, i < envs.length - 1);
          assert.equal(e.start, i === 0);
          assert.equal(e.baseMessageId, envs[0]!.baseMessageId);
        });
        let got: PaAttribute | undefined;
        envs.forEach((e, i) => {
          const r = receiver.receive(e);
          assert.equal(r.error, undefined);
          if (i < envs.length - 1)
            assert.deepEqual(r.next, {
              kind: 'tcg/next-segment',
              noskip: false,
              cancel: false,
              baseMessageId: e.baseMessageId,
            });
          else got = r.attribute;
        });
        assert.ok(got);
        assert.equal(toHex(defaultPaRegistry.encodeOne(got)), toHex(original));
        assert.deepEqual(receiver.pending, { outgoing: 0, incoming: 0 });
        assert.deepEqual(sender.pending, { outgoing: 0, incoming: 0 });
      },
    ),
    { numRuns: 300 },
  );
});

test('Next Segment flow over PA-TNC messages on the wire', () => {
  const sender = new SegmentationContract({ maxSegmentSize: 100 });
  const receiver = new SegmentationContract();
  const dummy = itaDummyOfSize(250, true);
  let toReceiver = encodePaMessage({ messageId: 1, attributes: [sender.firstSegment(dummy)] });
  let result: PaAttribute | undefined;
  for (let round = 0; round < 10 && !result; round++) {
    const env = decodePaMessage(toReceiver).attributes[0]!;
    assert.ok(isAttr(tcgSegmentationEnvelope, env));
    const r = receiver.receive(env);
    if (r.attribute) result = r.attribute;
    else {
      const back = decodePaMessage(encodePaMessage({ messageId: 2, attributes: [r.next!] })).attributes[0]!;
      assert.ok(isAttr(tcgNextSegment, back));
      toReceiver = encodePaMessage({ messageId: 3, attributes: [sender.nextSegment(back)!] });
    }
  }
  assert.deepEqual(result, dummy);
});

test('cancel: a Next Segment with C ends the sender side, Cancel ends the receiver side', () => {
  const sender = new SegmentationContract({ maxSegmentSize: 50 });
  const receiver = new SegmentationContract();
  const first = sender.firstSegment(itaDummyOfSize(300));
  const r = receiver.receive(first);
  assert.ok(r.next);
  const cancel = receiver.cancelIncoming(first.baseMessageId);
  assert.equal(cancel.cancel, true);
  assert.equal(receiver.pending.incoming, 0);
  assert.equal(sender.nextSegment(cancel), null);
  assert.equal(sender.pending.outgoing, 0);
  assert.equal(
    sender.nextSegment({ kind: 'tcg/next-segment', cancel: false, baseMessageId: first.baseMessageId }),
    null,
  );

  const second = sender.firstSegment(itaDummyOfSize(300));
  assert.notEqual(second.baseMessageId, first.baseMessageId);
  receiver.receive(second);
  receiver.receiveCancel(sender.cancelOutgoing(second.baseMessageId));
  assert.deepEqual(receiver.pending, { outgoing: 0, incoming: 0 });
  // a later segment of the cancelled exchange is refused
  const late: TcgSegmentationEnvelope = {
    kind: 'tcg/segmentation-envelope',
    start: false,
    more: false,
    baseMessageId: second.baseMessageId,
    segment: new Uint8Array(5),
  };
  assert.equal(receiver.receive(late).error?.errorCode, PaErrorCode.INVALID_PARAMETER);
});

test('limits: reassembled size, exchanges under way, duplicates, overflow and short totals', () => {
  const sender = new SegmentationContract({ maxSegmentSize: 64 });
  const small = new SegmentationContract({ maxReassembledSize: 1000, maxPending: 2 });
  const big = sender.firstSegment(itaDummyOfSize(5000));
  const e = small.receive(big).error;
  assert.ok(e && e.info.format === 'invalid-parameter');
  // message-info of segmentation errors: 0xffffffff ‖ base message id (strongSwan)
  assert.equal(toHex(e.info.messageHeader), 'ffffffff' + big.baseMessageId.toString(16).padStart(8, '0'));
  assert.equal(e.info.offset, 8);

  const a = sender.firstSegment(itaDummyOfSize(200));
  const b = sender.firstSegment(itaDummyOfSize(200));
  const c = sender.firstSegment(itaDummyOfSize(200));
  assert.ok(small.receive(a).next);
  assert.ok(small.receive(b).next);
  assert.ok(small.receive(c).error, 'third exchange refused');
  assert.ok(small.receive(a).error, 'duplicate start refused');

  // more data than the header declared
  const r2 = new SegmentationContract();
  const d = sender.firstSegment(itaDummyOfSize(100));
  r2.receive(d);
  assert.equal(
    r2.receive({ ...d, start: false, more: true, segment: new Uint8Array(500) }).error?.info.format,
    'invalid-parameter',
  );
  // last segment arrives before the declared length is reached
  const f = sender.firstSegment(itaDummyOfSize(100));
  r2.receive(f);
  assert.equal(
    r2.receive({ ...f, start: false, more: false, segment: new Uint8Array(3) }).error?.errorCode,
    PaErrorCode.INVALID_PARAMETER,
  );

  // sending side: beyond the peer's max message size, or a segment too small for the header
  assert.throws(
    () => new SegmentationContract({ maxMessageSize: 100 }).needsSegmentation(itaDummyOfSize(200)),
    LimitError,
  );
  assert.throws(() => new SegmentationContract({ maxSegmentSize: 12 }).firstSegment(itaDummyOfSize(200)), LimitError);
  assert.throws(() => new SegmentationContract({ maxSegmentSize: 1000 }).firstSegment(itaDummyOfSize(20)), LimitError);
  assert.equal(new SegmentationContract().isNull, true);
});

test('a reassembled attribute with a bad value gets Invalid Parameter at its offset', () => {
  const sender = new SegmentationContract({ maxSegmentSize: 20 });
  const receiver = new SegmentationContract();
  // Forwarding Enabled must be 0..2; build it raw as an unknown of the same type to smuggle the value 9.
  const bad: PaAttribute = {
    kind: 'unknown',
    vendor: 0,
    type: 11,
    value: new Uint8Array([0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0]),
  } as PaAttribute;
  const envs = sender.segmentAll(bad);
  let err;
  for (const e of envs) err = receiver.receive(e).error ?? err;
  assert.ok(err && err.info.format === 'invalid-parameter');
  assert.equal(err.info.offset, 12);
});

test('contract negotiation: the responder keeps the message size and lowers the segment size to its own limit', () => {
  const req = { kind: 'tcg/max-attribute-size-request' as const, maxMessageSize: 100000, maxSegmentSize: 65000 };
  const { response, contract } = acceptMaxAttributeSize(req, 4000);
  assert.deepEqual(response, {
    kind: 'tcg/max-attribute-size-response',
    noskip: false,
    maxMessageSize: 100000,
    maxSegmentSize: 4000,
  });
  assert.equal(contract.maxSegmentSize, 4000);
  assert.equal(contract.needsSegmentation(itaDummyOfSize(5000)), true);
  assert.throws(() => contract.needsSegmentation(itaDummyOfSize(100000)), LimitError);
  const none = acceptMaxAttributeSize({ ...req, maxMessageSize: 0xffffffff, maxSegmentSize: 0xffffffff }, 4000);
  assert.equal(none.contract.isNull, true);
  assert.equal(none.contract.needsSegmentation(itaDummyOfSize(100000)), false);
});
