/**
 * `encodedMessageSize` (RFC 5793 §4.2 message header + value) is what batch splitting counts with: for a PB-PA
 * message it is computed from the fixed headers without encoding the body, and must equal the encoded size; a batch
 * of such messages encodes to exactly the header plus those sizes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PB_BATCH_HEADER_SIZE, PbBatchType, encodeBatch, encodedMessageSize } from '../../../../src/tnc/pb/index.ts';
import type { PbMessage, PbPaMessage } from '../../../../src/tnc/pb/index.ts';

const pa = (body: Uint8Array, exclusive: boolean): PbPaMessage => ({
  kind: 'pa',
  exclusive,
  paVendor: 0x005597,
  paSubtype: 1,
  collectorId: 1,
  validatorId: 2,
  body,
});

test('PB-PA message size without encoding equals the encoded size; batches add the 8-byte header', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.uint8Array({ maxLength: 3000 }), fc.boolean()), { minLength: 1, maxLength: 6 }),
      (specs) => {
        const messages: PbMessage[] = specs.map(([b, x]) => pa(b, x));
        for (const m of messages) {
          const alone = encodeBatch({ type: PbBatchType.CDATA, fromServer: false, messages: [m] });
          assert.equal(encodedMessageSize(m), alone.byteLength - PB_BATCH_HEADER_SIZE);
        }
        const all = encodeBatch({ type: PbBatchType.CDATA, fromServer: false, messages });
        const sum = messages.reduce((n, m) => n + encodedMessageSize(m), PB_BATCH_HEADER_SIZE);
        assert.equal(all.byteLength, sum);
        assert.equal(new DataView(all.buffer, all.byteOffset).getUint32(4), sum);
      },
    ),
    { numRuns: 50 },
  );
});
