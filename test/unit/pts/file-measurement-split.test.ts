/**
 * Splitting a TCG PTS File Measurement (PTS IF-M Binding §3.19.2) into several for the same request: every part
 * encodes within the value budget, round-trips through the codec, keeps request id and measurement length, and the
 * parts' files in order are the original's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LimitError, Reader, Writer } from '../../../src/common/index.ts';
import { MaxBatchSize } from '../../../src/tnc/pb/index.ts';
import { tcgPtsFileMeas } from '../../../src/pts/attrs/file-measurement.ts';
import type { TcgPtsFileMeas } from '../../../src/pts/attrs/file-measurement.ts';
import {
  fileMeasurementValueBudget,
  fileMeasurementValueSize,
  splitFileMeasurement,
} from '../../../src/pts/attrs/file-measurement-split.ts';

const encodeValue = (a: TcgPtsFileMeas): Uint8Array => {
  const w = new Writer();
  tcgPtsFileMeas.encodeValue(w, a);
  return w.finish();
};

const attr = (names: string[], measurementLength = 32, requestId = 7): TcgPtsFileMeas => ({
  kind: 'tcg/pts-file-meas',
  noskip: false,
  requestId,
  measurementLength,
  files: names.map((filename, i) => ({ filename, measurement: new Uint8Array(measurementLength).fill(i & 0xff) })),
});

test('an attribute that fits is returned as is', () => {
  const a = attr(['a', 'b']);
  const parts = splitFileMeasurement(a, 1000);
  assert.equal(parts.length, 1);
  assert.equal(parts[0], a);
  assert.equal(fileMeasurementValueSize(a), encodeValue(a).byteLength);
  const empty = attr([]);
  assert.deepEqual(splitFileMeasurement(empty, 100), [empty]);
});

test('2,000 files for PT-EAP: parts fit one batch each, the value budget is what is left after every header', () => {
  const budget = fileMeasurementValueBudget();
  // batch 8, PB message 12, PB-PA 12, PA-TNC message 8, attribute header 12
  assert.equal(budget, MaxBatchSize.PT_EAP - 52);
  const a = attr(Array.from({ length: 2000 }, (_, i) => `file-${String(i).padStart(5, '0')}.so`));
  assert.ok(encodeValue(a).byteLength > budget);
  const parts = splitFileMeasurement(a, budget);
  assert.equal(parts.length, 2);
  for (const p of parts) assert.ok(encodeValue(p).byteLength <= budget);
  assert.deepEqual(
    parts.flatMap((p) => p.files),
    a.files,
  );
});

test('one entry larger than the budget is a LimitError, as is a budget too small for any entry', () => {
  assert.throws(() => splitFileMeasurement(attr(['x'.repeat(500), 'y']), 200), LimitError);
  assert.throws(() => splitFileMeasurement(attr(['a']), 12), LimitError);
});

test('property: parts are within budget, non-empty, same request, and concatenate to the original', () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }), { maxLength: 80 }),
      fc.constantFrom(20, 32, 48),
      fc.integer({ min: 0, max: 400 }),
      (names, len, extra) => {
        const a = attr(names, len);
        const maxEntry = Math.max(0, ...a.files.map((f) => len + 2 + new TextEncoder().encode(f.filename).byteLength));
        const budget = 12 + Math.max(1, maxEntry) + extra;
        const parts = splitFileMeasurement(a, budget);
        assert.deepEqual(
          parts.flatMap((p) => p.files),
          a.files,
        );
        for (const p of parts) {
          const bytes = encodeValue(p);
          assert.ok(bytes.byteLength <= budget);
          assert.equal(p.requestId, a.requestId);
          assert.equal(p.measurementLength, len);
          if (parts.length > 1) assert.ok(p.files.length > 0);
          const back = tcgPtsFileMeas.decodeValue(new Reader(bytes, 'v'));
          assert.deepEqual(back.files, p.files);
        }
        // greedy: two neighbouring parts could not have been one
        for (let i = 1; i < parts.length; i++) {
          assert.ok(encodeValue(parts[i - 1]!).byteLength + encodeValue(parts[i]!).byteLength - 12 > budget);
        }
      },
    ),
    { numRuns: 200 },
  );
});
